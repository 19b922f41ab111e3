package keeper_test

import (
	"context"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	storetypes "cosmossdk.io/store/types"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"
	"github.com/mycroft-lightclient/chain/x/payments"
	"github.com/mycroft-lightclient/chain/x/payments/keeper"
	"github.com/mycroft-lightclient/chain/x/payments/types"
)

const (
	chainID = "mycroft-test-1"
	denom   = "stake"
)

// fakeBank keeps balances by address; the module account is the name "payments".
type fakeBank struct{ balances map[string]sdk.Coins }

func (b *fakeBank) move(from, to string, amt sdk.Coins) error {
	rest, neg := b.balances[from].SafeSub(amt...)
	if neg {
		return sdkerrors.ErrInsufficientFunds
	}
	b.balances[from] = rest
	b.balances[to] = b.balances[to].Add(amt...)
	return nil
}
func (b *fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, m string, amt sdk.Coins) error {
	return b.move(from.String(), m, amt)
}
func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, m string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.move(m, to.String(), amt)
}

type fakeDevices map[string]devicestypes.Device

func (f fakeDevices) GetDevice(_ context.Context, addr []byte) (devicestypes.Device, bool, error) {
	d, ok := f[string(addr)]
	return d, ok, nil
}

type fixture struct {
	ctx                     sdk.Context
	srv                     types.MsgServer
	k                       keeper.Keeper
	bank                    *fakeBank
	owner, device, provider string
	other                   string
	spender                 *secp256k1.PrivKey
	devB                    []byte
}

var channelID = []byte("channel-0123456789")

func addr(name string) sdk.AccAddress {
	return sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte(name)).PubKey().Address())
}

func setup(t *testing.T) *fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	ac := addresscodec.NewBech32Codec("mycroft")
	str := func(a sdk.AccAddress) string { s, err := ac.BytesToString(a); require.NoError(t, err); return s }
	f := &fixture{owner: str(addr("owner")), device: str(addr("device")), provider: str(addr("provider")),
		other: str(addr("other")), spender: secp256k1.GenPrivKeyFromSecret([]byte("spender")), devB: addr("device")}
	// the bank's keys are sdk.AccAddress.String(), whatever the prefix
	f.bank = &fakeBank{map[string]sdk.Coins{addr("owner").String(): sdk.NewCoins(sdk.NewInt64Coin(denom, 100000)),
		addr("other").String(): sdk.NewCoins(sdk.NewInt64Coin(denom, 100000))}}
	devs := fakeDevices{string(addr("device")): {Owner: f.owner, PubKey: f.spender.PubKey().Bytes()},
		string(addr("others-device")): {Owner: f.other}}
	f.k = keeper.NewKeeper(runtime.NewKVStoreService(key), cdc, ac, f.bank, devs)
	f.srv = keeper.NewMsgServerImpl(f.k)
	f.ctx = tc.Ctx.WithChainID(chainID).WithBlockTime(time.Unix(1_700_000_000, 0))
	require.NoError(t, payments.InitGenesis(f.ctx, f.k, types.DefaultGenesis()))
	return f
}

func (f *fixture) open(t *testing.T, deposit int64) {
	_, err := f.srv.OpenChannel(f.ctx, &types.MsgOpenChannel{Owner: f.owner, ChannelId: channelID, Device: f.device,
		Spender: f.spender.PubKey().Bytes(), Provider: f.provider, Deposit: sdk.NewInt64Coin(denom, deposit), SettleDelayS: 60})
	require.NoError(t, err)
}

func (f *fixture) voucher(lane uint32, nonce, amount uint64) (*types.MsgRedeem, types.Voucher) {
	v := types.Voucher{ChainID: chainID, Channel: channelID, Lane: lane, Nonce: nonce, Amount: amount, Denom: denom}
	sig, err := f.spender.Sign(v.SignBytes())
	if err != nil {
		panic(err)
	}
	return &types.MsgRedeem{Provider: f.provider, Voucher: v.SignBytes(), Signature: sig}, v
}

