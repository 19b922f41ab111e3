package keeper

import (
	"context"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
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

// PairingGenesis reads the whole pairing state back, in key order (genesis export).
func (k Keeper) PairingGenesis(ctx context.Context, gs *types.GenesisState) error {
	kv := k.storeService.OpenKVStore(ctx)
	each := func(prefix []byte, fn func(key, value []byte) error) error {
		it, err := kv.Iterator(prefix, prefixEnd(prefix))
		if err != nil {
			return err
		}
		defer it.Close()
		for ; it.Valid(); it.Next() {
			if err := fn(it.Key()[len(prefix):], it.Value()); err != nil {
				return err
			}
		}
		return nil
	}
	if err := each(types.PairedDeviceKeyPrefix, func(_, v []byte) error {
		d := &types.PairedDevice{}
		gs.Paired = append(gs.Paired, d)
		return k.cdc.Unmarshal(v, d)
	}); err != nil {
		return err
	}
	if err := each(types.OwnerKeyPrefix, func(_, v []byte) error {
		o := &types.Owner{}
		gs.Owners = append(gs.Owners, o)
		return k.cdc.Unmarshal(v, o)
	}); err != nil {
		return err
	}
	if err := each(types.SealedKeyPrefix, func(key, v []byte) error {
		gs.Sealed = append(gs.Sealed, &types.GenesisSealed{RecordKey: append([]byte(nil), key...),
			Envelope: append([]byte(nil), v...)})
		return nil
	}); err != nil {
		return err
	}
	return each(types.GrantKeyPrefix, func(key, v []byte) error {
		g := &types.Grant{}
		gs.Grants = append(gs.Grants, &types.GenesisGrant{Owner: append([]byte(nil), key[:20]...),
			Grantee: append([]byte(nil), key[20:40]...), Class: string(key[40:]), Grant: g})
		return k.cdc.Unmarshal(v, g)
	})
}

// SetPairingGenesis writes the pairing state of a genesis (checked by GenesisState.Validate):
// every record under the key the message server would have written it.
func (k Keeper) SetPairingGenesis(ctx context.Context, gs *types.GenesisState) error {
	for _, d := range gs.Paired {
		if err := k.setProto(ctx, types.PairedDeviceKey(d.PubKey), d); err != nil {
			return err
		}
	}
	for _, o := range gs.Owners {
		addr := (&secp256k1.PubKey{Key: o.PubKey}).Address().Bytes()
		if err := k.setProto(ctx, types.OwnerKey(addr), o); err != nil {
			return err
		}
	}
	for _, s := range gs.Sealed {
		if err := k.setSealed(ctx, s.RecordKey, s.Envelope); err != nil {
			return err
		}
	}
	for _, g := range gs.Grants {
		if err := k.setProto(ctx, types.GrantKey(g.Owner, g.Grantee, g.Class), g.Grant); err != nil {
			return err
		}
	}
	return nil
}
