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
//	0x02 || len(service) || service -> protobuf ServiceProviders (the provider registry)
var (
	LayoutKey        = []byte{0x00}
	ChannelKeyPrefix = []byte{0x01}
	ServiceKeyPrefix = []byte{0x02}
)

const LayoutVersion = "mycroft.payments/v1"

// ChannelKey is the store key of the channel with this id.
func ChannelKey(id []byte) []byte {
	key := make([]byte, 0, len(ChannelKeyPrefix)+len(id))
	key = append(key, ChannelKeyPrefix...)
	return append(key, id...)
}

// ServiceKey is the store key of a service's provider list (the service is 1..32 bytes).
func ServiceKey(service string) []byte {
	key := make([]byte, 0, len(ServiceKeyPrefix)+1+len(service))
	key = append(key, ServiceKeyPrefix...)
	key = append(key, byte(len(service)))
	return append(key, service...)
}
