package types

import (
	"bytes"
	"fmt"

	"github.com/cosmos/gogoproto/proto"
)

// validateSharing: every record of data sharing is under a key of its layout (keys_blobs.go)
// with a value of its type, at most once.
func (gs GenesisState) validateSharing() error {
	seen := map[string]bool{}
	for i, r := range gs.Sharing {
		if len(r.Key) < 1+DeviceAddressLen || seen[string(r.Key)] {
			return fmt.Errorf("sharing record %d: a key of 0x07, 0x08 or 0x09 and an address, once", i)
		}
		seen[string(r.Key)] = true
		rest := r.Key[1+DeviceAddressLen:]
		var m proto.Message
		switch {
		case bytes.HasPrefix(r.Key, BlobKeyPrefix):
			if len(rest) < 1+1+8 || int(rest[0]) != len(rest)-9 || int(rest[0]) > MaxGrantClass {
				return fmt.Errorf("sharing record %d: a blob key is owner, u8 len(class), class, u64 seq", i)
			}
			m = &BlobRecord{}
		case bytes.HasPrefix(r.Key, ClassStateKeyPrefix):
			if len(rest) == 0 || len(rest) > MaxGrantClass {
				return fmt.Errorf("sharing record %d: a class of 1..%d bytes", i, MaxGrantClass)
			}
			m = &ClassState{}
		case bytes.HasPrefix(r.Key, RecipientKeyKeyPrefix):
			if len(rest) != 0 {
				return fmt.Errorf("sharing record %d: a recipient key's key is 0x09 and an address", i)
			}
			m = &RecipientKey{}
		default:
			return fmt.Errorf("sharing record %d: key prefix %#x is not data sharing's", i, r.Key[0])
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			return fmt.Errorf("sharing record %d: %w", i, err)
		}
		if rk, ok := m.(*RecipientKey); ok && len(rk.X25519Key) != 32 {
			return fmt.Errorf("sharing record %d: a 32-byte X25519 key", i)
		}
	}
	return nil
}
