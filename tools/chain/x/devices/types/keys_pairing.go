package types

// Store layout of pairing, sealed records and grants (store "devices"; docs/chain-pairing.md):
//
//	0x03 || device Ed25519 key (32)                     -> protobuf PairedDevice
//	0x04 || owner address (20)                          -> protobuf Owner {pub_key, epoch, devices}
//	0x05 || envelope record key (UTF-8, <= 128 bytes)   -> the envelope's bytes as written
//	0x06 || owner (20) || grantee (20) || class (UTF-8) -> protobuf Grant {statement, signature}
//
// Record keys of envelopes: "settings/<owner bech32>/<name>" and "epoch/<owner bech32>/<n>".
var (
	PairedDeviceKeyPrefix = []byte{0x03}
	OwnerKeyPrefix        = []byte{0x04}
	SealedKeyPrefix       = []byte{0x05}
	GrantKeyPrefix        = []byte{0x06}
)

// MaxOwnerDevices bounds an owner's devices: one epoch envelope wraps to each (MAX_WRAPS).
const MaxOwnerDevices = 32

// MaxOwnerGrants bounds the grant index of an owner record.
const MaxOwnerGrants = 64

func prefixed(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	out = append(out, prefix...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func PairedDeviceKey(pub []byte) []byte { return prefixed(PairedDeviceKeyPrefix, pub) }
func OwnerKey(owner []byte) []byte      { return prefixed(OwnerKeyPrefix, owner) }
func SealedKey(recordKey []byte) []byte { return prefixed(SealedKeyPrefix, recordKey) }
func GrantKey(owner, grantee []byte, class string) []byte {
	return prefixed(GrantKeyPrefix, owner, grantee, []byte(class))
}

// LayoutKey holds LayoutVersion from genesis on. ICS23 cannot prove an absence in an empty
// IAVL tree (a non-existence proof needs a neighbour), so the store is never empty and "this
// owner has no device yet" is provable on a fresh chain.
var LayoutKey = []byte{0x00}

const LayoutVersion = "mycroft.devices/v1"
