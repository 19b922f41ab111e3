package keeper_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/mycroft-lightclient/chain/x/devices"
	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// A device's writes (docs/device-writes.md): only envelopes, at its own record key, sealed to
// its owner's current epoch, signed by that paired device. The chain never opens them, so the
// wraps and payload here are filler of the right shapes; the signatures are real.

type writeFixture struct {
	fixture
	submitter string             // a registered device account: it pays
	dev, dev2 ed25519.PrivateKey // two devices paired to the owner
	other     ed25519.PrivateKey // a device of nobody here
}

func fill(label string, n int) []byte {
	out := []byte{}
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte{byte(i), label[0], byte(len(label))})
		out = append(out, h[:]...)
	}
	return out[:n]
}

func edKey(label string) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(fill(label, 32)) }

func setupWrites(t *testing.T) writeFixture {
	f := setup(t)
	device := secp256k1.GenPrivKeyFromSecret([]byte("device"))
	res, err := f.srv.RegisterDevice(f.ctx, registration(f, device, chainID, f.ownerB))
	require.NoError(t, err)
	w := writeFixture{fixture: f, submitter: res.Address, dev: edKey("d"), dev2: edKey("e"), other: edKey("o")}
	ownerPub := secp256k1.GenPrivKeyFromSecret([]byte("owner")).PubKey().Bytes()
	require.NoError(t, f.k.SetPairingGenesis(f.ctx, &types.GenesisState{Owners: []*types.Owner{{
		PubKey: ownerPub, Epoch: 2, Devices: [][]byte{w.dev.Public().(ed25519.PublicKey), w.dev2.Public().(ed25519.PublicKey)}}}}))
	return w
}

// seal makes an envelope of `key` signed by `by` (Ed25519).
func seal(t *testing.T, chain string, key []byte, version, epoch uint64, by ed25519.PrivateKey) []byte {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	require.NoError(t, err)
	m := map[uint64]any{0: 1, 1: chain, 2: key, 3: version, 4: epoch,
		5: []any{[]any{fill("r", 32), fill("e", 32), fill("w", 48)}}, 6: fill("p", 40),
		7: []any{"ed25519", []byte(by.Public().(ed25519.PublicKey))}}
	body, err := enc.Marshal(m)
	require.NoError(t, err)
	m[8] = ed25519.Sign(by, append([]byte(types.EnvelopeSignPrefix), body...))
	out, err := enc.Marshal(m)
	require.NoError(t, err)
	return out
}

func (w writeFixture) key(dev ed25519.PrivateKey, kind types.WriteKind) []byte {
	return types.DeviceWriteRecordKey(w.owner, dev.Public().(ed25519.PublicKey), kind)
}

func (w writeFixture) write(kind types.WriteKind, env []byte) (*types.MsgDeviceWriteResponse, error) {
	return w.srv.DeviceWrite(w.ctx, &types.MsgDeviceWrite{Device: w.submitter, Kind: kind, Envelope: env})
}

const skills = types.WriteKind_WRITE_KIND_SKILL_SETTINGS

func TestADeviceWriteIsStoredAsItsEnvelopeUnderTheDocumentedKey(t *testing.T) {
	w := setupWrites(t)
	key := w.key(w.dev, skills)
	require.Len(t, key, 6+len(w.owner)+1+64+1+len("skills"))
	require.LessOrEqual(t, len(key), types.MaxRecordKey)
	for v := uint64(1); v <= 2; v++ {
		env := seal(t, chainID, key, v, 2, w.dev)
		out, err := w.write(skills, env)
		require.NoError(t, err)
		require.Equal(t, v, out.Count)
		got, err := w.k.GetSealed(w.ctx, key)
		require.NoError(t, err)
		require.Equal(t, env, got)
	}
	require.Equal(t, append([]byte{0x05}, key...), types.SealedKey(key))
	// the other kinds and the other device are records of their own
	for _, kind := range []types.WriteKind{types.WriteKind_WRITE_KIND_SETTINGS_META, types.WriteKind_WRITE_KIND_METRICS} {
		_, err := w.write(kind, seal(t, chainID, w.key(w.dev, kind), 1, 2, w.dev))
		require.NoError(t, err)
	}
	_, err := w.write(skills, seal(t, chainID, w.key(w.dev2, skills), 1, 2, w.dev2))
	require.NoError(t, err)
	// a write goes into genesis with the other envelopes and comes back
	gs, err := devices.ExportGenesis(w.ctx, w.k)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	g := setup(t)
	require.NoError(t, devices.InitGenesis(g.ctx, g.k, gs))
	got, err := g.k.GetSealed(g.ctx, key)
	require.NoError(t, err)
	require.Equal(t, seal(t, chainID, key, 2, 2, w.dev), got)
}

