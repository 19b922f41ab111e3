package keeper_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// grantMsg: the owner of setup() signs a grant statement (docs/chain-pairing.md) here.
func grantMsg(t *testing.T, f fixture, grantee, class string, expiry uint64) *types.MsgGrant {
	owner := secp256k1.GenPrivKeyFromSecret([]byte("owner"))
	enc, err := cbor.CoreDetEncOptions().EncMode()
	require.NoError(t, err)
	st, err := enc.Marshal(map[uint64]any{0: "mycroft-lc/grant/v1", 1: chainID,
		2: owner.PubKey().Bytes(), 3: grantee, 4: class, 5: expiry})
	require.NoError(t, err)
	sig, err := owner.Sign(types.GrantSigningBytes(st))
	require.NoError(t, err)
	return &types.MsgGrant{Owner: f.owner, Statement: st, Signature: sig}
}

func account(f fixture, label string) string {
	a, _ := f.ac.BytesToString(secp256k1.GenPrivKeyFromSecret([]byte(label)).PubKey().Address())
	return a
}

func x25519Of(b byte) []byte {
	k := make([]byte, 32)
	k[0] = b
	return k
}

func TestBlobsAreIndexedOnlyWhileAGrantOfTheirClassIsInForce(t *testing.T) {
	f := setup(t)
	ctx := f.ctx.WithBlockTime(time.Unix(1_900_000_000, 0))
	pairing := keeper.NewPairingMsgServerImpl(f.k)
	blobs := keeper.NewBlobMsgServerImpl(f.k)
	dev := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	device, _ := f.ac.BytesToString(dev.PubKey().Address())
	g1, g2 := account(f, "grantee-1"), account(f, "grantee-2")
	hash := make([]byte, 32)
	hash[31] = 7
	blob := func(class string, epoch uint64, recipients ...string) *types.MsgPutBlob {
		return &types.MsgPutBlob{Device: device, Class: class, Sha256: hash, Size_: 100, Epoch: epoch, Recipients: recipients}
	}

	_, err := blobs.PutBlob(ctx, blob("voice", 0, g1))
	require.ErrorIs(t, err, types.ErrDeviceNotFound)
	_, err = f.srv.RegisterDevice(ctx, registration(f, dev, chainID, f.ownerB))
	require.NoError(t, err)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g1))
	require.ErrorIs(t, err, types.ErrNoGrant) // no grant at all

	_, err = pairing.Grant(ctx, grantMsg(t, f, g1, "voice", 1_900_000_100))
	require.NoError(t, err)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g1))
	require.ErrorIs(t, err, types.ErrNoRecipientKey)
	for _, bad := range [][]byte{make([]byte, 32), make([]byte, 31)} {
		_, err = blobs.SetRecipientKey(ctx, &types.MsgSetRecipientKey{Account: g1, X25519Key: bad})
		require.ErrorIs(t, err, types.ErrBadRecipientKey)
	}
	_, err = blobs.SetRecipientKey(ctx, &types.MsgSetRecipientKey{Account: g1, X25519Key: x25519Of(1)})
	require.NoError(t, err)

	for _, bad := range []*types.MsgPutBlob{
		{Device: device, Class: "voice", Sha256: hash[:31], Size_: 1, Recipients: []string{g1}},
		{Device: device, Class: "voice", Sha256: hash, Size_: 0, Recipients: []string{g1}},
		{Device: device, Class: "voice", Sha256: hash, Size_: types.MaxBlobSize + 1, Recipients: []string{g1}},
		{Device: device, Class: "", Sha256: hash, Size_: 1, Recipients: []string{g1}},
	} {
		_, err = blobs.PutBlob(ctx, bad)
		require.ErrorIs(t, err, types.ErrBadBlob)
	}
	_, err = blobs.PutBlob(ctx, blob("skills", 0, g1))
	require.ErrorIs(t, err, types.ErrNoGrant) // another class
	_, err = blobs.PutBlob(ctx, blob("voice", 0))
	require.ErrorIs(t, err, types.ErrBlobRecipients)
	_, err = blobs.PutBlob(ctx, blob("voice", 1, g1))
	require.ErrorIs(t, err, types.ErrBlobEpoch)
	res, err := blobs.PutBlob(ctx, blob("voice", 0, g1))
	require.NoError(t, err)
	require.Equal(t, uint64(0), res.Seq)

	// the record under its documented key
	key := append(append(append([]byte{0x07}, f.ownerB...), 5), "voice"...)
	key = binary.BigEndian.AppendUint64(key, 0)
	require.Equal(t, key, types.BlobKey(f.ownerB, "voice", 0))
	bz, err := f.k.StoreGet(ctx, key)
	require.NoError(t, err)
	var rec types.BlobRecord
	require.NoError(t, rec.Unmarshal(bz))
	require.Equal(t, types.BlobRecord{Class: "voice", Device: device, Sha256: hash, Size_: 100, Epoch: 0,
		Time: 1_900_000_000, Recipients: []string{g1}}, rec)

	// a second grantee: every upload is sealed to both, in grant order
	_, err = pairing.Grant(ctx, grantMsg(t, f, g2, "voice", 1_900_000_200))
	require.NoError(t, err)
	_, err = blobs.SetRecipientKey(ctx, &types.MsgSetRecipientKey{Account: g2, X25519Key: x25519Of(2)})
	require.NoError(t, err)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g1))
	require.ErrorIs(t, err, types.ErrBlobRecipients)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g2, g1))
	require.ErrorIs(t, err, types.ErrBlobRecipients)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g1, g2))
	require.NoError(t, err)

	// revoking g1 starts epoch 1: an upload prepared for epoch 0 (sealed to g1 too) is refused
	_, err = pairing.Revoke(ctx, &types.MsgRevoke{Owner: f.owner, Grantee: g1, Class: "voice"})
	require.NoError(t, err)
	_, err = blobs.PutBlob(ctx, blob("voice", 0, g2))
	require.ErrorIs(t, err, types.ErrBlobEpoch)
	_, err = blobs.PutBlob(ctx, blob("voice", 1, g1, g2))
	require.ErrorIs(t, err, types.ErrBlobRecipients)
	res, err = blobs.PutBlob(ctx, blob("voice", 1, g2))
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.Seq)
	bz, err = f.k.StoreGet(ctx, types.ClassStateKey(f.ownerB, "voice"))
	require.NoError(t, err)
	var st types.ClassState
	require.NoError(t, st.Unmarshal(bz))
	require.Equal(t, types.ClassState{Epoch: 1, Blobs: 3}, st)

	// past g2's expiry no grant of the class is in force
	_, err = blobs.PutBlob(ctx.WithBlockTime(time.Unix(1_900_000_200, 0)), blob("voice", 1, g2))
	require.ErrorIs(t, err, types.ErrNoGrant)
}

// An owner record whose grant index names a grant that is not stored (a state no message makes,
// but a genesis could) grants nothing: a blob with no recipients is not let through.
func TestAStaleGrantIndexEntryGrantsNothing(t *testing.T) {
	f := setup(t)
	owner := secp256k1.GenPrivKeyFromSecret([]byte("owner"))
	gs := types.GenesisState{Owners: []*types.Owner{{PubKey: owner.PubKey().Bytes(),
		Grants: []string{account(f, "grantee-1") + "/voice"}}}}
	require.NoError(t, gs.Validate())
	require.NoError(t, f.k.SetPairingGenesis(f.ctx, &gs))
	dev := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	_, err := f.srv.RegisterDevice(f.ctx, registration(f, dev, chainID, f.ownerB))
	require.NoError(t, err)
	device, _ := f.ac.BytesToString(dev.PubKey().Address())
	_, err = keeper.NewBlobMsgServerImpl(f.k).PutBlob(f.ctx, &types.MsgPutBlob{Device: device,
		Class: "voice", Sha256: make([]byte, 32), Size_: 1})
	require.ErrorIs(t, err, types.ErrNoGrant)
}
