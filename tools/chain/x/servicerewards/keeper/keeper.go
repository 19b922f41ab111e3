// Package keeper is the only code of the servicerewards module that touches state.
package keeper

import (
	"context"
	"encoding/binary"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

type Keeper struct {
	storeService  store.KVStoreService
	cdc           codec.BinaryCodec
	addressCodec  address.Codec
	bankKeeper    types.BankKeeper
	devicesKeeper types.DevicesKeeper
}

func NewKeeper(storeService store.KVStoreService, cdc codec.BinaryCodec, addressCodec address.Codec,
	bk types.BankKeeper, dk types.DevicesKeeper) Keeper {
	return Keeper{storeService: storeService, cdc: cdc, addressCodec: addressCodec, bankKeeper: bk, devicesKeeper: dk}
}

func (k Keeper) kv(ctx context.Context) store.KVStore { return k.storeService.OpenKVStore(ctx) }

// Params are written once at genesis (no message changes them).
func (k Keeper) Params(ctx context.Context) (types.Params, error) {
	var p types.Params
	bz, err := k.kv(ctx).Get(types.ParamsKey)
	if err != nil || bz == nil {
		return types.DefaultParams(), err
	}
	return p, k.cdc.Unmarshal(bz, &p)
}

func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	bz, err := k.cdc.Marshal(&p)
	if err != nil {
		return err
	}
	return k.kv(ctx).Set(types.ParamsKey, bz)
}

// SetLayout writes the store's layout record (types.LayoutKey), at genesis.
func (k Keeper) SetLayout(ctx context.Context) error {
	return k.kv(ctx).Set(types.LayoutKey, []byte(types.LayoutVersion))
}

func (k Keeper) GetBond(ctx context.Context, device []byte) (types.Bond, bool, error) {
	var b types.Bond
	bz, err := k.kv(ctx).Get(types.BondKey(device))
	if err != nil || bz == nil {
		return b, false, err
	}
	return b, true, k.cdc.Unmarshal(bz, &b)
}

func (k Keeper) SetBond(ctx context.Context, device []byte, b types.Bond) error {
	bz, err := k.cdc.Marshal(&b)
	if err != nil {
		return err
	}
	return k.kv(ctx).Set(types.BondKey(device), bz)
}

func (k Keeper) getEarnings(ctx context.Context, device []byte) (types.Earnings, error) {
	var e types.Earnings
	bz, err := k.kv(ctx).Get(types.EarningsKey(device))
	if err != nil || bz == nil {
		return e, err
	}
	return e, k.cdc.Unmarshal(bz, &e)
}

func (k Keeper) setEarnings(ctx context.Context, device []byte, e types.Earnings) error {
	bz, err := k.cdc.Marshal(&e)
	if err != nil {
		return err
	}
	return k.kv(ctx).Set(types.EarningsKey(device), bz)
}

// counter reads a u64 counter value (0 when absent).
func (k Keeper) counter(ctx context.Context, key []byte) (uint64, error) {
	bz, err := k.kv(ctx).Get(key)
	if err != nil || len(bz) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(bz), nil
}

// AllBonds returns every bond in key order (genesis export).
func (k Keeper) AllBonds(ctx context.Context) ([]types.Bond, error) {
	it, err := k.kv(ctx).Iterator(types.BondKeyPrefix, []byte{types.BondKeyPrefix[0] + 1})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.Bond
	for ; it.Valid(); it.Next() {
		var b types.Bond
		if err := k.cdc.Unmarshal(it.Value(), &b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// prefixKeys lists the keys under prefix (bounded by what one epoch can hold).
func (k Keeper) prefixKeys(ctx context.Context, prefix []byte) ([][]byte, [][]byte, error) {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- { // prefixes here never end in 0xff...ff
		end[i]++
		if end[i] != 0 {
			break
		}
	}
	it, err := k.kv(ctx).Iterator(prefix, end)
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	var keys, values [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
		values = append(values, append([]byte(nil), it.Value()...))
	}
	return keys, values, nil
}

// DeviceBytes decodes a bech32 device address.
func (k Keeper) DeviceBytes(bech string) ([]byte, error) { return k.addressCodec.StringToBytes(bech) }
