package types

import "fmt"

// DefaultGenesis has no channels.
func DefaultGenesis() *GenesisState { return &GenesisState{} }

// Validate checks every channel's form and that no id appears twice.
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
	return nil
}
