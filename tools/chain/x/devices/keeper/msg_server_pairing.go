package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// The pairing half of the module (docs/chain-pairing.md). Every signature that authorises a
// change is checked here, against keys the module holds: the transaction's signer is only
// required where it is the owner, and then it must be the statement's owner too.

type pairingServer struct{ Keeper }

// NewPairingMsgServerImpl returns the PairingMsg service on top of k.
func NewPairingMsgServerImpl(k Keeper) types.PairingMsgServer { return pairingServer{k} }

var _ types.PairingMsgServer = pairingServer{}

func (s pairingServer) address(field, bech string) ([]byte, error) {
	addr, err := s.addressCodec.StringToBytes(bech)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "%s: %s", field, err)
	}
	return addr, nil
}

// PairDevice: the statement names this chain and the signer as owner; the owner's and the
// device's signatures over it verify; the device is not paired yet; the owner's current epoch
// envelope is re-sealed to exactly its devices, this one included.
func (s pairingServer) PairDevice(ctx context.Context, msg *types.MsgPairDevice) (*types.MsgPairDeviceResponse, error) {
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	st, err := types.ParsePairingStatement(msg.Statement)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := statementOf(sdkCtx, st.ChainID, st.OwnerPubKey, owner, msg.Owner); err != nil {
		return nil, err
	}
	signed := types.PairingSigningBytes(msg.Statement)
	if !types.VerifySecp256k1(st.OwnerPubKey, signed, msg.OwnerSignature) {
		return nil, errorsmod.Wrap(types.ErrOwnerSignature, "over the pairing statement")
	}
	if !types.VerifyEd25519(st.DevicePubKey, signed, msg.DeviceSignature) {
		return nil, errorsmod.Wrap(types.ErrPairDeviceSignature, "over the pairing statement")
	}
	if _, found, err := s.GetPairedDevice(ctx, st.DevicePubKey); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrapf(types.ErrDevicePaired, "%X", st.DevicePubKey)
	}
	o, _, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	if len(o.Devices) >= types.MaxOwnerDevices {
		return nil, errorsmod.Wrapf(types.ErrTooManyDevices, "%d", len(o.Devices))
	}
	o.PubKey = st.OwnerPubKey
	o.Devices = append(o.Devices, st.DevicePubKey)
	d := types.PairedDevice{Owner: msg.Owner, PubKey: st.DevicePubKey, X25519Key: st.DeviceX25519,
		Statement: msg.Statement, OwnerSignature: msg.OwnerSignature, DeviceSignature: msg.DeviceSignature}
	if err := s.putEpochEnvelope(ctx, msg.Owner, o, map[string][]byte{string(d.PubKey): d.X25519Key}, msg.EpochEnvelope); err != nil {
		return nil, err
	}
	if err := s.setProto(ctx, types.PairedDeviceKey(d.PubKey), &d); err != nil {
		return nil, err
	}
	if err := s.setProto(ctx, types.OwnerKey(owner), &o); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent("device_paired",
		sdk.NewAttribute("owner", msg.Owner), sdk.NewAttribute("device", hexKey(d.PubKey)),
		sdk.NewAttribute("epoch", strconv.FormatUint(o.Epoch, 10))))
	return &types.MsgPairDeviceResponse{Epoch: o.Epoch}, nil
}

// RemoveDevice: the owner's device leaves; its record is deleted and the owner's next epoch
// starts, sealed to the devices that stay, so nothing written from now on opens for it.
func (s pairingServer) RemoveDevice(ctx context.Context, msg *types.MsgRemoveDevice) (*types.MsgRemoveDeviceResponse, error) {
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	o, found, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrUnknownOwner, msg.Owner)
	}
	at := -1
	for i, dev := range o.Devices {
		if bytes.Equal(dev, msg.DevicePubKey) {
			at = i
		}
	}
	if at < 0 {
		return nil, errorsmod.Wrapf(types.ErrDeviceNotPaired, "%X", msg.DevicePubKey)
	}
	o.Devices = append(o.Devices[:at:at], o.Devices[at+1:]...)
	o.Epoch++
	if len(o.Devices) > 0 || len(msg.EpochEnvelope) > 0 {
		if err := s.putEpochEnvelope(ctx, msg.Owner, o, nil, msg.EpochEnvelope); err != nil {
			return nil, err
		}
	}
	if err := s.storeService.OpenKVStore(ctx).Delete(types.PairedDeviceKey(msg.DevicePubKey)); err != nil {
		return nil, err
	}
	if err := s.setProto(ctx, types.OwnerKey(owner), &o); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("device_removed",
		sdk.NewAttribute("owner", msg.Owner), sdk.NewAttribute("device", hexKey(msg.DevicePubKey)),
		sdk.NewAttribute("epoch", strconv.FormatUint(o.Epoch, 10))))
	return &types.MsgRemoveDeviceResponse{Epoch: o.Epoch}, nil
}

