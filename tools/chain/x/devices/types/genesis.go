package types

import (
	"bytes"
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
		if d.Owner == "" || d.Version == 0 {
			return fmt.Errorf("device %d: owner and version >= 1 are required", i)
		}
		if seen[string(d.PubKey)] {
			return fmt.Errorf("device %d: duplicate public key", i)
		}
		seen[string(d.PubKey)] = true
	}
	if err := gs.validatePairing(); err != nil {
		return err
	}
	return gs.validateSharing()
}

// validatePairing checks the pairing state's keys and forms: an Ed25519 key per paired device,
// a secp256k1 key per owner, every envelope parsed and stored under the record key it names,
// grants under 20-byte owners and grantees with a class; nothing twice.
func (gs GenesisState) validatePairing() error {
	seen := map[string]bool{}
	once := func(key []byte, what string, i int) error {
		if seen[string(key)] {
			return fmt.Errorf("%s %d: duplicate", what, i)
		}
		seen[string(key)] = true
		return nil
	}
	for i, d := range gs.Paired {
		if len(d.PubKey) != 32 || len(d.X25519Key) != 32 || d.Owner == "" {
			return fmt.Errorf("paired device %d: a 32-byte Ed25519 key, a 32-byte X25519 key and an owner are required", i)
		}
		if err := once(PairedDeviceKey(d.PubKey), "paired device", i); err != nil {
			return err
		}
	}
	for i, o := range gs.Owners {
		if len(o.PubKey) != PubKeyLen || len(o.Devices) > MaxOwnerDevices || len(o.Grants) > MaxOwnerGrants {
			return fmt.Errorf("owner %d: a %d-byte key, at most %d devices and %d grants", i, PubKeyLen, MaxOwnerDevices, MaxOwnerGrants)
		}
		if err := once(OwnerKey(o.PubKey), "owner", i); err != nil {
			return err
		}
	}
	for i, s := range gs.Sealed {
		e, err := ParseEnvelope(s.Envelope)
		if err != nil {
			return fmt.Errorf("envelope %d: %w", i, err)
		}
		if !bytes.Equal(e.RecordKey, s.RecordKey) {
			return fmt.Errorf("envelope %d: stored under another record key than it names", i)
		}
		if err := once(SealedKey(s.RecordKey), "envelope", i); err != nil {
			return err
		}
	}
	for i, g := range gs.Grants {
		if len(g.Owner) != DeviceAddressLen || len(g.Grantee) != DeviceAddressLen ||
			len(g.Class) == 0 || len(g.Class) > MaxGrantClass || g.Grant == nil {
			return fmt.Errorf("grant %d: 20-byte owner and grantee, a class of 1..%d bytes and the grant", i, MaxGrantClass)
		}
		if err := once(GrantKey(g.Owner, g.Grantee, g.Class), "grant", i); err != nil {
			return err
		}
	}
	return nil
}
