package keeper_test

import (
	"context"
	"crypto/sha256"
	"testing"

	"cosmossdk.io/core/header"
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
	"github.com/mycroft-lightclient/chain/x/servicerewards"
	"github.com/mycroft-lightclient/chain/x/servicerewards/keeper"
	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

const (
	chainID = "mycroft-test-1"
	denom   = "stake"
)

func init() { sdk.GetConfig().SetBech32PrefixForAccount("mycroft", "mycroftpub") }

// fakeBank keeps balances by address; the module account is the name "servicerewards".
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

type device struct {
	key  *secp256k1.PrivKey
	addr sdk.AccAddress
	bech string
}

type fixture struct {
	t      *testing.T
	ctx    sdk.Context
	srv    types.MsgServer
	k      keeper.Keeper
	bank   *fakeBank
	height int64
	owners map[string]string // "A", "B", "C" -> bech32
	devs   map[string]device // "A1", "A2", "B1", "B2", "C1", "X" (X is not registered)
	p      types.Params
}

func bech(t *testing.T, a sdk.AccAddress) string {
	s, err := addresscodec.NewBech32Codec("mycroft").BytesToString(a)
	require.NoError(t, err)
	return s
}

func setup(t *testing.T) *fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	ac := addresscodec.NewBech32Codec("mycroft")
	f := &fixture{t: t, owners: map[string]string{}, devs: map[string]device{}, p: types.DefaultParams(),
		bank: &fakeBank{map[string]sdk.Coins{}}}
	f.p.EpochBlocks = 10 // the heights below assume epochs of 10 blocks
	registered := fakeDevices{}
	for _, o := range []string{"A", "B", "C"} {
		a := sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte("owner " + o)).PubKey().Address())
		f.owners[o] = bech(t, a)
		f.bank.balances[a.String()] = sdk.NewCoins(sdk.NewInt64Coin(denom, 1_000_000))
	}
	for _, name := range []string{"A1", "A2", "B1", "B2", "C1", "X"} {
		k := secp256k1.GenPrivKeyFromSecret([]byte("device " + name))
		d := device{key: k, addr: sdk.AccAddress(k.PubKey().Address())}
		d.bech = bech(t, d.addr)
		f.devs[name] = d
		if name != "X" {
			registered[string(d.addr)] = devicestypes.Device{Owner: f.owners[name[:1]], PubKey: k.PubKey().Bytes()}
		}
	}
	f.k = keeper.NewKeeper(runtime.NewKVStoreService(key), cdc, ac, f.bank, registered)
	f.srv = keeper.NewMsgServerImpl(f.k)
	f.ctx = tc.Ctx.WithChainID(chainID)
	require.NoError(t, servicerewards.InitGenesis(f.ctx, f.k, &types.GenesisState{Params: &f.p}))
	f.advance(1)
	return f
}

func blockHash(h int64) []byte { s := sha256.Sum256([]byte{byte(h), byte(h >> 8), 'b'}); return s[:] }

// advance runs BeginBlock for each height up to `to` (each with its own block hash).
func (f *fixture) advance(to int64) {
	for f.height < to {
		f.height++
		f.ctx = f.ctx.WithBlockHeight(f.height).WithHeaderInfo(header.Info{Height: f.height, Hash: blockHash(f.height), ChainID: chainID})
		require.NoError(f.t, f.k.BeginBlock(f.ctx))
	}
}

func (f *fixture) bond(dev string, amount int64) error {
	_, err := f.srv.Bond(f.ctx, &types.MsgBond{Owner: f.owners[dev[:1]], Device: f.devs[dev].bech,
		Amount: sdk.NewInt64Coin(denom, amount)})
	return err
}

func (f *fixture) fund(amount int64) {
	_, err := f.srv.FundPool(f.ctx, &types.MsgFundPool{Funder: f.owners["C"], Amount: sdk.NewInt64Coin(denom, amount)})
	require.NoError(f.t, err)
}