func (f *fixture) redeem(lane uint32, nonce, amount uint64) (*types.MsgRedeemResponse, error) {
	m, _ := f.voucher(lane, nonce, amount)
	return f.srv.Redeem(f.ctx, m)
}

func (f *fixture) balance(who string) int64 {
	key := who
	if who != types.ModuleName {
		key = sdk.MustAccAddressFromBech32(who).String()
	}
	return f.bank.balances[key].AmountOf(denom).Int64()
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errorsmod.IsOf(err, want), "want %v, got %v", want, err)
}

func init() {
	sdk.GetConfig().SetBech32PrefixForAccount("mycroft", "mycroftpub")
}

func TestOpenChannel(t *testing.T) {
	f := setup(t)
	f.open(t, 5000)
	require.Equal(t, int64(95000), f.balance(f.owner))
	require.Equal(t, int64(5000), f.balance(types.ModuleName))
	c, found, err := f.k.GetChannel(f.ctx, channelID)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(5000), c.Deposit)
	require.Equal(t, f.spender.PubKey().Bytes(), c.Spender)

	base := types.MsgOpenChannel{Owner: f.owner, ChannelId: []byte("another-channel"), Device: f.device,
		Spender: f.spender.PubKey().Bytes(), Provider: f.provider, Deposit: sdk.NewInt64Coin(denom, 10), SettleDelayS: 60}
	bad := func(edit func(m *types.MsgOpenChannel), want error) {
		m := base
		edit(&m)
		_, err := f.srv.OpenChannel(f.ctx, &m)
		isErr(t, err, want)
	}
	bad(func(m *types.MsgOpenChannel) { m.ChannelId = channelID }, types.ErrChannelExists)
	bad(func(m *types.MsgOpenChannel) { m.Device = f.other }, types.ErrNotOwnersDevice) // not a device
	bad(func(m *types.MsgOpenChannel) { m.Owner = f.other }, types.ErrNotOwnersDevice)  // someone else's device
	bad(func(m *types.MsgOpenChannel) { m.ChannelId = []byte("short") }, types.ErrInvalidChannelID)
	bad(func(m *types.MsgOpenChannel) { m.Spender = m.Spender[1:] }, types.ErrInvalidSpender)
	bad(func(m *types.MsgOpenChannel) { m.SettleDelayS = 0 }, types.ErrInvalidSettleDelay)
	bad(func(m *types.MsgOpenChannel) { m.Deposit = sdk.NewInt64Coin(denom, 0) }, types.ErrInvalidDeposit)
	bad(func(m *types.MsgOpenChannel) { m.Deposit = sdk.NewInt64Coin(denom, 1_000_000) }, sdkerrors.ErrInsufficientFunds)
	require.Equal(t, int64(95000), f.balance(f.owner), "a refused opening moves nothing")
}

func TestRedeemPaysTheIncrease(t *testing.T) {
	f := setup(t)
	f.open(t, 5000)
	r, err := f.redeem(0, 1, 700)
	require.NoError(t, err)
	require.Equal(t, uint64(700), r.Paid)
	r, err = f.redeem(0, 5, 1000) // nonces may skip (the provider redeems only the latest)
	require.NoError(t, err)
	require.Equal(t, uint64(300), r.Paid)
	r, err = f.redeem(3, 1, 200) // another lane counts on its own
	require.NoError(t, err)
	require.Equal(t, uint64(200), r.Paid)
	require.Equal(t, uint64(1200), r.Redeemed)
	require.Equal(t, int64(1200), f.balance(f.provider))
	require.Equal(t, int64(3800), f.balance(types.ModuleName))
	c, _, _ := f.k.GetChannel(f.ctx, channelID)
	require.Equal(t, []*types.Lane{{Lane: 0, Nonce: 5, Amount: 1000}, {Lane: 3, Nonce: 1, Amount: 200}}, c.Lanes)
}

