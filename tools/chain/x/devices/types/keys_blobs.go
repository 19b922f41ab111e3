package types

import "encoding/binary"

// Store layout of data sharing (store "devices"; docs/grants.md):
//
//	0x07 || owner (20) || u8 len(class) || class || u64be seq -> protobuf BlobRecord
//	0x08 || owner (20) || class (UTF-8)                      -> protobuf ClassState {epoch, blobs}
//	0x09 || account address (20)                             -> protobuf RecipientKey {x25519_key}
//
// A class's records are numbered 0..ClassState.blobs-1, so a reader proves the class state and
// then each record by its number: no unbounded list is kept in one value.
var (
	BlobKeyPrefix         = []byte{0x07}
	ClassStateKeyPrefix   = []byte{0x08}
	RecipientKeyKeyPrefix = []byte{0x09}
)

// MaxBlobSize bounds a sealed blob (the off-chain store refuses larger ones too).
const MaxBlobSize = 1 << 20

func BlobKey(owner []byte, class string, seq uint64) []byte {
	return prefixed(BlobKeyPrefix, owner, []byte{byte(len(class))}, []byte(class),
		binary.BigEndian.AppendUint64(nil, seq))
}

func ClassStateKey(owner []byte, class string) []byte {
	return prefixed(ClassStateKeyPrefix, owner, []byte(class))
}

func RecipientKeyKey(account []byte) []byte { return prefixed(RecipientKeyKeyPrefix, account) }
