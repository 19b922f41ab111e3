package types_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

func TestOnlyDeterministicCBORIsAccepted(t *testing.T) {
	bz, err := os.ReadFile("../keeper/testdata/pairing.json")
	require.NoError(t, err)
	var v struct {
		Settings string `json:"settings_v1_owner"`
	}
	require.NoError(t, json.Unmarshal(bz, &v))
	env, _ := hex.DecodeString(v.Settings)
	e, err := types.ParseEnvelope(env)
	require.NoError(t, err)
	require.True(t, e.VerifyWriter())
	require.Equal(t, uint64(1), e.Version)

	// version 1 written in two bytes: the same value, another encoding
	long := bytes.Replace(env, []byte("location\x03\x01\x04"), []byte("location\x03\x18\x01\x04"), 1)
	require.NotEqual(t, env, long)
	_, err = types.ParseEnvelope(long)
	require.ErrorIs(t, err, types.ErrBadEnvelope)
	require.ErrorContains(t, err, "deterministic")
}