func TestRedeemRefusals(t *testing.T) {
	f := setup(t)
	f.open(t, 5000)
	_, err := f.redeem(0, 5, 1000)
	require.NoError(t, err)

	_, err = f.redeem(0, 5, 1000) // the same voucher again
	isErr(t, err, types.ErrNonceUsed)
	_, err = f.redeem(0, 4, 2000) // an older nonce
	isErr(t, err, types.ErrNonceUsed)
	_, err = f.redeem(0, 6, 1000) // a new nonce, no more money
	isErr(t, err, types.ErrAmountNotIncreasing)
	_, err = f.redeem(0, 7, 900)
	isErr(t, err, types.ErrAmountNotIncreasing)
	_, err = f.redeem(1, 1, 4001) // over what is left of the deposit
	isErr(t, err, types.ErrInsufficientDeposit)

	m, _ := f.voucher(0, 8, 1500)
	m.Signature[5] ^= 1 // forged
	_, err = f.srv.Redeem(f.ctx, m)
	isErr(t, err, types.ErrVoucherSignature)
	other := secp256k1.GenPrivKeyFromSecret([]byte("not the spender"))
	m, _ = f.voucher(0, 8, 1500)
	m.Signature, _ = other.Sign(m.Voucher)
	_, err = f.srv.Redeem(f.ctx, m)
	isErr(t, err, types.ErrVoucherSignature)

	m, _ = f.voucher(0, 8, 1500)
	m.Provider = f.other
	_, err = f.srv.Redeem(f.ctx, m)
	isErr(t, err, types.ErrNotProvider)

	sign := func(v types.Voucher) *types.MsgRedeem {
		sig, _ := f.spender.Sign(v.SignBytes())
		return &types.MsgRedeem{Provider: f.provider, Voucher: v.SignBytes(), Signature: sig}
	}
	_, err = f.srv.Redeem(f.ctx, sign(types.Voucher{ChainID: "other-chain", Channel: channelID, Nonce: 9, Amount: 1600, Denom: denom}))
	isErr(t, err, types.ErrVoucherChain)
	_, err = f.srv.Redeem(f.ctx, sign(types.Voucher{ChainID: chainID, Channel: channelID, Nonce: 9, Amount: 1600, Denom: "umyc"}))
	isErr(t, err, types.ErrVoucherDenom)
	_, err = f.srv.Redeem(f.ctx, sign(types.Voucher{ChainID: chainID, Channel: []byte("no-such-channel"), Nonce: 9, Amount: 1600, Denom: denom}))
	isErr(t, err, types.ErrChannelNotFound)
	_, err = f.srv.Redeem(f.ctx, &types.MsgRedeem{Provider: f.provider, Voucher: []byte("mycroft-lc/voucher/v1\x00"), Signature: m.Signature})
	isErr(t, err, types.ErrInvalidVoucher)

	require.Equal(t, int64(1000), f.balance(f.provider), "nothing refused was paid")
	for lane := uint32(1); lane < types.MaxLanes; lane++ {
		_, err = f.redeem(lane, 1, 1)
		require.NoError(t, err)
	}
	_, err = f.redeem(types.MaxLanes, 1, 1)
	isErr(t, err, types.ErrTooManyLanes)
}

