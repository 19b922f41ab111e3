package keeper

import (
	"context"
	"strconv"
	"strings"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// The data-sharing half of the module (docs/grants.md). A device indexes a sealed blob of a
// class only while its owner's grants for that class are in force, sealed to exactly those
// grantees and to the class's current epoch; a revocation starts the next epoch, so an upload
// prepared for the old set of grantees is refused once the revocation is committed.

type blobServer struct{ Keeper }

// NewBlobMsgServerImpl returns the BlobMsg service on top of k.
func NewBlobMsgServerImpl(k Keeper) types.BlobMsgServer { return blobServer{k} }

var _ types.BlobMsgServer = blobServer{}

// SetRecipientKey: the signer's own X25519 key (32 bytes, not all zero), replaced at will;
// blobs already sealed to the old key stay sealed to it.
func (s blobServer) SetRecipientKey(ctx context.Context, msg *types.MsgSetRecipientKey) (*types.MsgSetRecipientKeyResponse, error) {
	account, err := pairingServer(s).address("account", msg.Account)
	if err != nil {
		return nil, err
	}
	if len(msg.X25519Key) != 32 || isZero(msg.X25519Key) {
		return nil, errorsmod.Wrapf(types.ErrBadRecipientKey, "%d bytes", len(msg.X25519Key))
	}
	if err := s.setProto(ctx, types.RecipientKeyKey(account), &types.RecipientKey{X25519Key: msg.X25519Key}); err != nil {
		return nil, err
	}
	return &types.MsgSetRecipientKeyResponse{}, nil
}

// PutBlob: the signer is a registered device; the class is 1..64 bytes; the hash 32 bytes and
// the size 1..MaxBlobSize; the epoch is the class's current one; the recipients are exactly the
// grantees of the device's owner whose grant of this class is in force at the block time and
// who published a recipient key, in the order of the owner's grant index.
func (s blobServer) PutBlob(ctx context.Context, msg *types.MsgPutBlob) (*types.MsgPutBlobResponse, error) {
	device, err := pairingServer(s).address("device", msg.Device)
	if err != nil {
		return nil, err
	}
	if msg.Class == "" || len(msg.Class) > types.MaxGrantClass {
		return nil, errorsmod.Wrapf(types.ErrBadBlob, "class of %d bytes, 1..%d", len(msg.Class), types.MaxGrantClass)
	}
	if len(msg.Sha256) != 32 {
		return nil, errorsmod.Wrapf(types.ErrBadBlob, "sha256 of %d bytes", len(msg.Sha256))
	}
	if msg.Size_ == 0 || msg.Size_ > types.MaxBlobSize {
		return nil, errorsmod.Wrapf(types.ErrBadBlob, "size %d, 1..%d", msg.Size_, types.MaxBlobSize)
	}
	d, found, err := s.GetDevice(ctx, device)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrDeviceNotFound, msg.Device)
	}
	owner, err := pairingServer(s).address("owner", d.Owner)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	want, err := s.recipientsInForce(ctx, owner, msg.Class, sdkCtx.BlockTime().Unix())
	if err != nil {
		return nil, err
	}
	var st types.ClassState
	if _, err := s.getProto(ctx, types.ClassStateKey(owner, msg.Class), &st); err != nil {
		return nil, err
	}
	if msg.Epoch != st.Epoch {
		return nil, errorsmod.Wrapf(types.ErrBlobEpoch, "epoch %d, the class's is %d", msg.Epoch, st.Epoch)
	}
	if strings.Join(msg.Recipients, ",") != strings.Join(want, ",") {
		return nil, errorsmod.Wrapf(types.ErrBlobRecipients, "%v, the grantees in force are %v", msg.Recipients, want)
	}
	seq := st.Blobs
	rec := types.BlobRecord{Class: msg.Class, Device: msg.Device, Sha256: msg.Sha256, Size_: msg.Size_,
		Epoch: st.Epoch, Time: sdkCtx.BlockTime().Unix(), Recipients: msg.Recipients}
	if err := s.setProto(ctx, types.BlobKey(owner, msg.Class, seq), &rec); err != nil {
		return nil, err
	}
	st.Blobs++
	if err := s.setProto(ctx, types.ClassStateKey(owner, msg.Class), &st); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent("blob_indexed",
		sdk.NewAttribute("owner", d.Owner), sdk.NewAttribute("class", msg.Class),
		sdk.NewAttribute("seq", strconv.FormatUint(seq, 10)), sdk.NewAttribute("sha256", hexKey(msg.Sha256))))
	return &types.MsgPutBlobResponse{Seq: seq}, nil
}

// recipientsInForce: the grantees (bech32) of owner's grants of class that have not expired at
// `now` and have a recipient key, in grant-index order. None in force: ErrNoGrant; some, but
// none with a key: ErrNoRecipientKey.
func (s blobServer) recipientsInForce(ctx context.Context, owner []byte, class string, now int64) ([]string, error) {
	o, _, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	var out []string
	inForce := 0
	for _, name := range o.Grants {
		grantee, c, _ := strings.Cut(name, "/")
		if c != class {
			continue
		}
		gAddr, err := s.addressCodec.StringToBytes(grantee)
		if err != nil {
			return nil, err
		}
		g, found, err := s.GetGrant(ctx, owner, gAddr, class)
		if err != nil {
			return nil, err
		}
		if !found { // the index and the grants change together; a stale entry grants nothing
			continue
		}
		st, err := types.ParseGrantStatement(g.Statement)
		if err != nil {
			return nil, err
		}
		if st.Expiry <= uint64(now) {
			continue
		}
		inForce++
		var rk types.RecipientKey
		if has, err := s.getProto(ctx, types.RecipientKeyKey(gAddr), &rk); err != nil {
			return nil, err
		} else if has {
			out = append(out, grantee)
		}
	}
	if inForce == 0 {
		return nil, errorsmod.Wrapf(types.ErrNoGrant, "class %q", class)
	}
	if len(out) == 0 {
		return nil, errorsmod.Wrapf(types.ErrNoRecipientKey, "class %q: %d grantee(s) in force", class, inForce)
	}
	return out, nil
}

// bumpClassEpoch starts the next epoch of owner's class (at every revocation).
func (k Keeper) bumpClassEpoch(ctx context.Context, owner []byte, class string) error {
	var st types.ClassState
	if _, err := k.getProto(ctx, types.ClassStateKey(owner, class), &st); err != nil {
		return err
	}
	st.Epoch++
	return k.setProto(ctx, types.ClassStateKey(owner, class), &st)
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
