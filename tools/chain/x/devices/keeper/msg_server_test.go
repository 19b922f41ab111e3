package keeper_test

import (
	"context"
	"testing"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

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
	accs   *fakeAccounts
	bank   *fakeBank
}

// fakeAccounts and fakeBank record what registration asks of x/auth and x/bank.
type fakeAccounts struct{ accs map[string]sdk.AccountI }

func (f *fakeAccounts) HasAccount(_ context.Context, a sdk.AccAddress) bool {
	_, ok := f.accs[a.String()]
	return ok
}
func (f *fakeAccounts) NewAccountWithAddress(_ context.Context, a sdk.AccAddress) sdk.AccountI {
	return authtypes.NewBaseAccountWithAddress(a)
}
func (f *fakeAccounts) SetAccount(_ context.Context, acc sdk.AccountI) {
	f.accs[acc.GetAddress().String()] = acc
}

type fakeBank struct {
	balances map[string]sdk.Coins
}

func (b *fakeBank) SendCoins(_ context.Context, from, to sdk.AccAddress, amt sdk.Coins) error {
	have := b.balances[from.String()]
	rest, neg := have.SafeSub(amt...)
	if neg {
		return sdkerrors.ErrInsufficientFunds
	}
	b.balances[from.String()] = rest
	b.balances[to.String()] = b.balances[to.String()].Add(amt...)
	return nil
}

func setup(t *testing.T) fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	ac := addresscodec.NewBech32Codec("mycroft")
	accs := &fakeAccounts{map[string]sdk.AccountI{}}
	ownerB := secp256k1.GenPrivKeyFromSecret([]byte("owner")).PubKey().Address().Bytes()
	bank := &fakeBank{map[string]sdk.Coins{sdk.AccAddress(ownerB).String(): sdk.NewCoins(sdk.NewInt64Coin("stake", 1000))}}
	k := keeper.NewKeeper(runtime.NewKVStoreService(key), cdc, ac, accs, bank)
	owner, err := ac.BytesToString(ownerB)
	require.NoError(t, err)
	return fixture{tc.Ctx.WithChainID(chainID), k, keeper.NewMsgServerImpl(k), owner, ownerB, ac, accs, bank}
}

func registration(f fixture, device *secp256k1.PrivKey, chain string, owner []byte) *types.MsgRegisterDevice {
	pub := device.PubKey().Bytes()
	sig, err := device.Sign(types.RegistrationStatement(chain, owner, pub))
	if err != nil {
		panic(err)
	}
	return &types.MsgRegisterDevice{Owner: f.owner, PubKey: pub, DeviceSignature: sig}
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

func TestNoPlaintextSettingsPath(t *testing.T) {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	msg := registration(f, device, chainID, f.ownerB)
	msg.Settings = []byte("lang=de")
	_, err := f.srv.RegisterDevice(f.ctx, msg)
	require.ErrorIs(t, err, types.ErrPlaintextSettings)
	msg.Settings = nil
	res, err := f.srv.RegisterDevice(f.ctx, msg)
	require.NoError(t, err)
	_, err = f.srv.UpdateSettings(f.ctx, &types.MsgUpdateSettings{Owner: f.owner, Device: res.Address, Settings: []byte("s2")})
	require.ErrorIs(t, err, types.ErrPlaintextSettings)
}

func TestRegistrationCreatesAndFundsTheDeviceAccount(t *testing.T) {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	addr := sdk.AccAddress(device.PubKey().Address())
	msg := registration(f, device, chainID, f.ownerB)
	msg.Funding = sdk.NewCoins(sdk.NewInt64Coin("stake", 300))
	_, err := f.srv.RegisterDevice(f.ctx, msg)
	require.NoError(t, err)
	require.True(t, f.accs.HasAccount(f.ctx, addr))
	require.Equal(t, "300stake", f.bank.balances[addr.String()].String())
	require.Equal(t, "700stake", f.bank.balances[sdk.AccAddress(f.ownerB).String()].String())

	// an owner who cannot pay the funding registers nothing (the tx fails as a whole; here the
	// handler's error is what the SDK turns into a rollback)
	other := secp256k1.GenPrivKeyFromSecret([]byte("device 2"))
	msg = registration(f, other, chainID, f.ownerB)
	msg.Funding = sdk.NewCoins(sdk.NewInt64Coin("stake", 5000))
	_, err = f.srv.RegisterDevice(f.ctx, msg)
	require.ErrorIs(t, err, sdkerrors.ErrInsufficientFunds)
}