func TestSettleAndReclaim(t *testing.T) {
	f := setup(t)
	f.open(t, 5000)
	_, err := f.redeem(0, 1, 1000)
	require.NoError(t, err)
	_, err = f.srv.Reclaim(f.ctx, &types.MsgReclaim{Owner: f.owner, ChannelId: channelID})
	isErr(t, err, types.ErrSettleDelayNotOver) // not settling

	_, err = f.srv.StartSettle(f.ctx, &types.MsgStartSettle{Owner: f.other, ChannelId: channelID})
	isErr(t, err, types.ErrNotOwner)
	r, err := f.srv.StartSettle(f.ctx, &types.MsgStartSettle{Owner: f.owner, ChannelId: channelID})
	require.NoError(t, err)
	require.Equal(t, f.ctx.BlockTime().Unix()+60, r.SettleAt)
	_, err = f.srv.StartSettle(f.ctx, &types.MsgStartSettle{Owner: f.owner, ChannelId: channelID})
	isErr(t, err, types.ErrChannelSettling)
	_, err = f.srv.TopUp(f.ctx, &types.MsgTopUp{Owner: f.owner, ChannelId: channelID, Amount: sdk.NewInt64Coin(denom, 1)})
	isErr(t, err, types.ErrChannelSettling)

	f.ctx = f.ctx.WithBlockTime(f.ctx.BlockTime().Add(59 * time.Second))
	_, err = f.srv.Reclaim(f.ctx, &types.MsgReclaim{Owner: f.owner, ChannelId: channelID})
	isErr(t, err, types.ErrSettleDelayNotOver)
	_, err = f.redeem(0, 2, 1800) // a newer voucher within the delay still wins
	require.NoError(t, err)

	f.ctx = f.ctx.WithBlockTime(f.ctx.BlockTime().Add(time.Second))
	_, err = f.redeem(0, 3, 1900)
	isErr(t, err, types.ErrChannelSettled)
	_, err = f.srv.Reclaim(f.ctx, &types.MsgReclaim{Owner: f.other, ChannelId: channelID})
	isErr(t, err, types.ErrNotOwner)
	rr, err := f.srv.Reclaim(f.ctx, &types.MsgReclaim{Owner: f.owner, ChannelId: channelID})
	require.NoError(t, err)
	require.Equal(t, uint64(3200), rr.Returned)
	require.Equal(t, int64(95000+3200), f.balance(f.owner))
	require.Equal(t, int64(1800), f.balance(f.provider))
	require.Equal(t, int64(0), f.balance(types.ModuleName))

	_, err = f.srv.Reclaim(f.ctx, &types.MsgReclaim{Owner: f.owner, ChannelId: channelID})
	isErr(t, err, types.ErrChannelClosed)
	_, err = f.redeem(1, 1, 1)
	isErr(t, err, types.ErrChannelClosed)
}

func TestTopUp(t *testing.T) {
	f := setup(t)
	f.open(t, 100)
	_, err := f.redeem(0, 1, 150)
	isErr(t, err, types.ErrInsufficientDeposit)
	r, err := f.srv.TopUp(f.ctx, &types.MsgTopUp{Owner: f.owner, ChannelId: channelID, Amount: sdk.NewInt64Coin(denom, 100)})
	require.NoError(t, err)
	require.Equal(t, uint64(200), r.Deposit)
	_, err = f.redeem(0, 1, 150)
	require.NoError(t, err)
	_, err = f.srv.TopUp(f.ctx, &types.MsgTopUp{Owner: f.owner, ChannelId: channelID, Amount: sdk.NewInt64Coin("other", 1)})
	isErr(t, err, types.ErrInvalidDeposit)
	_, err = f.srv.TopUp(f.ctx, &types.MsgTopUp{Owner: f.other, ChannelId: channelID, Amount: sdk.NewInt64Coin(denom, 1)})
	isErr(t, err, types.ErrNotOwner)
}

func TestGenesisRoundTrip(t *testing.T) {
	f := setup(t)
	f.open(t, 5000)
	_, err := f.redeem(2, 1, 10)
	require.NoError(t, err)
	gs, err := payments.ExportGenesis(f.ctx, f.k)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	g := setup(t)
	require.NoError(t, payments.InitGenesis(g.ctx, g.k, gs))
	c, found, err := g.k.GetChannel(g.ctx, channelID)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(10), c.Redeemed)
	dup := &types.GenesisState{Channels: []*types.Channel{gs.Channels[0], gs.Channels[0]}}
	require.ErrorContains(t, dup.Validate(), "duplicate")
}

func TestOpenChannelWithoutSpenderTakesTheDevicesAccountKey(t *testing.T) {
	f := setup(t)
	_, err := f.srv.OpenChannel(f.ctx, &types.MsgOpenChannel{Owner: f.owner, ChannelId: channelID, Device: f.device,
		Provider: f.provider, Deposit: sdk.NewInt64Coin(denom, 100), SettleDelayS: 60})
	require.NoError(t, err)
	c, _, err := f.k.GetChannel(f.ctx, channelID)
	require.NoError(t, err)
	require.Equal(t, f.spender.PubKey().Bytes(), c.Spender) // the fake device record's key
	r, err := f.redeem(0, 1, 40)
	require.NoError(t, err)
	require.Equal(t, uint64(40), r.Paid)
}
