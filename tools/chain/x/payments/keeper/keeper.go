// Package keeper is the only code of the payments module that touches state.
package keeper

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/mycroft-lightclient/chain/x/payments/types"
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

// GetChannel returns the channel with this id.
func (k Keeper) GetChannel(ctx context.Context, id []byte) (types.Channel, bool, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(types.ChannelKey(id))
	if err != nil || bz == nil {
		return types.Channel{}, false, err
	}
	var c types.Channel
	if err := k.cdc.Unmarshal(bz, &c); err != nil {
		return types.Channel{}, false, err
	}
	return c, true, nil
}

// SetChannel writes the channel under 0x01 || id.
func (k Keeper) SetChannel(ctx context.Context, c types.Channel) error {
	bz, err := k.cdc.Marshal(&c)
	if err != nil {
		return err
	}
	return k.storeService.OpenKVStore(ctx).Set(types.ChannelKey(c.Id), bz)
}

// SetLayout writes the store's layout record (types.LayoutKey), at genesis.
func (k Keeper) SetLayout(ctx context.Context) error {
	return k.storeService.OpenKVStore(ctx).Set(types.LayoutKey, []byte(types.LayoutVersion))
}

// AllChannels returns every channel in key order (genesis export).
func (k Keeper) AllChannels(ctx context.Context) ([]types.Channel, error) {
	end := append([]byte(nil), types.ChannelKeyPrefix...)
	end[0]++
	it, err := k.storeService.OpenKVStore(ctx).Iterator(types.ChannelKeyPrefix, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.Channel
	for ; it.Valid(); it.Next() {
		var c types.Channel
		if err := k.cdc.Unmarshal(it.Value(), &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// GetService returns the provider list of a service (empty when none registered).
func (k Keeper) GetService(ctx context.Context, service string) (types.ServiceProviders, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(types.ServiceKey(service))
	if err != nil || bz == nil {
		return types.ServiceProviders{Service: service}, err
	}
	var sp types.ServiceProviders
	err = k.cdc.Unmarshal(bz, &sp)
	return sp, err
}

// SetService writes a service's provider list, or deletes it when it has none left (so a
// device proves "no provider" as an absence).
func (k Keeper) SetService(ctx context.Context, sp types.ServiceProviders) error {
	kv := k.storeService.OpenKVStore(ctx)
	if len(sp.Providers) == 0 {
		return kv.Delete(types.ServiceKey(sp.Service))
	}
	bz, err := k.cdc.Marshal(&sp)
	if err != nil {
		return err
	}
	return kv.Set(types.ServiceKey(sp.Service), bz)
}

// AllServices returns every service's provider list in key order (genesis export).
func (k Keeper) AllServices(ctx context.Context) ([]types.ServiceProviders, error) {
	end := append([]byte(nil), types.ServiceKeyPrefix...)
	end[0]++
	it, err := k.storeService.OpenKVStore(ctx).Iterator(types.ServiceKeyPrefix, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.ServiceProviders
	for ; it.Valid(); it.Next() {
		var sp types.ServiceProviders
		if err := k.cdc.Unmarshal(it.Value(), &sp); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}
