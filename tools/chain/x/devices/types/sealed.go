package types

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"

	errorsmod "cosmossdk.io/errors"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/fxamacker/cbor/v2"
)

// The byte strings the chip and the owner's tool sign (lightclient/chip/keys/pairing.py,
// envelope.py; docs/pairing.md, docs/envelopes.md). Each starts with a domain that is neither
// a protobuf SignDoc nor JSON, so no signature here is ever a transaction signature.
const (
	PairingDomain        = "mycroft-lc/pairing/v1"
	PairingSignPrefix    = "mycroft-lc/pairing/v1 statement\x00"
	EnvelopeDomain       = "mycroft-lc/envelope/v1"
	EnvelopeSignPrefix   = "mycroft-lc/envelope/v1 signature\x00"
	GrantDomain          = "mycroft-lc/grant/v1"
	GrantSignPrefix      = "mycroft-lc/grant/v1 statement\x00"
	MaxStatement         = 512
	MaxEnvelope          = 16384 + 8192
	MaxPlaintext         = 16384
	MaxWraps             = MaxOwnerDevices
	MaxChainID           = 64
	MaxRecordKey         = 128
	MaxSettingName       = 64
	MaxGrantClass        = 64
	envelopeFormat       = 1
	aeadTag              = 16
	wrappedKey           = 32 + aeadTag
	x25519Len            = 32
	ed25519Len           = ed25519.PublicKeySize
	secp256k1Len         = 33
	signatureLen         = 64
	envelopeSignatureKey = 8
)

// The CBOR subset of docs/cbor-subset.md: definite lengths, no tags, no duplicate keys, and the
// decoder takes only the core deterministic form (checked by re-encoding: one value, one
// encoding, so what was signed is what is read).
var (
	cborDec, _ = cbor.DecOptions{
		DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden,
		TagsMd: cbor.TagsForbidden, MaxNestedLevels: 4, MaxArrayElements: 64, MaxMapPairs: 16,
	}.DecMode()
	cborEnc, _ = cbor.EncOptions{Sort: cbor.SortBytewiseLexical, IndefLength: cbor.IndefLengthForbidden}.EncMode()
)

// decodeMap decodes a canonical CBOR map with unsigned keys exactly `keys` (0..keys-1).
func decodeMap(data []byte, keys int, errType *errorsmod.Error, what string) (map[uint64]cbor.RawMessage, error) {
	var m map[uint64]cbor.RawMessage
	if err := cborDec.Unmarshal(data, &m); err != nil {
		return nil, errorsmod.Wrapf(errType, "%s: not a CBOR map: %s", what, err)
	}
	if len(m) != keys {
		return nil, errorsmod.Wrapf(errType, "%s: %d fields, want %d", what, len(m), keys)
	}
	for k := uint64(0); k < uint64(keys); k++ {
		if _, ok := m[k]; !ok {
			return nil, errorsmod.Wrapf(errType, "%s: field %d missing", what, k)
		}
	}
	var whole any // every nested item too: shortest arguments, sorted keys
	if err := cborDec.Unmarshal(data, &whole); err != nil {
		return nil, errorsmod.Wrapf(errType, "%s: %s", what, err)
	}
	again, err := cborEnc.Marshal(whole)
	if err != nil || !bytes.Equal(again, data) {
		return nil, errorsmod.Wrapf(errType, "%s: not deterministic CBOR", what)
	}
	return m, nil
}

func field(m map[uint64]cbor.RawMessage, k uint64, out any, errType *errorsmod.Error, what string) error {
	if err := cborDec.Unmarshal(m[k], out); err != nil {
		return errorsmod.Wrapf(errType, "%s field %d: %s", what, k, err)
	}
	return nil
}

