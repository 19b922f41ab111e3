package types_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// The chip's receipt vector (docs/vectors/rewards-receipt.json, made by
// lightclient/chip/pay/receipt.py and the chip's signer): the chain decodes the same bytes to
// the same fields, re-encodes them byte for byte, and the SDK's secp256k1 key verifies the
// chip's signature as it is.
func TestChipReceiptVector(t *testing.T) {
	raw, err := os.ReadFile("../../../../../docs/vectors/rewards-receipt.json")
	require.NoError(t, err)
	var v struct {
		Pub       string `json:"client_public_key"`
		ChainID   string `json:"chain_id"`
		Server    string `json:"server"`
		Client    string `json:"client"`
		Height    uint64 `json:"height"`
		Hash      string `json:"header_hash"`
		SignBytes string `json:"sign_bytes"`
		Signature string `json:"signature"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	b := unhex(t, v.SignBytes)
	r, err := types.DecodeReceipt(b)
	require.NoError(t, err)
	require.Equal(t, types.Receipt{ChainID: v.ChainID, Server: unhex(t, v.Server), Client: unhex(t, v.Client),
		Height: v.Height, Hash: unhex(t, v.Hash)}, r)
	require.Equal(t, b, r.SignBytes())
	pub := &secp256k1.PubKey{Key: unhex(t, v.Pub)}
	require.Equal(t, unhex(t, v.Client), []byte(pub.Address()))
	require.True(t, pub.VerifySignature(b, unhex(t, v.Signature)))
	// every other length, domain or a zero height is refused, never read past its end
	for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte(nil), b...), 0), b[:22],
		append([]byte("mycroft-lc/voucher/v1\x00"), b[22:]...)} {
		_, err := types.DecodeReceipt(bad)
		require.Error(t, err)
	}
	zero := append([]byte(nil), b...)
	copy(zero[len(zero)-40:len(zero)-32], make([]byte, 8))
	_, err = types.DecodeReceipt(zero)
	require.ErrorContains(t, err, "receipt_height")
}
