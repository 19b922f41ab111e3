package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"
	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

// ReceiptSigGas is charged per receipt signature check, as the ante handler charges for a
// transaction's (x/auth DefaultSigVerifyCostSecp256k1).
const ReceiptSigGas = 1000

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the module's Msg service on top of k.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func (s msgServer) address(what, bech string) (sdk.AccAddress, error) {
	b, err := s.addressCodec.StringToBytes(bech)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "%s: %s", what, err)
	}
	return b, nil
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func (s msgServer) coins(p types.Params, c sdk.Coin) (sdk.Coins, error) {
	if c.Denom != p.Denom {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "denom %s, the module takes %s", c.Denom, p.Denom)
	}
	return sdk.NewCoins(c), nil
}

func (s msgServer) pool(ctx context.Context) (uint64, error) { return s.counter(ctx, types.PoolKey) }

func (s msgServer) setPool(ctx context.Context, n uint64) error {
	return s.kv(ctx).Set(types.PoolKey, types.U64(n))
}

// Bond: the owner signed (ante handler); the device is the owner's per x/devices; the coins
// move into the module account and add to the device's bond.
func (s msgServer) Bond(ctx context.Context, msg *types.MsgBond) (*types.MsgBondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := s.Params(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	device, err := s.address("device", msg.Device)
	if err != nil {
		return nil, err
	}
	d, found, err := s.devicesKeeper.GetDevice(ctx, device)
	if err != nil {
		return nil, err
	}
	if !found || d.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrNotOwnersDevice, "%s", msg.Device)
	}
	amt, err := s.coins(p, msg.Amount)
	if err != nil {
		return nil, err
	}
	b, found, err := s.GetBond(ctx, device)
	if err != nil {
		return nil, err
	}
	if found && b.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrNotOwnersDevice, "bonded by %s", b.Owner)
	}
	add := msg.Amount.Amount.Uint64()
	if b.Amount+add < b.Amount {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "bond would pass 2^64")
	}
	if err := s.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, amt); err != nil {
		return nil, errorsmod.Wrap(err, "bonding")
	}
	b.Device, b.Owner, b.Amount = msg.Device, msg.Owner, b.Amount+add
	if err := s.SetBond(ctx, device, b); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("device_bonded",
		sdk.NewAttribute("device", msg.Device), sdk.NewAttribute("bond", u64(b.Amount))))
	return &types.MsgBondResponse{Bond: b.Amount}, nil
}

// Unbond: the bond's owner takes it all back once the current epoch reaches its lock.
func (s msgServer) Unbond(ctx context.Context, msg *types.MsgUnbond) (*types.MsgUnbondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := s.Params(ctx)
	if err != nil {
		return nil, err
	}
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	device, err := s.address("device", msg.Device)
	if err != nil {
		return nil, err
	}
	b, found, err := s.GetBond(ctx, device)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrNoBond, msg.Device)
	}
	if b.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrNotOwnersDevice, "bonded by %s", b.Owner)
	}
	epoch := uint64(sdk.UnwrapSDKContext(ctx).BlockHeight()) / p.EpochBlocks
	if epoch < b.LockedUntilEpoch {
		return nil, errorsmod.Wrapf(types.ErrBondLocked, "until epoch %d, now %d", b.LockedUntilEpoch, epoch)
	}
	if b.Amount > 0 {
		coins := sdk.NewCoins(sdk.NewCoin(p.Denom, math.NewIntFromUint64(b.Amount)))
		if err := s.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, coins); err != nil {
			return nil, err
		}
	}
	if err := s.kv(ctx).Delete(types.BondKey(device)); err != nil {
		return nil, err
	}
	return &types.MsgUnbondResponse{Returned: b.Amount}, nil
}

// FundPool: anyone adds to the reward pool.
func (s msgServer) FundPool(ctx context.Context, msg *types.MsgFundPool) (*types.MsgFundPoolResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := s.Params(ctx)
	if err != nil {
		return nil, err
	}
	funder, err := s.address("funder", msg.Funder)
	if err != nil {
		return nil, err
	}
	amt, err := s.coins(p, msg.Amount)
	if err != nil {
		return nil, err
	}
	pool, err := s.pool(ctx)
	if err != nil {
		return nil, err
	}
	add := msg.Amount.Amount.Uint64()
	if pool+add < pool {
		return nil, errorsmod.Wrap(types.ErrInvalidAmount, "pool would pass 2^64")
	}
	if err := s.bankKeeper.SendCoinsFromAccountToModule(ctx, funder, types.ModuleName, amt); err != nil {
		return nil, errorsmod.Wrap(err, "funding the pool")
	}
	return &types.MsgFundPoolResponse{}, s.setPool(ctx, pool+add)
}