func bytesField(m map[uint64]cbor.RawMessage, k uint64, min, max int, errType *errorsmod.Error, what string) ([]byte, error) {
	var b []byte
	if len(m[k]) == 0 || m[k][0]>>5 != 2 { // major type 2: a byte string, never text
		return nil, errorsmod.Wrapf(errType, "%s field %d: not a byte string", what, k)
	}
	if err := field(m, k, &b, errType, what); err != nil {
		return nil, err
	}
	if len(b) < min || len(b) > max {
		return nil, errorsmod.Wrapf(errType, "%s field %d: %d bytes, want %d..%d", what, k, len(b), min, max)
	}
	return b, nil
}

func textField(m map[uint64]cbor.RawMessage, k uint64, max int, errType *errorsmod.Error, what string) (string, error) {
	var s string
	if len(m[k]) == 0 || m[k][0]>>5 != 3 {
		return "", errorsmod.Wrapf(errType, "%s field %d: not a text string", what, k)
	}
	if err := field(m, k, &s, errType, what); err != nil {
		return "", err
	}
	if len(s) > max {
		return "", errorsmod.Wrapf(errType, "%s field %d: over %d bytes", what, k, max)
	}
	return s, nil
}

func uintField(m map[uint64]cbor.RawMessage, k uint64, max uint64, errType *errorsmod.Error, what string) (uint64, error) {
	var n uint64
	if len(m[k]) == 0 || m[k][0]>>5 != 0 {
		return 0, errorsmod.Wrapf(errType, "%s field %d: not an unsigned integer", what, k)
	}
	if err := field(m, k, &n, errType, what); err != nil {
		return 0, err
	}
	if n > max {
		return 0, errorsmod.Wrapf(errType, "%s field %d: %d over %d", what, k, n, max)
	}
	return n, nil
}

// VerifySecp256k1 checks a Cosmos-style signature (r||s, low s) over SHA-256 of msg.
func VerifySecp256k1(pub, msg, sig []byte) bool {
	if len(pub) != secp256k1Len || len(sig) != signatureLen {
		return false
	}
	return (&secp256k1.PubKey{Key: pub}).VerifySignature(msg, sig)
}

// VerifyEd25519 checks an RFC 8032 signature (the chip's device key).
func VerifyEd25519(pub, msg, sig []byte) bool {
	return len(pub) == ed25519Len && len(sig) == signatureLen && ed25519.Verify(pub, msg, sig)
}

// PairingStatement is the decoded CBOR statement
// {0: domain, 1: chain id, 2: owner secp256k1 key, 3: device Ed25519 key, 4: device X25519 key,
// 5: PAKE transcript hash}.
type PairingStatement struct {
	ChainID        string
	OwnerPubKey    []byte
	DevicePubKey   []byte
	DeviceX25519   []byte
	TranscriptHash []byte
}

func ParsePairingStatement(data []byte) (PairingStatement, error) {
	var s PairingStatement
	if len(data) > MaxStatement {
		return s, errorsmod.Wrapf(ErrBadStatement, "%d bytes, at most %d", len(data), MaxStatement)
	}
	m, err := decodeMap(data, 6, ErrBadStatement, "statement")
	if err != nil {
		return s, err
	}
	domain, err := textField(m, 0, 64, ErrBadStatement, "statement")
	if err != nil {
		return s, err
	}
	if domain != PairingDomain {
		return s, errorsmod.Wrapf(ErrBadStatement, "domain %q", domain)
	}
	if s.ChainID, err = textField(m, 1, MaxChainID, ErrBadStatement, "statement"); err != nil {
		return s, err
	}
	if s.OwnerPubKey, err = bytesField(m, 2, secp256k1Len, secp256k1Len, ErrBadStatement, "statement"); err != nil {
		return s, err
	}
	if s.DevicePubKey, err = bytesField(m, 3, ed25519Len, ed25519Len, ErrBadStatement, "statement"); err != nil {
		return s, err
	}
	if s.DeviceX25519, err = bytesField(m, 4, x25519Len, x25519Len, ErrBadStatement, "statement"); err != nil {
		return s, err
	}
	s.TranscriptHash, err = bytesField(m, 5, 32, 32, ErrBadStatement, "statement")
	return s, err
}

