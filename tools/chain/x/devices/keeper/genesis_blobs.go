package keeper

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// SharingGenesis appends every record of data sharing (0x07, 0x08, 0x09), in key order.
func (k Keeper) SharingGenesis(ctx context.Context, gs *types.GenesisState) error {
	kv := k.storeService.OpenKVStore(ctx)
	for _, prefix := range [][]byte{types.BlobKeyPrefix, types.ClassStateKeyPrefix, types.RecipientKeyKeyPrefix} {
		it, err := kv.Iterator(prefix, prefixEnd(prefix))
		if err != nil {
			return err
		}
		for ; it.Valid(); it.Next() {
			gs.Sharing = append(gs.Sharing, &types.GenesisSharingRecord{
				Key: append([]byte(nil), it.Key()...), Value: append([]byte(nil), it.Value()...)})
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}

// SetSharingGenesis writes the records of a genesis checked by GenesisState.Validate.
func (k Keeper) SetSharingGenesis(ctx context.Context, gs *types.GenesisState) error {
	kv := k.storeService.OpenKVStore(ctx)
	for _, r := range gs.Sharing {
		if err := kv.Set(r.Key, r.Value); err != nil {
			return err
		}
	}
	return nil
}
