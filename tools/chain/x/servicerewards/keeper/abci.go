package keeper

import (
	"context"
	"encoding/binary"
	"strconv"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

// BeginBlock keeps the block hash of this height (the objective check of a receipt's header
// hash: the chain itself finalized it), drops the hash that left the open epochs, and at the
// first block of epoch e pays epoch e-2, whose receipts could be submitted until the end of e-1.
func (k Keeper) BeginBlock(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	p, err := k.Params(ctx)
	if err != nil {
		return err
	}
	h := uint64(sdkCtx.HeaderInfo().Height)
	if hash := sdkCtx.HeaderInfo().Hash; len(hash) == types.HashLen {
		if err := k.kv(ctx).Set(types.HashKey(h), hash); err != nil {
			return err
		}
	}
	if keep := 2 * p.EpochBlocks; h > keep {
		if err := k.kv(ctx).Delete(types.HashKey(h - keep - 1)); err != nil {
			return err
		}
	}
	if h%p.EpochBlocks == 0 && h/p.EpochBlocks >= 2 {
		return k.payEpoch(ctx, p, h/p.EpochBlocks-2)
	}
	return nil
}

// payEpoch pays each server of the epoch its counted receipts * reward_per_receipt (the
// count is already capped by its bond), to its owner, while the pool lasts (bonds are never paid out); then it deletes
// the epoch's tallies, replay guards and client counts (receipts of a paid epoch are refused
// by the epoch window, so the guards are no longer needed).
func (k Keeper) payEpoch(ctx context.Context, p types.Params, epoch uint64) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	keys, values, err := k.prefixKeys(ctx, types.TallyPrefix(epoch))
	if err != nil {
		return err
	}
	for i, key := range keys {
		server := key[len(types.TallyPrefix(epoch)):]
		count := binary.BigEndian.Uint64(values[i])
		amount := count * p.RewardPerReceipt
		d, found, err := k.devicesKeeper.GetDevice(ctx, server)
		if err != nil {
			return err
		}
		if !found { // the device left x/devices: nobody to pay
			continue
		}
		owner, err := k.addressCodec.StringToBytes(d.Owner)
		if err != nil {
			return err
		}
		pool, err := k.counter(ctx, types.PoolKey)
		if err != nil {
			return err
		}
		if amount > pool { // the pool ran dry: what is left, and an event says so
			sdkCtx.EventManager().EmitEvent(sdk.NewEvent("rewards_short",
				sdk.NewAttribute("epoch", strconv.FormatUint(epoch, 10)),
				sdk.NewAttribute("owed", strconv.FormatUint(amount, 10))))
			amount = pool
		}
		if amount == 0 {
			continue
		}
		coins := sdk.NewCoins(sdk.NewCoin(p.Denom, math.NewIntFromUint64(amount)))
		if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, coins); err != nil {
			return err
		}
		if err := k.kv(ctx).Set(types.PoolKey, types.U64(pool-amount)); err != nil {
			return err
		}
		e, err := k.getEarnings(ctx, server)
		if err != nil {
			return err
		}
		deviceBech, err := k.addressCodec.BytesToString(server)
		if err != nil {
			return err
		}
		e = types.Earnings{Device: deviceBech, PaidTo: d.Owner, Total: e.Total + amount, LastEpoch: epoch,
			LastAmount: amount, LastReceipts: count}
		if err := k.setEarnings(ctx, server, e); err != nil {
			return err
		}
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent("rewards_paid",
			sdk.NewAttribute("device", deviceBech), sdk.NewAttribute("owner", d.Owner),
			sdk.NewAttribute("epoch", strconv.FormatUint(epoch, 10)),
			sdk.NewAttribute("amount", strconv.FormatUint(amount, 10))))
	}
	for _, prefix := range [][]byte{types.TallyPrefix(epoch), types.UsedPrefix(epoch), types.ClientPrefix(epoch)} {
		ks, _, err := k.prefixKeys(ctx, prefix)
		if err != nil {
			return err
		}
		for _, key := range ks {
			if err := k.kv(ctx).Delete(key); err != nil {
				return err
			}
		}
	}
	return nil
}
