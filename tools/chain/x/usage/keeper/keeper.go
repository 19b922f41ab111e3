// Package keeper is the only code of the usage module that touches state.
package keeper

import (
	"context"
	"encoding/binary"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/mycroft-lightclient/chain/x/usage/types"
)

type Keeper struct {
	storeService store.KVStoreService
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	bank         types.BankKeeper
	devices      types.DevicesKeeper
	// authority is the only signer MsgSetIssuerKey accepts (bech32; the gov module account).
	authority string
}

func NewKeeper(storeService store.KVStoreService, cdc codec.BinaryCodec, addressCodec address.Codec,
	bank types.BankKeeper, devices types.DevicesKeeper, authority string) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic("usage: invalid authority address: " + err.Error())
	}
	return Keeper{storeService: storeService, cdc: cdc, addressCodec: addressCodec, bank: bank, devices: devices, authority: authority}
}

// Authority is the bech32 address whose signature MsgSetIssuerKey needs.
func (k Keeper) Authority() string { return k.authority }

func (k Keeper) get(ctx context.Context, key []byte, into codec.ProtoMarshaler) (bool, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(key)
	if err != nil || bz == nil {
		return false, err
	}
	return true, k.cdc.Unmarshal(bz, into)
}

func (k Keeper) set(ctx context.Context, key []byte, v codec.ProtoMarshaler) error {
	bz, err := k.cdc.Marshal(v)
	if err != nil {
		return err
	}
	return k.storeService.OpenKVStore(ctx).Set(key, bz)
}

func (k Keeper) SetLayout(ctx context.Context) error {
	return k.storeService.OpenKVStore(ctx).Set(types.LayoutKey, []byte(types.LayoutVersion))
}

func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	var p types.Params
	_, err := k.get(ctx, types.ParamsKey, &p)
	return p, err
}

func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	return k.set(ctx, types.ParamsKey, &p)
}

func (k Keeper) GetIssuerKey(ctx context.Context) (types.IssuerKey, bool, error) {
	var ik types.IssuerKey
	found, err := k.get(ctx, types.IssuerKeyKey, &ik)
	return ik, found, err
}

func (k Keeper) SetIssuerKey(ctx context.Context, ik types.IssuerKey) error {
	return k.set(ctx, types.IssuerKeyKey, &ik)
}

func (k Keeper) GetSkill(ctx context.Context, id string) (types.Skill, bool, error) {
	var s types.Skill
	found, err := k.get(ctx, types.SkillKey(id), &s)
	return s, found, err
}

func (k Keeper) GetSkillTally(ctx context.Context, epoch uint64, id string) (types.SkillTally, error) {
	var t types.SkillTally
	_, err := k.get(ctx, types.SkillTallyKey(epoch, id), &t)
	return t, err
}

func (k Keeper) EpochTotal(ctx context.Context, epoch uint64) (uint64, error) {
	bz, err := k.storeService.OpenKVStore(ctx).Get(types.EpochTotalKey(epoch))
	if err != nil || bz == nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(bz), nil
}

func (k Keeper) setEpochTotal(ctx context.Context, epoch, n uint64) error {
	return k.storeService.OpenKVStore(ctx).Set(types.EpochTotalKey(epoch), binary.BigEndian.AppendUint64(nil, n))
}

func (k Keeper) IsSpent(ctx context.Context, h []byte) (bool, error) {
	return k.storeService.OpenKVStore(ctx).Has(types.SpentKey(h))
}
