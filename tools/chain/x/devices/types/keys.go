package types

// ModuleName is also the store name: the light client proves records under the
// multistore key "devices" (the ICS23 path is [StoreKey, DeviceKey(addr)]).
const (
	ModuleName = "devices"
	StoreKey   = ModuleName
)

// DeviceKeyPrefix starts every device record's key in the "devices" IAVL store:
//
//	key   = 0x01 || device address (20 bytes: RIPEMD160(SHA256(compressed secp256k1 key)))
//	value = protobuf Device (mycroft.devices.v1.Device)
//
// docs/chain.md documents these bytes: devices prove them, so they never change.
var DeviceKeyPrefix = []byte{0x01}

// 0x02 held plaintext device writes: gone (a device's writes are envelopes under 0x05, see
// keys_pairing.go and devwrites.go); the prefix is not reused.

// DeviceAddressLen is the length of an SDK secp256k1 account address.
const DeviceAddressLen = 20

// DeviceKey is the store key of the device with account address addr.
func DeviceKey(addr []byte) []byte {
	key := make([]byte, 0, len(DeviceKeyPrefix)+len(addr))
	key = append(key, DeviceKeyPrefix...)
	return append(key, addr...)
}