// checked is a receipt whose signature, chain and devices were checked.
type checked struct {
	r              types.Receipt
	server, client devicestypes.Device
}

// verify: decode, chain, not self-served, both devices registered, the client device's
// signature (its x/devices key), in that order; the first failure is the answer.
func (s msgServer) verify(ctx context.Context, sr types.SignedReceipt) (checked, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	var c checked
	if err := sr.ValidateBasic(); err != nil {
		return c, err
	}
	r, _ := types.DecodeReceipt(sr.Receipt)
	c.r = r
	if r.ChainID != sdkCtx.ChainID() {
		return c, errorsmod.Wrapf(types.ErrReceiptChain, "%q", r.ChainID)
	}
	if bytes.Equal(r.Server, r.Client) {
		return c, errorsmod.Wrap(types.ErrSelfService, hex.EncodeToString(r.Server))
	}
	for _, x := range []struct {
		addr []byte
		out  *devicestypes.Device
		what string
	}{{r.Server, &c.server, "server"}, {r.Client, &c.client, "client"}} {
		d, found, err := s.devicesKeeper.GetDevice(ctx, x.addr)
		if err != nil {
			return c, err
		}
		if !found {
			return c, errorsmod.Wrapf(types.ErrUnknownDevice, "%s %s", x.what, hex.EncodeToString(x.addr))
		}
		*x.out = d
	}
	sdkCtx.GasMeter().ConsumeGas(ReceiptSigGas, "receipt secp256k1 signature")
	if len(c.client.PubKey) != 33 || !(&secp256k1.PubKey{Key: c.client.PubKey}).VerifySignature(sr.Receipt, sr.Signature) {
		return c, errorsmod.Wrap(types.ErrReceiptSignature, "over sha256 of the receipt bytes, low s")
	}
	return c, nil
}

// keptHash is the block hash the chain kept at height h (nil: outside the open epochs).
func (s msgServer) keptHash(ctx context.Context, p types.Params, h uint64) ([]byte, error) {
	now := uint64(sdk.UnwrapSDKContext(ctx).BlockHeight())
	if h > now || h/p.EpochBlocks+1 < now/p.EpochBlocks {
		return nil, errorsmod.Wrapf(types.ErrHeaderUnknown, "height %d, epoch %d; open epochs end at %d",
			h, h/p.EpochBlocks, now/p.EpochBlocks)
	}
	hash, err := s.kv(ctx).Get(types.HashKey(h))
	if err != nil {
		return nil, err
	}
	if hash == nil {
		return nil, errorsmod.Wrapf(types.ErrHeaderUnknown, "no hash kept at height %d", h)
	}
	return hash, nil
}

// bonded: the device's bond is at least min_bond and was posted by its current owner.
func (s msgServer) bonded(ctx context.Context, p types.Params, addr []byte, d devicestypes.Device, what string) (types.Bond, error) {
	b, found, err := s.GetBond(ctx, addr)
	if err != nil {
		return b, err
	}
	if !found || b.Amount < p.MinBond || b.Owner != d.Owner {
		return b, errorsmod.Wrapf(types.ErrNotBonded, "%s %s: bond %d, min %d", what, hex.EncodeToString(addr), b.Amount, p.MinBond)
	}
	return b, nil
}

// lock keeps a bond locked until `until` at least (a device whose receipt counts stays at risk).
func (s msgServer) lock(ctx context.Context, addr []byte, b types.Bond, until uint64) error {
	if b.LockedUntilEpoch >= until {
		return nil
	}
	b.LockedUntilEpoch = until
	return s.SetBond(ctx, addr, b)
}

// SubmitReceipts counts every receipt of the batch or none. After verify: the owners differ
// (x/devices); both devices are bonded; the header hash is the one the chain kept at that
// height (in the open epochs); the (epoch, server, client) receipt was not counted yet; the
// server's count stays within its bond's cap and the client's servers within
// max_servers_per_client. Counting locks both bonds for unbond_lock_epochs past the epoch.
func (s msgServer) SubmitReceipts(ctx context.Context, msg *types.MsgSubmitReceipts) (*types.MsgSubmitReceiptsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := s.Params(ctx)
	if err != nil {
		return nil, err
	}
	for i, sr := range msg.Receipts {
		if err := s.count(ctx, p, *sr); err != nil {
			return nil, errorsmod.Wrapf(err, "receipt %d", i)
		}
	}
	return &types.MsgSubmitReceiptsResponse{Counted: uint32(len(msg.Receipts))}, nil
}

