package types

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"regexp"

	errorsmod "cosmossdk.io/errors"
	"github.com/cloudflare/circl/blindsign/blindrsa"
)

// TokenPrefix starts every token message (docs/usage-tokens.md):
//
//	prefix || u8 len || chain id || epoch (8, big-endian) || u8 len || skill id ||
//	issuer key id (32) || nonce (32)
//
// The device picks the nonce at random; the issuer signs it blinded and never sees it.
const TokenPrefix = "mycroft-lc/usage-token/v1\x00"

const (
	KeyIDLen       = 32
	NonceLen       = 32
	MaxIDLen       = 64
	MaxTokenMsgLen = len(TokenPrefix) + 1 + MaxIDLen + 8 + 1 + MaxIDLen + KeyIDLen + NonceLen
	MaxTokensPerTx = 64
	MinModulusBits = 2048
	MaxModulusBits = 4096
)

var skillIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidateSkillID: 1..64 of [a-z0-9._-], starting with a letter or digit.
func ValidateSkillID(id string) error {
	if !skillIDRe.MatchString(id) {
		return errorsmod.Wrapf(ErrInvalidSkill, "%q", id)
	}
	return nil
}

// TokenMessage is a parsed token message.
type TokenMessage struct {
	ChainID string
	Epoch   uint64
	SkillID string
	KeyID   []byte
	Nonce   []byte
}

// ParseTokenMessage checks the layout field by field (bounded, typed: ErrMalformedToken).
func ParseTokenMessage(b []byte) (TokenMessage, error) {
	var t TokenMessage
	if len(b) > MaxTokenMsgLen {
		return t, errorsmod.Wrapf(ErrMalformedToken, "%d bytes", len(b))
	}
	if !bytes.HasPrefix(b, []byte(TokenPrefix)) {
		return t, errorsmod.Wrap(ErrMalformedToken, "prefix")
	}
	r := b[len(TokenPrefix):]
	text := func(field string) (string, error) {
		if len(r) < 1 || int(r[0]) == 0 || int(r[0]) > MaxIDLen || len(r) < 1+int(r[0]) {
			return "", errorsmod.Wrap(ErrMalformedToken, field)
		}
		s := string(r[1 : 1+int(r[0])])
		r = r[1+int(r[0]):]
		return s, nil
	}
	var err error
	if t.ChainID, err = text("chain id"); err != nil {
		return t, err
	}
	if len(r) < 8 {
		return t, errorsmod.Wrap(ErrMalformedToken, "epoch")
	}
	t.Epoch, r = binary.BigEndian.Uint64(r[:8]), r[8:]
	if t.SkillID, err = text("skill id"); err != nil {
		return t, err
	}
	if err := ValidateSkillID(t.SkillID); err != nil {
		return t, errorsmod.Wrap(ErrMalformedToken, err.Error())
	}
	if len(r) != KeyIDLen+NonceLen {
		return t, errorsmod.Wrap(ErrMalformedToken, "key id and nonce")
	}
	t.KeyID, t.Nonce = r[:KeyIDLen], r[KeyIDLen:]
	return t, nil
}

// PublicKey checks the issuer key's form and returns it as an rsa.PublicKey.
func (k IssuerKey) PublicKey() (*rsa.PublicKey, error) {
	n := new(big.Int).SetBytes(k.Modulus)
	if bits := n.BitLen(); bits < MinModulusBits || bits > MaxModulusBits || len(k.Modulus) != (bits+7)/8 || n.Bit(0) == 0 {
		return nil, errorsmod.Wrapf(ErrInvalidIssuerKey, "modulus of %d bits", n.BitLen())
	}
	if k.Exponent != 65537 {
		return nil, errorsmod.Wrapf(ErrInvalidIssuerKey, "exponent %d", k.Exponent)
	}
	return &rsa.PublicKey{N: n, E: int(k.Exponent)}, nil
}

// KeyIDOf is SHA-256(modulus || exponent as 4 bytes big-endian).
func KeyIDOf(modulus []byte, exponent uint32) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint32(append([]byte{}, modulus...), exponent))
	return h[:]
}

// NewIssuerKey checks the key and fills its id.
func NewIssuerKey(modulus []byte, exponent uint32) (IssuerKey, error) {
	k := IssuerKey{Modulus: modulus, Exponent: exponent}
	if _, err := k.PublicKey(); err != nil {
		return k, err
	}
	k.KeyId = KeyIDOf(modulus, exponent)
	return k, nil
}

// VerifyToken checks the signature: RFC 9474 RSABSSA-SHA384-PSS-Deterministic, whose
// finalized signatures are RSASSA-PSS (SHA-384, MGF1-SHA-384, 48-byte salt), with circl's
// verifier.
func (k IssuerKey) VerifyToken(msg, sig []byte) error {
	pk, err := k.PublicKey()
	if err != nil {
		return err
	}
	v, err := blindrsa.NewVerifier(blindrsa.SHA384PSSDeterministic, pk)
	if err != nil {
		return errorsmod.Wrap(ErrInvalidIssuerKey, err.Error())
	}
	if err := v.Verify(msg, sig); err != nil {
		return errorsmod.Wrap(ErrBadSignature, err.Error())
	}
	return nil
}

// Validate checks the params.
func (p Params) Validate() error {
	if p.EpochSeconds == 0 {
		return fmt.Errorf("%w: epoch_seconds is 0", ErrInvalidParams)
	}
	if err := p.EpochReward.Validate(); err != nil {
		return fmt.Errorf("%w: epoch_reward: %s", ErrInvalidParams, err)
	}
	return nil
}
