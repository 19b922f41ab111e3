package types

import "fmt"

// DefaultGenesis has no channels.
func DefaultGenesis() *GenesisState { return &GenesisState{} }

// Validate checks every channel's form and that no id appears twice, and the provider lists'.
func (gs GenesisState) Validate() error {
	seen := make(map[string]bool, len(gs.Channels))
	for i, c := range gs.Channels {
		if err := validChannelID(c.Id); err != nil {
			return fmt.Errorf("channel %d: %w", i, err)
		}
		if seen[string(c.Id)] {
			return fmt.Errorf("channel %d: duplicate id", i)
		}
		seen[string(c.Id)] = true
		if len(c.Spender) != SpenderLen || c.Owner == "" || c.Device == "" || c.Provider == "" || c.Denom == "" {
			return fmt.Errorf("channel %d: owner, device, provider, denom and a 33-byte spender are required", i)
		}
		if c.Redeemed > c.Deposit || len(c.Lanes) > MaxLanes {
			return fmt.Errorf("channel %d: redeemed above the deposit or over %d lanes", i, MaxLanes)
		}
	}
	services := make(map[string]bool, len(gs.Services))
	for i, sp := range gs.Services {
		if err := ValidService(sp.Service); err != nil || services[sp.Service] {
			return fmt.Errorf("service %d: a valid name, once", i)
		}
		services[sp.Service] = true
		if len(sp.Providers) == 0 || len(sp.Providers) > MaxProviders {
			return fmt.Errorf("service %d: 1..%d providers", i, MaxProviders)
		}
	}
	return nil
}