func (s msgServer) count(ctx context.Context, p types.Params, sr types.SignedReceipt) error {
	c, err := s.verify(ctx, sr)
	if err != nil {
		return err
	}
	r := c.r
	if c.server.Owner == c.client.Owner {
		return errorsmod.Wrapf(types.ErrSameOwner, "both owned by %s", c.server.Owner)
	}
	sb, err := s.bonded(ctx, p, r.Server, c.server, "server")
	if err != nil {
		return err
	}
	cb, err := s.bonded(ctx, p, r.Client, c.client, "client")
	if err != nil {
		return err
	}
	hash, err := s.keptHash(ctx, p, r.Height)
	if err != nil {
		return err
	}
	if !bytes.Equal(hash, r.Hash) {
		return errorsmod.Wrapf(types.ErrHeaderMismatch, "height %d", r.Height)
	}
	epoch := r.Height / p.EpochBlocks
	kv := s.kv(ctx)
	used := types.UsedKey(epoch, r.Server, r.Client)
	if seen, err := kv.Has(used); err != nil {
		return err
	} else if seen {
		return errorsmod.Wrapf(types.ErrDuplicateReceipt, "epoch %d", epoch)
	}
	tally, err := s.counter(ctx, types.TallyKey(epoch, r.Server))
	if err != nil {
		return err
	}
	capAmount := math.NewIntFromUint64(sb.Amount).MulRaw(int64(p.EpochCapBps)).QuoRaw(10000)
	capCount := capAmount.Quo(math.NewIntFromUint64(p.RewardPerReceipt))
	if !capCount.GT(math.NewIntFromUint64(tally)) {
		return errorsmod.Wrapf(types.ErrServerEpochCap, "%d receipts this epoch for a bond of %d", tally, sb.Amount)
	}
	servers, err := s.counter(ctx, types.ClientKey(epoch, r.Client))
	if err != nil {
		return err
	}
	if servers >= p.MaxServersPerClient {
		return errorsmod.Wrapf(types.ErrClientEpochCap, "%d servers this epoch", servers)
	}
	for _, w := range []struct{ k, v []byte }{{used, types.UsedMarker},
		{types.TallyKey(epoch, r.Server), types.U64(tally + 1)},
		{types.ClientKey(epoch, r.Client), types.U64(servers + 1)}} {
		if err := kv.Set(w.k, w.v); err != nil {
			return err
		}
	}
	if err := s.lock(ctx, r.Server, sb, epoch+p.UnbondLockEpochs); err != nil {
		return err
	}
	if err := s.lock(ctx, r.Client, cb, epoch+p.UnbondLockEpochs); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("receipt_counted",
		sdk.NewAttribute("server", hex.EncodeToString(r.Server)), sdk.NewAttribute("client", hex.EncodeToString(r.Client)),
		sdk.NewAttribute("epoch", u64(epoch))))
	return nil
}

// ReportReceipt: a receipt the client device signed whose header hash is not the one the chain
// kept at that height is a false statement; the client's whole bond moves to the pool.
func (s msgServer) ReportReceipt(ctx context.Context, msg *types.MsgReportReceipt) (*types.MsgReportReceiptResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := s.Params(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.verify(ctx, msg.Receipt)
	if err != nil {
		return nil, err
	}
	hash, err := s.keptHash(ctx, p, c.r.Height)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(hash, c.r.Hash) {
		return nil, types.ErrNotAbuse
	}
	b, found, err := s.GetBond(ctx, c.r.Client)
	if err != nil {
		return nil, err
	}
	if !found || b.Amount == 0 {
		return nil, errorsmod.Wrap(types.ErrNoBond, hex.EncodeToString(c.r.Client))
	}
	pool, err := s.pool(ctx)
	if err != nil {
		return nil, err
	}
	slashed := b.Amount
	b.Slashed += slashed
	b.Amount = 0
	if err := s.SetBond(ctx, c.r.Client, b); err != nil {
		return nil, err
	}
	if err := s.setPool(ctx, pool+slashed); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("bond_slashed",
		sdk.NewAttribute("device", b.Device), sdk.NewAttribute("amount", u64(slashed))))
	return &types.MsgReportReceiptResponse{Slashed: slashed}, nil
}