// receipt: `client` signs that `server` served it the header at `height`.
func (f *fixture) receipt(server, client string, height int64, edit func(*types.Receipt)) *types.SignedReceipt {
	r := types.Receipt{ChainID: chainID, Server: f.devs[server].addr, Client: f.devs[client].addr,
		Height: uint64(height), Hash: blockHash(height)}
	if edit != nil {
		edit(&r)
	}
	sig, err := f.devs[client].key.Sign(r.SignBytes())
	require.NoError(f.t, err)
	return &types.SignedReceipt{Receipt: r.SignBytes(), Signature: sig}
}

// submit runs the message as a transaction does: its writes are kept only when it succeeds.
func (f *fixture) submit(rs ...*types.SignedReceipt) error {
	cc, write := f.ctx.CacheContext()
	_, err := f.srv.SubmitReceipts(cc, &types.MsgSubmitReceipts{Submitter: f.owners["C"], Receipts: rs})
	if err == nil {
		write()
	}
	return err
}

func (f *fixture) balance(owner string) int64 {
	return f.bank.balances[sdk.MustAccAddressFromBech32(f.owners[owner]).String()].AmountOf(denom).Int64()
}

func isErr(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errorsmod.IsOf(err, want), "want %v, got %v", want, err)
}

// bonded: A1, A2, B1, B2 bonded with min_bond (cap: one receipt per epoch each), pool funded.
func bonded(t *testing.T) *fixture {
	f := setup(t)
	for _, d := range []string{"A1", "A2", "B1", "B2"} {
		require.NoError(t, f.bond(d, int64(f.p.MinBond)))
	}
	f.fund(10_000)
	return f
}

func TestTwoOwnersServeEachOtherAndArePaidAfterTheEpoch(t *testing.T) {
	f := bonded(t)
	f.advance(5) // epoch 0
	aBefore, bBefore := f.balance("A"), f.balance("B")
	require.NoError(t, f.submit(f.receipt("A1", "B1", 4, nil), f.receipt("B1", "A1", 5, nil)))
	f.advance(19) // epoch 1: epoch 0 still open, not paid
	require.Equal(t, aBefore, f.balance("A"))
	f.advance(20) // first block of epoch 2 pays epoch 0
	require.Equal(t, aBefore+100, f.balance("A"))
	require.Equal(t, bBefore+100, f.balance("B"))
	b, _, err := f.k.GetBond(f.ctx, f.devs["A1"].addr)
	require.NoError(t, err)
	require.Equal(t, f.p.UnbondLockEpochs, b.LockedUntilEpoch) // epoch 0 + lock
	// the epoch's receipts are now refused (its window closed), even new ones
	isErr(t, f.submit(f.receipt("A1", "B2", 5, nil)), types.ErrHeaderUnknown)
}

