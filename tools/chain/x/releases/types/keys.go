package types

// ModuleName is also the store name: chips prove records under the multistore key
// "releases" (the ICS23 path is [StoreKey, ReleaseKey(image hash)]).
const (
	ModuleName = "releases"
	StoreKey   = ModuleName
)

// ReleaseKeyPrefix starts every release record's key in the "releases" IAVL store:
//
//	key   = 0x01 || SHA-256 of the whole release image (32 bytes)
//	value = protobuf Release (mycroft.releases.v1.Release)
//
// docs/ota.md documents these bytes: chips prove them, so they never change.
var ReleaseKeyPrefix = []byte{0x01}

// ImageHashLen is the length of an image's SHA-256.
const ImageHashLen = 32

// ReleaseKey is the store key of the record of the image whose SHA-256 is h.
func ReleaseKey(h []byte) []byte {
	key := make([]byte, 0, len(ReleaseKeyPrefix)+len(h))
	key = append(key, ReleaseKeyPrefix...)
	return append(key, h...)
}
