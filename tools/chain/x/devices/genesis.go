package devices

import (
	"context"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// InitGenesis writes every record under the address of its public key, and the pairing state
// (paired devices, owners with their epochs, envelopes, grants) under its keys.
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	if err := k.SetLayout(ctx); err != nil {
		return err
	}
	for _, d := range gs.Devices {
		addr := (&secp256k1.PubKey{Key: d.PubKey}).Address().Bytes()
		if err := k.SetDevice(ctx, addr, *d); err != nil {
			return err
		}
	}
	if err := k.SetPairingGenesis(ctx, gs); err != nil {
		return err
	}
	return k.SetSharingGenesis(ctx, gs)
}

// ExportGenesis reads the whole table back, the pairing state with it.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	devs, err := k.AllDevices(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Devices: make([]*types.Device, len(devs))}
	for i := range devs {
		gs.Devices[i] = &devs[i]
	}
	if err := k.PairingGenesis(ctx, gs); err != nil {
		return nil, err
	}
	if err := k.SharingGenesis(ctx, gs); err != nil {
		return nil, err
	}
	return gs, nil
}