// PairingSigningBytes is what both the owner (secp256k1 over its SHA-256) and the device
// (Ed25519) sign.
func PairingSigningBytes(statement []byte) []byte {
	return append([]byte(PairingSignPrefix), statement...)
}

// Wrap is one recipient's [X25519 key, ephemeral key, wrapped file key].
type Wrap struct {
	_         struct{} `cbor:",toarray"`
	Recipient []byte
	Ephemeral []byte
	Wrapped   []byte
}

// Envelope is a parsed sealed record (docs/envelopes.md); the chain never opens it.
type Envelope struct {
	ChainID      string
	RecordKey    []byte
	Version      uint64
	Epoch        uint64
	Wraps        []Wrap
	WriterType   string
	WriterPubKey []byte
	Signature    []byte
	signed       []byte
}

// ParseEnvelope checks the shape (every size bounded) and keeps the bytes the writer signed.
func ParseEnvelope(data []byte) (Envelope, error) {
	var e Envelope
	if len(data) > MaxEnvelope {
		return e, errorsmod.Wrapf(ErrBadEnvelope, "%d bytes, at most %d", len(data), MaxEnvelope)
	}
	m, err := decodeMap(data, 9, ErrBadEnvelope, "envelope")
	if err != nil {
		return e, err
	}
	if f, err := uintField(m, 0, 255, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	} else if f != envelopeFormat {
		return e, errorsmod.Wrapf(ErrBadEnvelope, "format %d", f)
	}
	if e.ChainID, err = textField(m, 1, MaxChainID, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	if e.RecordKey, err = bytesField(m, 2, 1, MaxRecordKey, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	if e.Version, err = uintField(m, 3, 1<<63-1, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	if e.Epoch, err = uintField(m, 4, 1<<32-1, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	if len(m[5]) == 0 || m[5][0]>>5 != 4 {
		return e, errorsmod.Wrap(ErrBadEnvelope, "envelope field 5: not an array")
	}
	if err := field(m, 5, &e.Wraps, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	if len(e.Wraps) < 1 || len(e.Wraps) > MaxWraps {
		return e, errorsmod.Wrapf(ErrBadEnvelope, "%d wraps, want 1..%d", len(e.Wraps), MaxWraps)
	}
	for i, w := range e.Wraps {
		if len(w.Recipient) != x25519Len || len(w.Ephemeral) != x25519Len || len(w.Wrapped) != wrappedKey {
			return e, errorsmod.Wrapf(ErrBadEnvelope, "wrap %d is not [32, 32, 48] bytes", i)
		}
	}
	if _, err := bytesField(m, 6, aeadTag, MaxPlaintext+aeadTag, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	var writer []cbor.RawMessage
	if err := field(m, 7, &writer, ErrBadEnvelope, "envelope"); err != nil || len(writer) != 2 {
		return e, errorsmod.Wrap(ErrBadEnvelope, "envelope field 7: writer is not [key type, key]")
	}
	wm := map[uint64]cbor.RawMessage{0: writer[0], 1: writer[1]}
	if e.WriterType, err = textField(wm, 0, 16, ErrBadEnvelope, "writer"); err != nil {
		return e, err
	}
	want := map[string]int{"secp256k1": secp256k1Len, "ed25519": ed25519Len}[e.WriterType]
	if want == 0 {
		return e, errorsmod.Wrapf(ErrBadEnvelope, "writer key type %q", e.WriterType)
	}
	if e.WriterPubKey, err = bytesField(wm, 1, want, want, ErrBadEnvelope, "writer"); err != nil {
		return e, err
	}
	if e.Signature, err = bytesField(m, 8, signatureLen, signatureLen, ErrBadEnvelope, "envelope"); err != nil {
		return e, err
	}
	delete(m, envelopeSignatureKey)
	body, err := cborEnc.Marshal(m)
	if err != nil {
		return e, errorsmod.Wrapf(ErrBadEnvelope, "re-encoding: %s", err)
	}
	e.signed = append([]byte(EnvelopeSignPrefix), body...)
	return e, nil
}

// VerifyWriter checks the writer's signature over the envelope without its signature.
func (e Envelope) VerifyWriter() bool {
	if e.WriterType == "ed25519" {
		return VerifyEd25519(e.WriterPubKey, e.signed, e.Signature)
	}
	return VerifySecp256k1(e.WriterPubKey, e.signed, e.Signature)
}

// RecordKind splits a record key "settings/<owner>/<name>" or "epoch/<owner>/<n>".
// name: 1..64 of [A-Za-z0-9._-]; n: a decimal epoch number without leading zeros.
func SplitRecordKey(key []byte) (kind, owner, rest string, err error) {
	parts := strings.Split(string(key), "/")
	if len(parts) != 3 || parts[1] == "" {
		return "", "", "", errorsmod.Wrapf(ErrEnvelopeRecordKey, "%q is not <kind>/<owner>/<name>", key)
	}
	kind, owner, rest = parts[0], parts[1], parts[2]
	switch kind {
	case "settings":
		if len(rest) < 1 || len(rest) > MaxSettingName || strings.TrimLeft(rest,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
			return "", "", "", errorsmod.Wrapf(ErrEnvelopeRecordKey, "setting name %q", rest)
		}
	case "epoch":
		if n, err := strconv.ParseUint(rest, 10, 32); err != nil || strconv.FormatUint(n, 10) != rest {
			return "", "", "", errorsmod.Wrapf(ErrEnvelopeRecordKey, "epoch number %q", rest)
		}
	default:
		return "", "", "", errorsmod.Wrapf(ErrEnvelopeRecordKey, "kind %q", kind)
	}
	return kind, owner, rest, nil
}

// EpochRecordKey is the record key of an owner's epoch envelope (epochs.epoch_record_key).
func EpochRecordKey(owner string, epoch uint64) []byte {
	return []byte(fmt.Sprintf("epoch/%s/%d", owner, epoch))
}

// GrantStatement is the decoded CBOR grant
// {0: domain, 1: chain id, 2: owner secp256k1 key, 3: grantee (bech32), 4: class, 5: expiry
// (unix seconds)}.
type GrantStatement struct {
	ChainID     string
	OwnerPubKey []byte
	Grantee     string
	Class       string
	Expiry      uint64
}

func ParseGrantStatement(data []byte) (GrantStatement, error) {
	var g GrantStatement
	if len(data) > MaxStatement {
		return g, errorsmod.Wrapf(ErrBadGrant, "%d bytes, at most %d", len(data), MaxStatement)
	}
	m, err := decodeMap(data, 6, ErrBadGrant, "grant")
	if err != nil {
		return g, err
	}
	if d, err := textField(m, 0, 64, ErrBadGrant, "grant"); err != nil {
		return g, err
	} else if d != GrantDomain {
		return g, errorsmod.Wrapf(ErrBadGrant, "domain %q", d)
	}
	if g.ChainID, err = textField(m, 1, MaxChainID, ErrBadGrant, "grant"); err != nil {
		return g, err
	}
	if g.OwnerPubKey, err = bytesField(m, 2, secp256k1Len, secp256k1Len, ErrBadGrant, "grant"); err != nil {
		return g, err
	}
	if g.Grantee, err = textField(m, 3, 128, ErrBadGrant, "grant"); err != nil {
		return g, err
	}
	if g.Class, err = textField(m, 4, MaxGrantClass, ErrBadGrant, "grant"); err != nil {
		return g, err
	}
	if g.Class == "" {
		return g, errorsmod.Wrap(ErrBadGrant, "empty class")
	}
	g.Expiry, err = uintField(m, 5, 1<<63-1, ErrBadGrant, "grant")
	return g, err
}

func GrantSigningBytes(statement []byte) []byte {
	return append([]byte(GrantSignPrefix), statement...)
}
