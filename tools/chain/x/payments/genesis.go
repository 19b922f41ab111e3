package payments

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/payments/keeper"
	"github.com/mycroft-lightclient/chain/x/payments/types"
)

// InitGenesis writes the layout record, every channel and every service's provider list.
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	if err := k.SetLayout(ctx); err != nil {
		return err
	}
	for _, c := range gs.Channels {
		if err := k.SetChannel(ctx, *c); err != nil {
			return err
		}
	}
	for _, sp := range gs.Services {
		if err := types.ValidService(sp.Service); err != nil {
			return err
		}
		if err := k.SetService(ctx, *sp); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads every channel and provider list back.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	cs, err := k.AllChannels(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Channels: make([]*types.Channel, len(cs))}
	for i := range cs {
		gs.Channels[i] = &cs[i]
	}
	ss, err := k.AllServices(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ss {
		gs.Services = append(gs.Services, &ss[i])
	}
	return gs, nil
}
