package types

// ModuleName is also the store name: the light client proves channels under the
// multistore key "payments" (the ICS23 path is [StoreKey, ChannelKey(id)]).
const (
	ModuleName = "payments"
	StoreKey   = ModuleName
)

// Store layout (docs/payments.md; devices prove these bytes, so they never change):
//
//	0x00                     -> LayoutVersion (from genesis on: the store is never empty, so
//	                            "no such channel" is provable on a fresh chain)
//	0x01 || channel id (8..32) -> protobuf Channel (mycroft.payments.v1.Channel)
var (
	LayoutKey        = []byte{0x00}
	ChannelKeyPrefix = []byte{0x01}
)

const LayoutVersion = "mycroft.payments/v1"

// ChannelKey is the store key of the channel with this id.
func ChannelKey(id []byte) []byte {
	key := make([]byte, 0, len(ChannelKeyPrefix)+len(id))
	key = append(key, ChannelKeyPrefix...)
	return append(key, id...)
}
