package releases

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/releases/keeper"
	"github.com/mycroft-lightclient/chain/x/releases/types"
)

// InitGenesis writes every record under its image hash.
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	for _, r := range gs.Releases {
		if err := k.SetRelease(ctx, *r); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads every record back.
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	rs, err := k.AllReleases(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Releases: make([]*types.Release, len(rs))}
	for i := range rs {
		gs.Releases[i] = &rs[i]
	}
	return gs, nil
}
