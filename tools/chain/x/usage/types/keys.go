package types

import "encoding/binary"

// ModuleName is also the store name: the light client proves under the multistore key "usage"
// (the ICS23 path is [StoreKey, key]).
const (
	ModuleName = "usage"
	StoreKey   = ModuleName
)

// Store layout (docs/usage-tokens.md; clients prove these bytes, so they never change):
//
//	0x00                          -> LayoutVersion (the store is never empty)
//	0x01                          -> protobuf IssuerKey (absent until set)
//	0x02 || SHA-256(token message) -> 0x01: a spent token
//	0x03 || skill id              -> protobuf Skill (its creator is paid)
//	0x04 || epoch (8, big-endian)  -> uint64 big-endian: tokens redeemed in the epoch
//	0x05 || epoch (8) || skill id  -> protobuf SkillTally
//	0x06                          -> protobuf Params
var (
	LayoutKey        = []byte{0x00}
	IssuerKeyKey     = []byte{0x01}
	SpentKeyPrefix   = []byte{0x02}
	SkillKeyPrefix   = []byte{0x03}
	EpochTotalPrefix = []byte{0x04}
	SkillTallyPrefix = []byte{0x05}
	ParamsKey        = []byte{0x06}
)

const LayoutVersion = "mycroft.usage/v1"

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func epochBytes(e uint64) []byte { return binary.BigEndian.AppendUint64(nil, e) }

// SpentKey is the key marking the token whose message hashes to h as spent.
func SpentKey(h []byte) []byte { return cat(SpentKeyPrefix, h) }

// SkillKey is the key of a skill's record.
func SkillKey(id string) []byte { return cat(SkillKeyPrefix, []byte(id)) }

// EpochTotalKey is the key of an epoch's redeemed-token count.
func EpochTotalKey(e uint64) []byte { return cat(EpochTotalPrefix, epochBytes(e)) }

// SkillTallyKey is the key of one skill's tally in one epoch.
func SkillTallyKey(e uint64, id string) []byte {
	return cat(SkillTallyPrefix, epochBytes(e), []byte(id))
}
