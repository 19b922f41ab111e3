package keeper

import (
	"context"

	"github.com/cosmos/gogoproto/proto"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// The pairing state (types/keys_pairing.go): paired devices, owners, sealed records, grants.

func (k Keeper) getProto(ctx context.Context, key []byte, out proto.Message) (bool, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(key)
	if err != nil || bz == nil {
		return false, err
	}
	return true, k.cdc.Unmarshal(bz, out)
}

func (k Keeper) setProto(ctx context.Context, key []byte, m proto.Message) error {
	bz, err := k.cdc.Marshal(m)
	if err != nil {
		return err
	}
	return k.storeService.OpenKVStore(ctx).Set(key, bz)
}

func (k Keeper) GetPairedDevice(ctx context.Context, pub []byte) (types.PairedDevice, bool, error) {
	var d types.PairedDevice
	found, err := k.getProto(ctx, types.PairedDeviceKey(pub), &d)
	return d, found, err
}

func (k Keeper) GetOwner(ctx context.Context, owner []byte) (types.Owner, bool, error) {
	var o types.Owner
	found, err := k.getProto(ctx, types.OwnerKey(owner), &o)
	return o, found, err
}

// GetSealed returns the envelope stored under a record key (nil when none is).
func (k Keeper) GetSealed(ctx context.Context, recordKey []byte) ([]byte, error) {
	return k.storeService.OpenKVStore(ctx).Get(types.SealedKey(recordKey))
}

func (k Keeper) setSealed(ctx context.Context, recordKey, envelope []byte) error {
	return k.storeService.OpenKVStore(ctx).Set(types.SealedKey(recordKey), envelope)
}

func (k Keeper) GetGrant(ctx context.Context, owner, grantee []byte, class string) (types.Grant, bool, error) {
	var g types.Grant
	found, err := k.getProto(ctx, types.GrantKey(owner, grantee, class), &g)
	return g, found, err
}

// SetLayout writes the store's layout record (types.LayoutKey), at genesis.
func (k Keeper) SetLayout(ctx context.Context) error {
	return k.storeService.OpenKVStore(ctx).Set(types.LayoutKey, []byte(types.LayoutVersion))
}
