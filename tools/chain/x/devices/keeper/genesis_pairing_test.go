package keeper_test

import (
	"testing"
	"time"

	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/stretchr/testify/require"

	devices "github.com/mycroft-lightclient/chain/x/devices"
	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// storeDump is every key and value of the module's store.
func storeDump(t *testing.T, f fixture) map[string]string {
	it, err := f.k.StoreIterator(f.ctx)
	require.NoError(t, err)
	defer it.Close()
	out := map[string]string{}
	for ; it.Valid(); it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	return out
}

// The pairing state goes through the genesis export: a chain started from it holds the same
// owners, epochs, paired devices, envelopes and grants, byte for byte under the same keys.
func TestPairingStateRoundTripsThroughGenesis(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := keeper.NewPairingMsgServerImpl(f.k)
	ctx := f.ctx.WithBlockTime(time.Unix(1_900_000_000, 0))
	require.NoError(t, f.k.SetLayout(ctx)) // as the chain's own genesis writes it
	_, err := srv.PairDevice(ctx, pairMsg(v.Owner.Address, v.Pair1))
	require.NoError(t, err)
	_, err = srv.PutSealed(ctx, put(v, v.SettingsV1Owner))
	require.NoError(t, err)
	_, err = srv.Grant(ctx, &types.MsgGrant{Owner: v.Owner.Address, Statement: hx(v.Grant.Statement),
		Signature: hx(v.Grant.Signature)})
	require.NoError(t, err)

	gs, err := devices.ExportGenesis(ctx, f.k)
	require.NoError(t, err)
	require.Len(t, gs.Paired, 1)
	require.Len(t, gs.Owners, 1)
	require.Len(t, gs.Sealed, 2) // the epoch envelope and the setting
	require.Len(t, gs.Grants, 1)
	require.NoError(t, gs.Validate())
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	bz, err := cdc.MarshalJSON(gs)
	require.NoError(t, err)

	g := setup(t)
	var back types.GenesisState
	require.NoError(t, cdc.UnmarshalJSON(bz, &back))
	require.NoError(t, devices.InitGenesis(g.ctx, g.k, &back))
	require.Equal(t, storeDump(t, f), storeDump(t, g))

	// what the module then checks against the imported state: the same envelope again is a
	// replay of the stored version
	_, err = keeper.NewPairingMsgServerImpl(g.k).PutSealed(g.ctx, put(v, v.SettingsV1Owner))
	require.ErrorIs(t, err, types.ErrEnvelopeVersion)
}

func TestAGenesisEnvelopeUnderAnotherRecordKeyIsRefused(t *testing.T) {
	v := loadVectors(t)
	env := hx(v.SettingsV1Owner)
	gs := types.GenesisState{Sealed: []*types.GenesisSealed{{RecordKey: []byte("settings/x/y"), Envelope: env}}}
	require.ErrorContains(t, gs.Validate(), "another record key")
}
