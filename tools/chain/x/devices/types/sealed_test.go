package types_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// FuzzParse: whatever bytes a transaction carries, the parsers answer a typed error or a value,
// never a panic (`go test -fuzz FuzzParse ./x/devices/types` explores; `go test` runs the seeds).
func FuzzParse(f *testing.F) {
	bz, err := os.ReadFile("../keeper/testdata/pairing.json")
	require.NoError(f, err)
	var v map[string]json.RawMessage
	require.NoError(f, json.Unmarshal(bz, &v))
	var env string
	require.NoError(f, json.Unmarshal(v["settings_v1_owner"], &env))
	seed, _ := hex.DecodeString(env)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{0xa9})
	f.Add([]byte{0xa6, 0x00, 0x60})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) error{
			func(b []byte) error { _, err := types.ParseEnvelope(b); return err },
			func(b []byte) error { _, err := types.ParsePairingStatement(b); return err },
			func(b []byte) error { _, err := types.ParseGrantStatement(b); return err },
		} {
			if err := parse(data); err != nil && !errors.Is(err, types.ErrBadEnvelope) &&
				!errors.Is(err, types.ErrBadStatement) && !errors.Is(err, types.ErrBadGrant) {
				t.Fatalf("untyped error: %v", err)
			}
		}
	})
}
