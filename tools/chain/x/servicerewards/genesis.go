package servicerewards

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/servicerewards/keeper"
	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

// InitGenesis writes the layout record, the params and every bond.
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	if err := k.SetLayout(ctx); err != nil {
		return err
	}
	if err := k.SetParams(ctx, *gs.Params); err != nil {
		return err
	}
	for _, b := range gs.Bonds {
		addr, err := k.DeviceBytes(b.Device)
		if err != nil {
			return err
		}
		if err := k.SetBond(ctx, addr, *b); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the params and bonds back.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	p, err := k.Params(ctx)
	if err != nil {
		return nil, err
	}
	bs, err := k.AllBonds(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: &p, Bonds: make([]*types.Bond, len(bs))}
	for i := range bs {
		gs.Bonds[i] = &bs[i]
	}
	return gs, nil
}
