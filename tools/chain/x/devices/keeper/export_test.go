package keeper

import (
	"context"

	storetypes "cosmossdk.io/core/store"
)

// StoreIterator walks the module's whole store (tests compare two stores with it).
func (k Keeper) StoreIterator(ctx context.Context) (storetypes.Iterator, error) {
	return k.storeService.OpenKVStore(ctx).Iterator(nil, nil)
}

// StoreGet reads one key of the module's store (tests check documented keys with it).
func (k Keeper) StoreGet(ctx context.Context, key []byte) ([]byte, error) {
	return k.storeService.OpenKVStore(ctx).Get(key)
}
