package keeper_test

import (
	"testing"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

const chainID = "mycroft-test-1"

type fixture struct {
	ctx    sdk.Context
	k      keeper.Keeper
	srv    types.MsgServer
	owner  string
	ownerB []byte
	ac     address.Codec
}

func setup(t *testing.T) fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	ac := addresscodec.NewBech32Codec("mycroft")
	k := keeper.NewKeeper(runtime.NewKVStoreService(key), cdc, ac)
	ownerB := secp256k1.GenPrivKeyFromSecret([]byte("owner")).PubKey().Address().Bytes()
	owner, err := ac.BytesToString(ownerB)
	require.NoError(t, err)
	return fixture{tc.Ctx.WithChainID(chainID), k, keeper.NewMsgServerImpl(k), owner, ownerB, ac}
}

func registration(f fixture, device *secp256k1.PrivKey, chain string, owner []byte) *types.MsgRegisterDevice {
	pub := device.PubKey().Bytes()
	sig, err := device.Sign(types.RegistrationStatement(chain, owner, pub))
	if err != nil {
		panic(err)
	}
	return &types.MsgRegisterDevice{Owner: f.owner, PubKey: pub, Settings: []byte("s1"), DeviceSignature: sig}
}

func TestRegisterWritesTheRecordUnderItsDocumentedKey(t *testing.T) {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	res, err := f.srv.RegisterDevice(f.ctx, registration(f, device, chainID, f.ownerB))
	require.NoError(t, err)
	addr := device.PubKey().Address().Bytes()
	want, _ := f.ac.BytesToString(addr)
	require.Equal(t, want, res.Address)

	d, found, err := f.k.GetDevice(f.ctx, addr)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(1), d.Version)
	require.Equal(t, append([]byte{0x01}, addr...), types.DeviceKey(addr))

	_, err = f.srv.RegisterDevice(f.ctx, registration(f, device, chainID, f.ownerB))
	require.ErrorIs(t, err, types.ErrDeviceExists)
}

func TestDeviceConsentIsBoundToChainAndOwner(t *testing.T) {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	_, err := f.srv.RegisterDevice(f.ctx, registration(f, device, "another-chain", f.ownerB))
	require.ErrorIs(t, err, types.ErrInvalidDeviceSignature)
	other := secp256k1.GenPrivKeyFromSecret([]byte("other")).PubKey().Address().Bytes()
	_, err = f.srv.RegisterDevice(f.ctx, registration(f, device, chainID, other))
	require.ErrorIs(t, err, types.ErrInvalidDeviceSignature)
	_, found, _ := f.k.GetDevice(f.ctx, device.PubKey().Address().Bytes())
	require.False(t, found)
}

func TestOnlyTheOwnerUpdatesSettings(t *testing.T) {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	res, err := f.srv.RegisterDevice(f.ctx, registration(f, device, chainID, f.ownerB))
	require.NoError(t, err)
	stranger, _ := f.ac.BytesToString(secp256k1.GenPrivKeyFromSecret([]byte("x")).PubKey().Address().Bytes())
	_, err = f.srv.UpdateSettings(f.ctx, &types.MsgUpdateSettings{Owner: stranger, Device: res.Address, Settings: []byte("s2")})
	require.ErrorIs(t, err, types.ErrNotOwner)
	up, err := f.srv.UpdateSettings(f.ctx, &types.MsgUpdateSettings{Owner: f.owner, Device: res.Address, Settings: []byte("s2")})
	require.NoError(t, err)
	require.Equal(t, uint64(2), up.Version)
}
