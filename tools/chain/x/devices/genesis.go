package devices

import (
	"context"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// InitGenesis writes every record under the address of its public key.
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
	for _, w := range gs.Writes {
		if err := k.SetWrite(ctx, w.DeviceAddress, *w.Write); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the whole table back.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	devs, err := k.AllDevices(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Devices: make([]*types.Device, len(devs))}
	for i := range devs {
		gs.Devices[i] = &devs[i]
	}
	if gs.Writes, err = k.AllWrites(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}