func TestEveryRefusalHasItsCode(t *testing.T) {
	f := bonded(t)
	require.NoError(t, f.bond("C1", int64(f.p.MinBond)))
	f.advance(12)
	sig := func(r *types.SignedReceipt) *types.SignedReceipt { r.Signature[5] ^= 1; return r }
	cases := []struct {
		name string
		r    *types.SignedReceipt
		want error
	}{
		{"bytes", &types.SignedReceipt{Receipt: []byte("mycroft-lc/receipt/v1\x00x"), Signature: make([]byte, 64)}, types.ErrInvalidReceipt},
		{"signature length", &types.SignedReceipt{Receipt: f.receipt("A1", "B1", 12, nil).Receipt, Signature: []byte{1}}, types.ErrReceiptSignature},
		{"chain", f.receipt("A1", "B1", 12, func(r *types.Receipt) { r.ChainID = "other-1" }), types.ErrReceiptChain},
		{"self", f.receipt("A1", "A1", 12, nil), types.ErrSelfService},
		{"unknown server", f.receipt("X", "B1", 12, nil), types.ErrUnknownDevice},
		{"unknown client", f.receipt("A1", "X", 12, nil), types.ErrUnknownDevice},
		{"signature", sig(f.receipt("A1", "B1", 12, nil)), types.ErrReceiptSignature},
		{"future height", f.receipt("A1", "B1", 13, nil), types.ErrHeaderUnknown},
		{"hash", f.receipt("A1", "B1", 12, func(r *types.Receipt) { r.Hash = blockHash(11) }), types.ErrHeaderMismatch},
		{"same owner", f.receipt("A1", "A2", 12, nil), types.ErrSameOwner},
		{"client unbonded", f.receipt("B1", "X", 12, nil), types.ErrUnknownDevice},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { isErr(t, f.submit(c.r), c.want) })
	}
	isErr(t, f.submit(), types.ErrBatchSize)
	many := make([]*types.SignedReceipt, types.MaxReceiptsPerMsg+1)
	for i := range many {
		many[i] = f.receipt("A1", "B1", 12, nil)
	}
	isErr(t, f.submit(many...), types.ErrBatchSize)
	// a batch is all or none: a good receipt before a bad one is not counted
	isErr(t, f.submit(f.receipt("A1", "B1", 12, nil), f.receipt("A1", "A2", 12, nil)), types.ErrSameOwner)
	require.NoError(t, f.submit(f.receipt("A1", "B1", 12, nil)))
	// a replay, also at another height of the same epoch
	isErr(t, f.submit(f.receipt("A1", "B1", 12, nil)), types.ErrDuplicateReceipt)
	isErr(t, f.submit(f.receipt("A1", "B1", 11, nil)), types.ErrDuplicateReceipt)
}

func TestSybilDevicesWithoutABondEarnNothing(t *testing.T) {
	f := bonded(t)
	f.advance(3)
	// C's emulated device C1 is registered but unbonded: it can neither serve nor be served
	isErr(t, f.submit(f.receipt("C1", "B1", 3, nil)), types.ErrNotBonded)
	isErr(t, f.submit(f.receipt("A1", "C1", 3, nil)), types.ErrNotBonded)
	require.NoError(t, f.bond("C1", int64(f.p.MinBond)-1)) // below min_bond is not bonded
	isErr(t, f.submit(f.receipt("A1", "C1", 3, nil)), types.ErrNotBonded)
}

func TestTwoColludingOwnersAreCappedByTheirBonds(t *testing.T) {
	f := bonded(t)
	f.advance(3)
	// A1's bond (min_bond) caps it at bond * 100 bps / reward = 1 receipt per epoch
	require.NoError(t, f.submit(f.receipt("A1", "B1", 3, nil)))
	isErr(t, f.submit(f.receipt("A1", "B2", 3, nil)), types.ErrServerEpochCap)
	// doubling the bond doubles the cap, no more
	require.NoError(t, f.bond("A1", int64(f.p.MinBond)))
	require.NoError(t, f.submit(f.receipt("A1", "B2", 3, nil)))
	require.NoError(t, f.bond("B2", int64(f.p.MinBond)))
	isErr(t, f.submit(f.receipt("A1", "B2", 3, nil)), types.ErrDuplicateReceipt)
	// a client's receipts count for at most max_servers_per_client servers per epoch
	f2 := bonded(t)
	f2.advance(3)
	for _, s := range []string{"B1", "B2"} {
		require.NoError(t, f2.bond(s, int64(10*f2.p.MinBond)))
	}
	f2.p.MaxServersPerClient = 1
	require.NoError(t, f2.k.SetParams(f2.ctx, f2.p))
	require.NoError(t, f2.submit(f2.receipt("B1", "A1", 3, nil)))
	isErr(t, f2.submit(f2.receipt("B2", "A1", 3, nil)), types.ErrClientEpochCap)
	// the bound's params: cap * lock <= 10000 bps
	p := types.DefaultParams()
	p.UnbondLockEpochs = 101
	require.Error(t, p.Validate())
	require.NoError(t, types.DefaultParams().Validate())
}

