package types

import (
	"encoding/hex"
	"fmt"

	errorsmod "cosmossdk.io/errors"
)

// What a device writes itself (skill settings, settings meta, metrics) is a sealed envelope
// (docs/envelopes.md, docs/device-writes.md): sealed by the device's chip to its owner's current
// key epoch, so the owner and the owner's other devices read it and nobody else, and signed by
// the device's Ed25519 key, which the owner record lists. The chain stores it under
// 0x05 || record key, like every envelope, and never opens it.
//
// Record key: "write/<owner bech32>/<device Ed25519 key, 64 hex digits>.<kind>", kind one of
// WriteKindNames (<= 125 bytes, within MaxRecordKey).

// MaxWriteEnvelope bounds a device write: the device API seals at most MaxSettingsLen bytes,
// and one wrap with the envelope's fields adds about 300 (docs/envelopes.md).
const MaxWriteEnvelope = MaxSettingsLen + 1024

// WriteKindNames are the kinds' names in record keys.
var WriteKindNames = map[WriteKind]string{
	WriteKind_WRITE_KIND_SKILL_SETTINGS: "skills",
	WriteKind_WRITE_KIND_SETTINGS_META:  "meta",
	WriteKind_WRITE_KIND_METRICS:        "metrics",
}

// ErrPlaintextWrite: the write is not an envelope at all (the old plaintext JSON path).
var ErrPlaintextWrite = errorsmod.Register(ModuleName, 40, "device writes are accepted only as sealed envelopes")

// DeviceWriteRecordKey is the record key of a paired device's write of `kind`.
func DeviceWriteRecordKey(owner string, device []byte, kind WriteKind) []byte {
	return []byte(fmt.Sprintf("write/%s/%s.%s", owner, hex.EncodeToString(device), WriteKindNames[kind]))
}

// ParseDeviceWrite parses the envelope of a device write: bytes that do not even start as a
// CBOR map (JSON, text, protobuf) are plaintext (ErrPlaintextWrite); a map that is not an
// envelope is ErrBadEnvelope.
func ParseDeviceWrite(data []byte) (Envelope, error) {
	if len(data) == 0 || data[0]>>5 != 5 {
		return Envelope{}, errorsmod.Wrap(ErrPlaintextWrite, "not a CBOR envelope")
	}
	return ParseEnvelope(data)
}

// SplitWriteKey: the owner (bech32 as written), the device's Ed25519 key and the kind of a
// "write/..." record key.
func SplitWriteKey(key []byte) (owner string, device []byte, kind WriteKind, err error) {
	bad := errorsmod.Wrapf(ErrEnvelopeRecordKey, "%q is not write/<owner>/<device key hex>.<kind>", key)
	s := string(key)
	if len(s) < 6 || s[:6] != "write/" {
		return "", nil, 0, bad
	}
	rest := s[6:]
	slash := -1
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			if slash >= 0 {
				return "", nil, 0, bad
			}
			slash = i
		}
	}
	if slash < 1 || len(rest) < slash+1+2*ed25519Len+2 || rest[slash+1+2*ed25519Len] != '.' {
		return "", nil, 0, bad
	}
	owner = rest[:slash]
	hexKey := rest[slash+1 : slash+1+2*ed25519Len]
	if device, err = hex.DecodeString(hexKey); err != nil || hex.EncodeToString(device) != hexKey {
		return "", nil, 0, bad // lower-case hex only: one key, one spelling
	}
	name := rest[slash+2+2*ed25519Len:]
	for k, n := range WriteKindNames {
		if n == name {
			return owner, device, k, nil
		}
	}
	return "", nil, 0, bad
}
