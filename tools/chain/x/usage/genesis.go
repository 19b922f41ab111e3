package usage

import (
	"context"

	"github.com/mycroft-lightclient/chain/x/usage/keeper"
	"github.com/mycroft-lightclient/chain/x/usage/types"
)

// InitGenesis writes the layout record, the params and the issuer key (when set).
func InitGenesis(ctx context.Context, k keeper.Keeper, gs *types.GenesisState) error {
	if err := k.SetLayout(ctx); err != nil {
		return err
	}
	if err := k.SetParams(ctx, gs.Params); err != nil {
		return err
	}
	if gs.IssuerKey != nil {
		ik, err := types.NewIssuerKey(gs.IssuerKey.Modulus, gs.IssuerKey.Exponent)
		if err != nil {
			return err
		}
		return k.SetIssuerKey(ctx, ik)
	}
	return nil
}

// ExportGenesis reads the params and the issuer key back (spent tokens, skills and tallies are
// not exported: a chain restarted from an export starts a fresh reward history).
func ExportGenesis(ctx context.Context, k keeper.Keeper) (*types.GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p}
	if ik, found, err := k.GetIssuerKey(ctx); err != nil {
		return nil, err
	} else if found {
		gs.IssuerKey = &ik
	}
	return gs, nil
}
