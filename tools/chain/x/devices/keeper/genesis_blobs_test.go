package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	devices "github.com/mycroft-lightclient/chain/x/devices"
	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// Data sharing goes through the genesis export: blob records, the class's epoch and count and
// the recipient keys, byte for byte under the same keys; the imported chain then numbers the
// next blob after them and still refuses the old epoch.
func TestSharingStateRoundTripsThroughGenesis(t *testing.T) {
	f := setup(t)
	ctx := f.ctx.WithBlockTime(time.Unix(1_900_000_000, 0))
	require.NoError(t, f.k.SetLayout(ctx))
	pairing := keeper.NewPairingMsgServerImpl(f.k)
	dev := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	device, _ := f.ac.BytesToString(dev.PubKey().Address())
	_, err := f.srv.RegisterDevice(ctx, registration(f, dev, chainID, f.ownerB))
	require.NoError(t, err)
	g1, g2 := account(f, "grantee-1"), account(f, "grantee-2")
	blobs := keeper.NewBlobMsgServerImpl(f.k)
	for i, g := range []string{g1, g2} {
		_, err = pairing.Grant(ctx, grantMsg(t, f, g, "voice", 1_900_000_100))
		require.NoError(t, err)
		_, err = blobs.SetRecipientKey(ctx, &types.MsgSetRecipientKey{Account: g, X25519Key: x25519Of(byte(i + 1))})
		require.NoError(t, err)
	}
	put := func(k keeper.Keeper, epoch uint64, recipients ...string) (*types.MsgPutBlobResponse, error) {
		return keeper.NewBlobMsgServerImpl(k).PutBlob(ctx, &types.MsgPutBlob{Device: device, Class: "voice",
			Sha256: make([]byte, 32), Size_: 9, Epoch: epoch, Recipients: recipients})
	}
	_, err = put(f.k, 0, g1, g2)
	require.NoError(t, err)
	_, err = pairing.Revoke(ctx, &types.MsgRevoke{Owner: f.owner, Grantee: g1, Class: "voice"})
	require.NoError(t, err)
	_, err = put(f.k, 1, g2)
	require.NoError(t, err)

	gs, err := devices.ExportGenesis(ctx, f.k)
	require.NoError(t, err)
	require.Len(t, gs.Sharing, 2+1+2) // two records, the class state, two keys
	require.NoError(t, gs.Validate())
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	bz, err := cdc.MarshalJSON(gs)
	require.NoError(t, err)

	g := setup(t)
	var back types.GenesisState
	require.NoError(t, cdc.UnmarshalJSON(bz, &back))
	require.NoError(t, devices.InitGenesis(g.ctx, g.k, &back))
	require.Equal(t, storeDump(t, f), storeDump(t, g))
	gctx := g.ctx.WithBlockTime(ctx.BlockTime())
	_, err = keeper.NewBlobMsgServerImpl(g.k).PutBlob(gctx, &types.MsgPutBlob{Device: device, Class: "voice",
		Sha256: make([]byte, 32), Size_: 9, Epoch: 0, Recipients: []string{g2}})
	require.ErrorIs(t, err, types.ErrBlobEpoch)
	res, err := keeper.NewBlobMsgServerImpl(g.k).PutBlob(gctx, &types.MsgPutBlob{Device: device, Class: "voice",
		Sha256: make([]byte, 32), Size_: 9, Epoch: 1, Recipients: []string{g2}})
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.Seq)
}

func TestAGenesisSharingRecordOutOfItsLayoutIsRefused(t *testing.T) {
	addr := make([]byte, 20)
	for _, bad := range []*types.GenesisSharingRecord{
		{Key: append([]byte{0x06}, addr...), Value: nil},                             // not sharing's prefix
		{Key: append(append([]byte{0x07}, addr...), 5, 'v'), Value: nil},             // no seq
		{Key: append(append([]byte{0x09}, addr...), 1), Value: nil},                  // a tail after the address
		{Key: append([]byte{0x09}, addr...), Value: []byte{0x0a, 0x01, 0x00}},        // a 1-byte key
		{Key: append(append([]byte{0x08}, addr...), 'v'), Value: []byte{0xff, 0xff}}, // not a ClassState
	} {
		gs := types.GenesisState{Sharing: []*types.GenesisSharingRecord{bad}}
		require.Error(t, gs.Validate(), "%x", bad.Key)
	}
	ok := &types.GenesisSharingRecord{Key: append(append([]byte{0x08}, addr...), 'v'), Value: []byte{0x08, 0x01}}
	require.NoError(t, (&types.GenesisState{Sharing: []*types.GenesisSharingRecord{ok}}).Validate())
	gs := types.GenesisState{Sharing: []*types.GenesisSharingRecord{ok, ok}}
	require.Error(t, gs.Validate()) // twice
}
