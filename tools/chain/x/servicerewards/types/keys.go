package types

import "encoding/binary"

// ModuleName is also the store name: the light client proves bonds and earnings under the
// multistore key "servicerewards" (the ICS23 path is [StoreKey, key]).
const (
	ModuleName = "servicerewards"
	StoreKey   = ModuleName
)

// Store layout (docs/rewards.md; devices prove these bytes, so they never change). Heights and
// epochs are u64 big-endian; addresses are the 20-byte account addresses. No value is empty
// (ICS23 cannot prove an empty value), so every key below is provable present or absent.
//
//	0x00                                      -> LayoutVersion (the store is never empty)
//	0x01 || device                            -> protobuf Bond
//	0x02 || epoch || server || client         -> 0x01: this receipt was counted (replay guard)
//	0x03 || height                            -> the block hash at that height (32 bytes),
//	                                             kept 2 epochs (BeginBlock writes and prunes)
//	0x04 || epoch || server                   -> u64: receipts counted for the server
//	0x05 || device                            -> protobuf Earnings
//	0x06 || epoch || client                   -> u64: servers the client's receipts count for
//	0x07                                      -> protobuf Params
//	0x08                                      -> u64: the reward pool (funds and slashed
//	                                             bonds; bonds themselves are never paid out)
//	0x08                                      -> u64: the reward pool (funds and slashed
//	                                             bonds; bonds themselves are never paid out)
var (
	LayoutKey       = []byte{0x00}
	BondKeyPrefix   = []byte{0x01}
	UsedKeyPrefix   = []byte{0x02}
	HashKeyPrefix   = []byte{0x03}
	TallyKeyPrefix  = []byte{0x04}
	EarningsPrefix  = []byte{0x05}
	ClientKeyPrefix = []byte{0x06}
	ParamsKey       = []byte{0x07}
	PoolKey         = []byte{0x08}
	UsedMarker      = []byte{0x01}
	AddressLen      = 20
	LayoutVersion   = "mycroft.servicerewards/v1"
)

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// U64 is n as 8 big-endian bytes (store keys and counter values).
func U64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func BondKey(device []byte) []byte     { return join(BondKeyPrefix, device) }
func EarningsKey(device []byte) []byte { return join(EarningsPrefix, device) }
func HashKey(height uint64) []byte     { return join(HashKeyPrefix, U64(height)) }
func UsedKey(epoch uint64, server, client []byte) []byte {
	return join(UsedKeyPrefix, U64(epoch), server, client)
}
func TallyKey(epoch uint64, server []byte) []byte { return join(TallyKeyPrefix, U64(epoch), server) }
func TallyPrefix(epoch uint64) []byte             { return join(TallyKeyPrefix, U64(epoch)) }
func UsedPrefix(epoch uint64) []byte              { return join(UsedKeyPrefix, U64(epoch)) }
func ClientKey(epoch uint64, client []byte) []byte {
	return join(ClientKeyPrefix, U64(epoch), client)
}
func ClientPrefix(epoch uint64) []byte { return join(ClientKeyPrefix, U64(epoch)) }