// putEpochEnvelope checks and stores the epoch envelope of o.Epoch: of this chain, at
// "epoch/<owner>/<epoch>" with version = epoch, signed by the owner, and wrapped to exactly the
// X25519 keys of o.Devices (`pending`: keys of devices not stored yet). An older envelope of
// the same epoch, with fewer wraps, is then refused: it wraps to another set.
func (s pairingServer) putEpochEnvelope(ctx context.Context, ownerBech string, o types.Owner, pending map[string][]byte, data []byte) error {
	e, err := types.ParseEnvelope(data)
	if err != nil {
		return err
	}
	if err := s.checkChain(ctx, e); err != nil {
		return err
	}
	if want := types.EpochRecordKey(ownerBech, o.Epoch); !bytes.Equal(e.RecordKey, want) {
		return errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "%q, want %q", e.RecordKey, want)
	}
	if e.Epoch != o.Epoch || e.Version != o.Epoch {
		return errorsmod.Wrapf(types.ErrEnvelopeEpoch, "epoch %d version %d, want %d", e.Epoch, e.Version, o.Epoch)
	}
	if e.WriterType != "secp256k1" || !bytes.Equal(e.WriterPubKey, o.PubKey) {
		return errorsmod.Wrap(types.ErrEnvelopeWriter, "an epoch envelope is the owner's")
	}
	if !e.VerifyWriter() {
		return errorsmod.Wrap(types.ErrEnvelopeSignature, "epoch envelope")
	}
	want := map[string]bool{}
	for _, dev := range o.Devices {
		x, ok := pending[string(dev)]
		if !ok {
			d, found, err := s.GetPairedDevice(ctx, dev)
			if err != nil {
				return err
			}
			if !found {
				return errorsmod.Wrapf(types.ErrDeviceNotPaired, "%X", dev)
			}
			x = d.X25519Key
		}
		want[string(x)] = true
	}
	for _, w := range e.Wraps {
		if !want[string(w.Recipient)] {
			return errorsmod.Wrapf(types.ErrEnvelopeWraps, "a wrap for %X, not a paired device (or twice)", w.Recipient)
		}
		delete(want, string(w.Recipient))
	}
	if len(want) != 0 {
		return errorsmod.Wrapf(types.ErrEnvelopeWraps, "%d paired device(s) without a wrap", len(want))
	}
	return s.setSealed(ctx, e.RecordKey, data)
}

// statementOf: a signed statement (pairing or grant) names this chain and an owner key whose
// account is the transaction's signer.
func statementOf(ctx sdk.Context, chainID string, ownerPub, signer []byte, signerBech string) error {
	if chainID != ctx.ChainID() {
		return errorsmod.Wrapf(types.ErrStatementChain, "%q, this chain is %q", chainID, ctx.ChainID())
	}
	if !bytes.Equal((&secp256k1.PubKey{Key: ownerPub}).Address(), signer) {
		return errorsmod.Wrap(types.ErrStatementOwner, signerBech)
	}
	return nil
}

func (s pairingServer) checkChain(ctx context.Context, e types.Envelope) error {
	if chain := sdk.UnwrapSDKContext(ctx).ChainID(); e.ChainID != chain {
		return errorsmod.Wrapf(types.ErrEnvelopeChain, "%q, this chain is %q", e.ChainID, chain)
	}
	return nil
}

// PutSealed: a settings envelope of this chain, at "settings/<owner>/<name>", sealed to the
// owner's current epoch, version one more than the stored one (1 for a new record), signed by
// the owner: a paired device writes only its own write/ records (MsgDeviceWrite), never the
// owner's settings, location or skills. The chain stores it as is and never opens it.
func (s pairingServer) PutSealed(ctx context.Context, msg *types.MsgPutSealed) (*types.MsgPutSealedResponse, error) {
	if _, err := s.address("submitter", msg.Submitter); err != nil {
		return nil, err
	}
	e, err := types.ParseEnvelope(msg.Envelope)
	if err != nil {
		return nil, err
	}
	if err := s.checkChain(ctx, e); err != nil {
		return nil, err
	}
	kind, ownerBech, _, err := types.SplitRecordKey(e.RecordKey)
	if err != nil {
		return nil, err
	}
	if kind != "settings" {
		return nil, errorsmod.Wrap(types.ErrEnvelopeRecordKey, "epoch envelopes come with PairDevice and RemoveDevice")
	}
	owner, err := s.addressCodec.StringToBytes(ownerBech)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "owner %q: %s", ownerBech, err)
	}
	if canonical, _ := s.addressCodec.BytesToString(owner); canonical != ownerBech {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "owner %q is not spelt %q", ownerBech, canonical)
	}
	o, found, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrUnknownOwner, ownerBech)
	}
	if e.Epoch != o.Epoch {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeEpoch, "epoch %d, the owner's is %d", e.Epoch, o.Epoch)
	}
	if e.WriterType != "secp256k1" || !bytes.Equal(e.WriterPubKey, o.PubKey) {
		if e.WriterType == "ed25519" && pairedTo(o, e.WriterPubKey) {
			return nil, errorsmod.Wrapf(types.ErrSettingsOwnerOnly, "device %X under %q", e.WriterPubKey, e.RecordKey)
		}
		return nil, errorsmod.Wrapf(types.ErrEnvelopeWriter, "%s %X", e.WriterType, e.WriterPubKey)
	}
	if !e.VerifyWriter() {
		return nil, errorsmod.Wrap(types.ErrEnvelopeSignature, "settings envelope")
	}
	var last uint64
	if old, err := s.GetSealed(ctx, e.RecordKey); err != nil {
		return nil, err
	} else if old != nil {
		prev, err := types.ParseEnvelope(old)
		if err != nil {
			return nil, err
		}
		last = prev.Version
	}
	if e.Version != last+1 {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeVersion, "%d, the next is %d", e.Version, last+1)
	}
	if err := s.setSealed(ctx, e.RecordKey, msg.Envelope); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("sealed_written",
		sdk.NewAttribute("key", string(e.RecordKey)), sdk.NewAttribute("version", strconv.FormatUint(e.Version, 10))))
	return &types.MsgPutSealedResponse{Version: e.Version}, nil
}

