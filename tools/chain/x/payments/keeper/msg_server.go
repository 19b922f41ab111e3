package keeper

import (
	"context"
	"encoding/hex"
	"strconv"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/mycroft-lightclient/chain/x/payments/types"
)

// VoucherSigGas is charged for the voucher's secp256k1 check, as the ante handler charges
// for a transaction's (x/auth DefaultSigVerifyCostSecp256k1).
const VoucherSigGas = 1000

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

// ownedChannel loads a channel the signer owns that is still open.
func (s msgServer) ownedChannel(ctx context.Context, owner string, id []byte) (types.Channel, error) {
	c, found, err := s.GetChannel(ctx, id)
	if err != nil {
		return c, err
	}
	if !found {
		return c, errorsmod.Wrap(types.ErrChannelNotFound, hex.EncodeToString(id))
	}
	if c.Owner != owner {
		return c, errorsmod.Wrapf(types.ErrNotOwner, "owner is %s", c.Owner)
	}
	if c.Closed {
		return c, types.ErrChannelClosed
	}
	return c, nil
}

func emit(ctx context.Context, kind string, id []byte, attrs ...sdk.Attribute) {
	attrs = append([]sdk.Attribute{sdk.NewAttribute("channel", hex.EncodeToString(id))}, attrs...)
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(kind, attrs...))
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// OpenChannel: the owner signed (ante handler); the device is the owner's per x/devices; the
// id is new; the deposit moves from the owner's balance into the module account. The spender
// key is the one named, or else the device's account key from its x/devices record.
func (s msgServer) OpenChannel(ctx context.Context, msg *types.MsgOpenChannel) (*types.MsgOpenChannelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
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
	if _, err := s.address("provider", msg.Provider); err != nil {
		return nil, err
	}
	d, found, err := s.devicesKeeper.GetDevice(ctx, device)
	if err != nil {
		return nil, err
	}
	if !found || d.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrNotOwnersDevice, "%s", msg.Device)
	}
	spender := msg.Spender
	if len(spender) == 0 { // the device's own account key, as x/devices records it
		spender = d.PubKey
	}
	if _, found, err := s.GetChannel(ctx, msg.ChannelId); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrap(types.ErrChannelExists, hex.EncodeToString(msg.ChannelId))
	}
	if err := s.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, sdk.NewCoins(msg.Deposit)); err != nil {
		return nil, errorsmod.Wrap(err, "funding the channel")
	}
	c := types.Channel{Id: msg.ChannelId, Owner: msg.Owner, Device: msg.Device, Spender: spender,
		Provider: msg.Provider, Denom: msg.Deposit.Denom, Deposit: msg.Deposit.Amount.Uint64(),
		SettleDelayS: msg.SettleDelayS}
	if err := s.SetChannel(ctx, c); err != nil {
		return nil, err
	}
	emit(ctx, "channel_opened", c.Id, sdk.NewAttribute("owner", c.Owner),
		sdk.NewAttribute("provider", c.Provider), sdk.NewAttribute("deposit", u64(c.Deposit)))
	return &types.MsgOpenChannelResponse{}, nil
}

// TopUp: the owner adds to the deposit of an open channel that is not settling.
func (s msgServer) TopUp(ctx context.Context, msg *types.MsgTopUp) (*types.MsgTopUpResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	c, err := s.ownedChannel(ctx, msg.Owner, msg.ChannelId)
	if err != nil {
		return nil, err
	}
	if c.SettleAt != 0 {
		return nil, types.ErrChannelSettling
	}
	if msg.Amount.Denom != c.Denom {
		return nil, errorsmod.Wrapf(types.ErrInvalidDeposit, "the channel is in %s", c.Denom)
	}
	add := msg.Amount.Amount.Uint64()
	if c.Deposit+add < c.Deposit {
		return nil, errorsmod.Wrap(types.ErrInvalidDeposit, "deposit would pass 2^64")
	}
	owner, err := s.address("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := s.bankKeeper.SendCoinsFromAccountToModule(ctx, owner, types.ModuleName, sdk.NewCoins(msg.Amount)); err != nil {
		return nil, errorsmod.Wrap(err, "topping up the channel")
	}
	c.Deposit += add
	if err := s.SetChannel(ctx, c); err != nil {
		return nil, err
	}
	emit(ctx, "channel_topped_up", c.Id, sdk.NewAttribute("deposit", u64(c.Deposit)))
	return &types.MsgTopUpResponse{Deposit: c.Deposit}, nil
}

