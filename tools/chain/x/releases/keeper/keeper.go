// Package keeper is the only code of the releases module that touches state.
package keeper

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/mycroft-lightclient/chain/x/releases/types"
)

type Keeper struct {
	storeService store.KVStoreService
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	gov          types.GovKeeper
	// authority is the only signer MsgPublishRelease accepts (bech32; the gov module account).
	authority string
}

func NewKeeper(storeService store.KVStoreService, cdc codec.BinaryCodec, addressCodec address.Codec,
	gov types.GovKeeper, authority string) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic("releases: invalid authority address: " + err.Error())
	}
	return Keeper{storeService: storeService, cdc: cdc, addressCodec: addressCodec, gov: gov, authority: authority}
}

// Authority is the bech32 address whose signature MsgPublishRelease needs.
func (k Keeper) Authority() string { return k.authority }

// GetRelease returns the record of the image whose SHA-256 is h.
func (k Keeper) GetRelease(ctx context.Context, h []byte) (types.Release, bool, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(types.ReleaseKey(h))
	if err != nil || bz == nil {
		return types.Release{}, false, err
	}
	var r types.Release
	if err := k.cdc.Unmarshal(bz, &r); err != nil {
		return types.Release{}, false, err
	}
	return r, true, nil
}

// SetRelease writes the record under 0x01 || image hash.
func (k Keeper) SetRelease(ctx context.Context, r types.Release) error {
	bz, err := k.cdc.Marshal(&r)
	if err != nil {
		return err
	}
	return k.storeService.OpenKVStore(ctx).Set(types.ReleaseKey(r.ImageSha256), bz)
}

// AllReleases returns every record in key order (genesis export).
func (k Keeper) AllReleases(ctx context.Context) ([]types.Release, error) {
	end := []byte{types.ReleaseKeyPrefix[0] + 1}
	it, err := k.storeService.OpenKVStore(ctx).Iterator(types.ReleaseKeyPrefix, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []types.Release
	for ; it.Valid(); it.Next() {
		var r types.Release
		if err := k.cdc.Unmarshal(it.Value(), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