func TestADeviceWriteRefusesPlaintextAndEveryForgery(t *testing.T) {
	w := setupWrites(t)
	key := w.key(w.dev, skills)
	_, err := w.write(skills, seal(t, chainID, key, 1, 2, w.dev))
	require.NoError(t, err)
	otherOwner, _ := w.ac.BytesToString(secp256k1.GenPrivKeyFromSecret([]byte("x")).PubKey().Address().Bytes())
	devPub := w.dev.Public().(ed25519.PublicKey)
	cases := []struct {
		name string
		kind types.WriteKind
		env  []byte
		want error
	}{
		{"plaintext JSON", skills, []byte(`[{"skill_gid":"a"}]`), types.ErrPlaintextWrite},
		{"empty", skills, nil, types.ErrPlaintextWrite},
		{"a CBOR map that is no envelope", skills, []byte{0xa1, 0x00, 0x01}, types.ErrBadEnvelope},
		{"another chain", skills, seal(t, "other-chain", key, 2, 2, w.dev), types.ErrEnvelopeChain},
		{"another kind's key", types.WriteKind_WRITE_KIND_METRICS, seal(t, chainID, key, 2, 2, w.dev), types.ErrEnvelopeRecordKey},
		{"a settings key", skills, seal(t, chainID, []byte("settings/"+w.owner+"/location"), 1, 2, w.dev), types.ErrEnvelopeRecordKey},
		{"upper-case hex", skills, seal(t, chainID, []byte("write/"+w.owner+"/"+
			"ABCDEF"+string(key[6+len(w.owner)+1+6:])), 1, 2, w.dev), types.ErrEnvelopeRecordKey},
		{"an owner with no devices", skills, seal(t, chainID, types.DeviceWriteRecordKey(otherOwner, devPub, skills), 1, 2, w.dev), types.ErrUnknownOwner},
		{"an older epoch", skills, seal(t, chainID, key, 2, 1, w.dev), types.ErrEnvelopeEpoch},
		{"the other paired device writing this one's record", skills, seal(t, chainID, key, 2, 2, w.dev2), types.ErrEnvelopeWriter},
		{"a device not paired to the owner", skills, seal(t, chainID, w.key(w.other, skills), 1, 2, w.other), types.ErrEnvelopeWriter},
		{"a replay", skills, seal(t, chainID, key, 1, 2, w.dev), types.ErrEnvelopeVersion},
		{"a skipped version", skills, seal(t, chainID, key, 3, 2, w.dev), types.ErrEnvelopeVersion},
	}
	for _, c := range cases {
		_, err := w.write(c.kind, c.env)
		require.ErrorIs(t, err, c.want, c.name)
	}
	forged := seal(t, chainID, key, 2, 2, w.dev)
	forged[len(forged)-1] ^= 1
	_, err = w.write(skills, forged)
	require.ErrorIs(t, err, types.ErrEnvelopeSignature)
	big := make([]byte, types.MaxWriteEnvelope+1)
	big[0] = 0xa9
	_, err = w.write(skills, big)
	require.ErrorIs(t, err, types.ErrSettingsTooLarge)
	// a submitter that is no registered device, and an unknown kind
	stranger, _ := w.ac.BytesToString(secp256k1.GenPrivKeyFromSecret([]byte("y")).PubKey().Address().Bytes())
	_, err = w.srv.DeviceWrite(w.ctx, &types.MsgDeviceWrite{Device: stranger, Kind: skills, Envelope: seal(t, chainID, key, 2, 2, w.dev)})
	require.ErrorIs(t, err, types.ErrDeviceNotFound)
	_, err = w.write(9, seal(t, chainID, key, 2, 2, w.dev))
	require.ErrorIs(t, err, types.ErrInvalidWriteKind)
	// after every refusal the stored write is still version 1
	got, _ := w.k.GetSealed(w.ctx, key)
	require.Equal(t, seal(t, chainID, key, 1, 2, w.dev), got)
	// device writes never come through PutSealed
	_, err = keeper.NewPairingMsgServerImpl(w.k).PutSealed(w.ctx, &types.MsgPutSealed{Submitter: w.submitter, Envelope: seal(t, chainID, key, 2, 2, w.dev)})
	require.ErrorIs(t, err, types.ErrEnvelopeRecordKey)
}
