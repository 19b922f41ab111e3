package types

import (
	"fmt"
)

// DefaultGenesis is an empty device table.
func DefaultGenesis() *GenesisState { return &GenesisState{} }

// Validate checks every record's form and that no public key appears twice.
func (gs GenesisState) Validate() error {
	seen := make(map[string]bool, len(gs.Devices))
	for i, d := range gs.Devices {
		if len(d.PubKey) != PubKeyLen {
			return fmt.Errorf("device %d: public key has %d bytes, want %d", i, len(d.PubKey), PubKeyLen)
		}
		if d.Owner == "" || d.Version == 0 || len(d.Settings) > MaxSettingsLen {
			return fmt.Errorf("device %d: owner, version >= 1 and settings <= %d bytes are required", i, MaxSettingsLen)
		}
		if seen[string(d.PubKey)] {
			return fmt.Errorf("device %d: duplicate public key", i)
		}
		seen[string(d.PubKey)] = true
	}
	for i, w := range gs.Writes {
		if len(w.DeviceAddress) != DeviceAddressLen || w.Write == nil {
			return fmt.Errorf("write %d: a %d-byte device address and a write are required", i, DeviceAddressLen)
		}
		if _, ok := WriteKind_name[int32(w.Write.Kind)]; !ok || w.Write.Kind == WriteKind_WRITE_KIND_UNSPECIFIED || len(w.Write.Data) > MaxSettingsLen {
			return fmt.Errorf("write %d: unknown kind or data over %d bytes", i, MaxSettingsLen)
		}
	}
	return nil
}