// pairedTo: device (an Ed25519 key) is one of the owner's paired devices.
func pairedTo(o types.Owner, device []byte) bool {
	for _, dev := range o.Devices {
		if bytes.Equal(dev, device) {
			return true
		}
	}
	return false
}

// Grant: an owner-signed statement {grantee, class, expiry} of this chain, not yet expired,
// stored with its signature so any reader who proves the record can check it again.
func (s pairingServer) Grant(ctx context.Context, msg *types.MsgGrant) (*types.MsgGrantResponse, error) {
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	g, err := types.ParseGrantStatement(msg.Statement)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := statementOf(sdkCtx, g.ChainID, g.OwnerPubKey, owner, msg.Owner); err != nil {
		return nil, err
	}
	if !types.VerifySecp256k1(g.OwnerPubKey, types.GrantSigningBytes(msg.Statement), msg.Signature) {
		return nil, errorsmod.Wrap(types.ErrOwnerSignature, "over the grant statement")
	}
	grantee, err := s.address("grantee", g.Grantee)
	if err != nil {
		return nil, err
	}
	if now := sdkCtx.BlockTime().Unix(); g.Expiry <= uint64(now) {
		return nil, errorsmod.Wrapf(types.ErrBadGrant, "expired at %d (block time %d)", g.Expiry, now)
	}
	o, _, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	name := g.Grantee + "/" + g.Class
	if indexOf(o.Grants, name) < 0 {
		if len(o.Grants) >= types.MaxOwnerGrants {
			return nil, errorsmod.Wrapf(types.ErrBadGrant, "an owner holds at most %d grants", types.MaxOwnerGrants)
		}
		o.Grants = append(o.Grants, name)
	}
	o.PubKey = g.OwnerPubKey
	if err := s.setProto(ctx, types.OwnerKey(owner), &o); err != nil {
		return nil, err
	}
	if err := s.setProto(ctx, types.GrantKey(owner, grantee, g.Class), &types.Grant{Statement: msg.Statement, Signature: msg.Signature}); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent("grant",
		sdk.NewAttribute("owner", msg.Owner), sdk.NewAttribute("grantee", g.Grantee), sdk.NewAttribute("class", g.Class)))
	return &types.MsgGrantResponse{}, nil
}

// Revoke: the owner deletes its grant (an absence proof then shows it is gone).
func (s pairingServer) Revoke(ctx context.Context, msg *types.MsgRevoke) (*types.MsgRevokeResponse, error) {
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	grantee, err := s.address("grantee", msg.Grantee)
	if err != nil {
		return nil, err
	}
	key := types.GrantKey(owner, grantee, msg.Class)
	if _, found, err := s.GetGrant(ctx, owner, grantee, msg.Class); err != nil {
		return nil, err
	} else if !found {
		return nil, errorsmod.Wrapf(types.ErrGrantNotFound, "%s %s", msg.Grantee, msg.Class)
	}
	if err := s.storeService.OpenKVStore(ctx).Delete(key); err != nil {
		return nil, err
	}
	// the class's next epoch: uploads prepared for the old grantees are refused (docs/grants.md)
	if err := s.bumpClassEpoch(ctx, owner, msg.Class); err != nil {
		return nil, err
	}
	o, _, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	if i := indexOf(o.Grants, msg.Grantee+"/"+msg.Class); i >= 0 {
		o.Grants = append(o.Grants[:i:i], o.Grants[i+1:]...)
		if err := s.setProto(ctx, types.OwnerKey(owner), &o); err != nil {
			return nil, err
		}
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("revoke",
		sdk.NewAttribute("owner", msg.Owner), sdk.NewAttribute("grantee", msg.Grantee), sdk.NewAttribute("class", msg.Class)))
	return &types.MsgRevokeResponse{}, nil
}

func hexKey(b []byte) string { return hex.EncodeToString(b) }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
