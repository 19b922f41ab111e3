package payments

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/payments/keeper"
	"github.com/mycroft-lightclient/chain/x/payments/types"
)

// InitGenesis writes the layout record and every channel.
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	if err := k.SetLayout(ctx); err != nil {
		return err
	}
	for _, c := range gs.Channels {
		if err := k.SetChannel(ctx, *c); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads every channel back.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	cs, err := k.AllChannels(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Channels: make([]*types.Channel, len(cs))}
	for i := range cs {
		gs.Channels[i] = &cs[i]
	}
	return gs, nil
}
