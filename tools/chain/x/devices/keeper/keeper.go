// Package keeper is the only code of the devices module that touches state.
package keeper

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

type Keeper struct {
	storeService  store.KVStoreService
	cdc           codec.BinaryCodec
	addressCodec  address.Codec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
}

func NewKeeper(storeService store.KVStoreService, cdc codec.BinaryCodec, addressCodec address.Codec,
	ak types.AccountKeeper, bk types.BankKeeper) Keeper {
	return Keeper{storeService: storeService, cdc: cdc, addressCodec: addressCodec, accountKeeper: ak, bankKeeper: bk}
}

// GetDevice returns the record of the device with account address addr.
func (k Keeper) GetDevice(ctx context.Context, addr []byte) (types.Device, bool, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(types.DeviceKey(addr))
	if err != nil || bz == nil {
		return types.Device{}, false, err
	}
	var d types.Device
	if err := k.cdc.Unmarshal(bz, &d); err != nil {
		return types.Device{}, false, err
	}
	return d, true, nil
}

// SetDevice writes the record under 0x01 || addr.
func (k Keeper) SetDevice(ctx context.Context, addr []byte, d types.Device) error {
	bz, err := k.cdc.Marshal(&d)
	if err != nil {
		return err
	}
	return k.storeService.OpenKVStore(ctx).Set(types.DeviceKey(addr), bz)
}

// AllDevices returns every record in key order (genesis export).
func (k Keeper) AllDevices(ctx context.Context) ([]types.Device, error) {
	it, err := k.storeService.OpenKVStore(ctx).Iterator(types.DeviceKeyPrefix, prefixEnd(types.DeviceKeyPrefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.Device
	for ; it.Valid(); it.Next() {
		var d types.Device
		if err := k.cdc.Unmarshal(it.Value(), &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	end[len(end)-1]++ // prefixes here are one byte below 0xff
	return end
}
