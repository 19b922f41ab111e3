package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/mycroft-lightclient/chain/x/payments/types"
)

// RegisterProvider: the provider signed (ante handler); its entry in the service's list is
// added, or replaced in place (same position) when it re-registers with a new endpoint or price.
// A full list refuses newcomers: a device proves the whole list in one proof, so it is bounded.
func (s msgServer) RegisterProvider(ctx context.Context, msg *types.MsgRegisterProvider) (*types.MsgRegisterProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := s.address("provider", msg.Provider); err != nil {
		return nil, err
	}
	sp, err := s.GetService(ctx, msg.Service)
	if err != nil {
		return nil, err
	}
	entry := &types.ProviderEntry{Address: msg.Provider, Endpoint: msg.Endpoint,
		Denom: msg.Price.Denom, Price: msg.Price.Amount.Uint64(),
		RegisteredHeight: sdk.UnwrapSDKContext(ctx).BlockHeight()}
	replaced := false
	for i, p := range sp.Providers {
		if p.Address == msg.Provider {
			sp.Providers[i], replaced = entry, true
		}
	}
	if !replaced {
		if len(sp.Providers) >= types.MaxProviders {
			return nil, errorsmod.Wrapf(types.ErrTooManyProviders, "%s lists %d", msg.Service, len(sp.Providers))
		}
		sp.Providers = append(sp.Providers, entry)
	}
	if err := s.SetService(ctx, sp); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("provider_registered",
		sdk.NewAttribute("service", msg.Service), sdk.NewAttribute("provider", msg.Provider),
		sdk.NewAttribute("endpoint", msg.Endpoint), sdk.NewAttribute("price", msg.Price.String())))
	return &types.MsgRegisterProviderResponse{Providers: uint32(len(sp.Providers))}, nil
}

// DeregisterProvider: the provider takes itself off a service's list.
func (s msgServer) DeregisterProvider(ctx context.Context, msg *types.MsgDeregisterProvider) (*types.MsgDeregisterProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	sp, err := s.GetService(ctx, msg.Service)
	if err != nil {
		return nil, err
	}
	kept := sp.Providers[:0]
	for _, p := range sp.Providers {
		if p.Address != msg.Provider {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(sp.Providers) {
		return nil, errorsmod.Wrapf(types.ErrProviderNotFound, "%s for %s", msg.Provider, msg.Service)
	}
	sp.Providers = kept
	if err := s.SetService(ctx, sp); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("provider_deregistered",
		sdk.NewAttribute("service", msg.Service), sdk.NewAttribute("provider", msg.Provider)))
	return &types.MsgDeregisterProviderResponse{}, nil
}
