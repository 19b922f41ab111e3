package types

import "fmt"

// DefaultGenesis has no release records.
func DefaultGenesis() *GenesisState { return &GenesisState{} }

// Validate checks every record's form and that no image appears twice.
func (gs GenesisState) Validate() error {
	seen := make(map[string]bool, len(gs.Releases))
	for i, r := range gs.Releases {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("release %d: %w", i, err)
		}
		if seen[string(r.ImageSha256)] {
			return fmt.Errorf("release %d: duplicate image hash %X", i, r.ImageSha256)
		}
		seen[string(r.ImageSha256)] = true
	}
	return nil
}