func TestBondsUnbondingAndThePool(t *testing.T) {
	f := setup(t)
	_, err := f.srv.Bond(f.ctx, &types.MsgBond{Owner: f.owners["B"], Device: f.devs["A1"].bech, Amount: sdk.NewInt64Coin(denom, 5)})
	isErr(t, err, types.ErrNotOwnersDevice)
	_, err = f.srv.Bond(f.ctx, &types.MsgBond{Owner: f.owners["A"], Device: f.devs["A1"].bech, Amount: sdk.NewInt64Coin("other", 5)})
	isErr(t, err, types.ErrInvalidAmount)
	_, err = f.srv.Unbond(f.ctx, &types.MsgUnbond{Owner: f.owners["A"], Device: f.devs["A1"].bech})
	isErr(t, err, types.ErrNoBond)
	for _, d := range []string{"A1", "B1"} {
		require.NoError(t, f.bond(d, int64(f.p.MinBond)))
	}
	f.fund(50) // less than one receipt's reward
	f.advance(2)
	require.NoError(t, f.submit(f.receipt("A1", "B1", 2, nil)))
	_, err = f.srv.Unbond(f.ctx, &types.MsgUnbond{Owner: f.owners["B"], Device: f.devs["A1"].bech})
	isErr(t, err, types.ErrNotOwnersDevice)
	_, err = f.srv.Unbond(f.ctx, &types.MsgUnbond{Owner: f.owners["A"], Device: f.devs["A1"].bech})
	isErr(t, err, types.ErrBondLocked) // counted: locked for unbond_lock_epochs
	before := f.balance("A")
	f.advance(20)
	require.Equal(t, before+50, f.balance("A")) // the pool paid what it had, never a bond
	require.Equal(t, int64(2*f.p.MinBond), f.bank.balances[types.ModuleName].AmountOf(denom).Int64())
	f.advance(int64(f.p.UnbondLockEpochs*f.p.EpochBlocks) + 1)
	r, err := f.srv.Unbond(f.ctx, &types.MsgUnbond{Owner: f.owners["A"], Device: f.devs["A1"].bech})
	require.NoError(t, err)
	require.Equal(t, f.p.MinBond, r.Returned)
}

func TestAFalseReceiptSlashesTheClientsBond(t *testing.T) {
	f := bonded(t)
	f.advance(6)
	honest := f.receipt("A1", "B1", 6, nil)
	_, err := f.srv.ReportReceipt(f.ctx, &types.MsgReportReceipt{Reporter: f.owners["C"], Receipt: *honest})
	isErr(t, err, types.ErrNotAbuse)
	lie := f.receipt("A1", "B1", 6, func(r *types.Receipt) { r.Hash = blockHash(999) })
	isErr(t, f.submit(lie), types.ErrHeaderMismatch)
	out, err := f.srv.ReportReceipt(f.ctx, &types.MsgReportReceipt{Reporter: f.owners["C"], Receipt: *lie})
	require.NoError(t, err)
	require.Equal(t, f.p.MinBond, out.Slashed)
	isErr(t, f.submit(f.receipt("A1", "B1", 6, nil)), types.ErrNotBonded) // B1 lost its bond
	_, err = f.srv.ReportReceipt(f.ctx, &types.MsgReportReceipt{Reporter: f.owners["C"], Receipt: *lie})
	isErr(t, err, types.ErrNoBond)
}

func TestGenesisKeepsParamsAndBonds(t *testing.T) {
	f := bonded(t)
	gs, err := servicerewards.ExportGenesis(f.ctx, f.k)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Equal(t, f.p, *gs.Params)
	require.Len(t, gs.Bonds, 4)
	g := setup(t)
	require.NoError(t, servicerewards.InitGenesis(g.ctx, g.k, gs))
	b, found, err := g.k.GetBond(g.ctx, f.devs["B2"].addr)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, f.p.MinBond, b.Amount)
	gs.Bonds = append(gs.Bonds, gs.Bonds[0])
	require.Error(t, gs.Validate()) // one bond per device
}
