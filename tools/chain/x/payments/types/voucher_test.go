package types_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/payments/types"
)

// The chip's own voucher vectors (docs/vouchers.md): the chain decodes the same bytes to the
// same fields and the SDK's secp256k1 key verifies the chip's signature over them as it is.
func TestChipVoucherVectors(t *testing.T) {
	raw, err := os.ReadFile("../../../../../tests/chip/pay/vectors.json")
	require.NoError(t, err)
	var vec struct {
		PublicKey string `json:"public_key"`
		Vouchers  []struct {
			ChainID   string `json:"chain_id"`
			Channel   string `json:"channel"`
			Lane      uint32 `json:"lane"`
			Nonce     uint64 `json:"nonce"`
			Amount    uint64 `json:"amount"`
			Denom     string `json:"denom"`
			SignBytes string `json:"sign_bytes"`
			Signature string `json:"signature"`
		} `json:"vouchers"`
	}
	require.NoError(t, json.Unmarshal(raw, &vec))
	require.NotEmpty(t, vec.Vouchers)
	pub := &secp256k1.PubKey{Key: unhex(t, vec.PublicKey)}
	for _, w := range vec.Vouchers {
		b := unhex(t, w.SignBytes)
		v, err := types.DecodeVoucher(b)
		require.NoError(t, err)
		require.Equal(t, types.Voucher{ChainID: w.ChainID, Channel: unhex(t, w.Channel), Lane: w.Lane,
			Nonce: w.Nonce, Amount: w.Amount, Denom: w.Denom}, v)
		require.Equal(t, b, v.SignBytes())
		sig := unhex(t, w.Signature)
		require.True(t, pub.VerifySignature(b, sig))
		b[len(b)-1] ^= 1
		require.False(t, pub.VerifySignature(b, sig))
	}
}

func TestDecodeVoucherRefusals(t *testing.T) {
	good := types.Voucher{ChainID: "c", Channel: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Lane: 1, Nonce: 2, Amount: 3, Denom: "umyc"}.SignBytes()
	cases := map[string][]byte{
		"voucher_length":    append(append([]byte(nil), good...), make([]byte, 200)...),
		"voucher_domain":    append([]byte("mycroft-lc/voucher/v2\x00"), good[22:]...),
		"voucher_truncated": good[:len(good)-2],
		"voucher_trailing":  append(append([]byte(nil), good...), 0),
		"voucher_text":      []byte(strings.Replace(string(good), "umyc", "um c", 1)),
		"voucher_channel":   append(append([]byte(nil), good[:24]...), 0),
	}
	for check, b := range cases {
		_, err := types.DecodeVoucher(b)
		require.ErrorContains(t, err, check)
	}
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