// Redeem: the channel's provider submits a voucher the channel's spender key signed; it pays
// what the voucher's cumulative amount adds over its lane's last redeemed voucher. Checks in
// order, the first failure is the answer: decode, chain, channel, closed, settled, provider,
// denom, signature, nonce, amount, lanes, deposit.
func (s msgServer) Redeem(ctx context.Context, msg *types.MsgRedeem) (*types.MsgRedeemResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	v, err := types.DecodeVoucher(msg.Voucher)
	if err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidVoucher, err.Error())
	}
	if v.ChainID != sdkCtx.ChainID() {
		return nil, errorsmod.Wrapf(types.ErrVoucherChain, "%q", v.ChainID)
	}
	c, found, err := s.GetChannel(ctx, v.Channel)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrChannelNotFound, hex.EncodeToString(v.Channel))
	}
	if c.Closed {
		return nil, types.ErrChannelClosed
	}
	if c.SettleAt != 0 && sdkCtx.BlockTime().Unix() >= c.SettleAt {
		return nil, errorsmod.Wrapf(types.ErrChannelSettled, "settled at %d", c.SettleAt)
	}
	if msg.Provider != c.Provider {
		return nil, errorsmod.Wrapf(types.ErrNotProvider, "provider is %s", c.Provider)
	}
	if v.Denom != c.Denom {
		return nil, errorsmod.Wrapf(types.ErrVoucherDenom, "%q, the channel is in %q", v.Denom, c.Denom)
	}
	sdkCtx.GasMeter().ConsumeGas(VoucherSigGas, "voucher secp256k1 signature")
	if !(&secp256k1.PubKey{Key: c.Spender}).VerifySignature(msg.Voucher, msg.Signature) {
		return nil, errorsmod.Wrap(types.ErrVoucherSignature, "over sha256 of the voucher bytes, low s")
	}
	i := 0
	for i < len(c.Lanes) && c.Lanes[i].Lane < v.Lane {
		i++
	}
	var last types.Lane
	known := i < len(c.Lanes) && c.Lanes[i].Lane == v.Lane
	if known {
		last = *c.Lanes[i]
		if v.Nonce <= last.Nonce {
			return nil, errorsmod.Wrapf(types.ErrNonceUsed, "lane %d redeemed nonce %d", v.Lane, last.Nonce)
		}
	}
	if v.Amount <= last.Amount {
		return nil, errorsmod.Wrapf(types.ErrAmountNotIncreasing, "lane %d redeemed %d", v.Lane, last.Amount)
	}
	if !known && len(c.Lanes) >= types.MaxLanes {
		return nil, errorsmod.Wrapf(types.ErrTooManyLanes, "%d", types.MaxLanes)
	}
	paid := v.Amount - last.Amount
	if paid > c.Deposit-c.Redeemed {
		return nil, errorsmod.Wrapf(types.ErrInsufficientDeposit, "%d more asked, %d left", paid, c.Deposit-c.Redeemed)
	}
	lane := &types.Lane{Lane: v.Lane, Nonce: v.Nonce, Amount: v.Amount}
	if known {
		c.Lanes[i] = lane
	} else {
		c.Lanes = append(c.Lanes[:i], append([]*types.Lane{lane}, c.Lanes[i:]...)...)
	}
	c.Redeemed += paid
	provider, err := s.address("provider", msg.Provider)
	if err != nil {
		return nil, err
	}
	if err := s.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, provider,
		sdk.NewCoins(sdk.NewCoin(c.Denom, math.NewIntFromUint64(paid)))); err != nil {
		return nil, err
	}
	if err := s.SetChannel(ctx, c); err != nil {
		return nil, err
	}
	emit(ctx, "voucher_redeemed", c.Id, sdk.NewAttribute("lane", strconv.FormatUint(uint64(v.Lane), 10)),
		sdk.NewAttribute("nonce", u64(v.Nonce)), sdk.NewAttribute("paid", u64(paid)))
	return &types.MsgRedeemResponse{Paid: paid, Redeemed: c.Redeemed}, nil
}

// StartSettle: the owner starts the settle delay; the provider may redeem until it is over.
func (s msgServer) StartSettle(ctx context.Context, msg *types.MsgStartSettle) (*types.MsgStartSettleResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	c, err := s.ownedChannel(ctx, msg.Owner, msg.ChannelId)
	if err != nil {
		return nil, err
	}
	if c.SettleAt != 0 {
		return nil, errorsmod.Wrapf(types.ErrChannelSettling, "since before %d", c.SettleAt)
	}
	c.SettleAt = sdk.UnwrapSDKContext(ctx).BlockTime().Unix() + int64(c.SettleDelayS)
	if err := s.SetChannel(ctx, c); err != nil {
		return nil, err
	}
	emit(ctx, "channel_settling", c.Id, sdk.NewAttribute("settle_at", strconv.FormatInt(c.SettleAt, 10)))
	return &types.MsgStartSettleResponse{SettleAt: c.SettleAt}, nil
}

// Reclaim: after the settle delay, the rest of the deposit goes back to the owner and the
// channel closes for good (its id stays taken, so old vouchers can never be redeemed again).
func (s msgServer) Reclaim(ctx context.Context, msg *types.MsgReclaim) (*types.MsgReclaimResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	c, err := s.ownedChannel(ctx, msg.Owner, msg.ChannelId)
	if err != nil {
		return nil, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime().Unix()
	if c.SettleAt == 0 || now < c.SettleAt {
		return nil, errorsmod.Wrapf(types.ErrSettleDelayNotOver, "settle_at %d, block time %d", c.SettleAt, now)
	}
	rest := c.Deposit - c.Redeemed
	if rest > 0 {
		owner, err := s.address("owner", msg.Owner)
		if err != nil {
			return nil, err
		}
		if err := s.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner,
			sdk.NewCoins(sdk.NewCoin(c.Denom, math.NewIntFromUint64(rest)))); err != nil {
			return nil, err
		}
	}
	c.Closed = true
	if err := s.SetChannel(ctx, c); err != nil {
		return nil, err
	}
	emit(ctx, "channel_reclaimed", c.Id, sdk.NewAttribute("returned", u64(rest)))
	return &types.MsgReclaimResponse{Returned: rest}, nil
}
