package keeper_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mycroft-lightclient/chain/x/devices/keeper"
	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// testdata/pairing.json is made by the Python side (tests/owner/chainvectors.py): the module
// must accept exactly what the owner's tool and the chip sign, and refuse each alteration.
type signedStatement struct {
	Statement string `json:"statement"`
	OwnerSig  string `json:"owner_sig"`
	DeviceSig string `json:"device_sig"`
	EpochEnv  string `json:"epoch_env"`
}

type vectors struct {
	ChainID string `json:"chain_id"`
	Owner   struct {
		Address string `json:"address"`
		Pub     string `json:"pub"`
	} `json:"owner"`
	Stranger struct {
		Address string `json:"address"`
	} `json:"stranger"`
	Devices []struct {
		Pub    string `json:"pub"`
		X25519 string `json:"x25519"`
	} `json:"devices"`
	Pair1, Pair2, Pair2ByStranger                            signedStatement
	SettingsV1Owner                                          string `json:"settings_v1_owner"`
	SettingsV2Device1, SettingsV2Device2, SettingsV2Stranger string
	SettingsV1OtherChain, Remove2Epoch1Env                   string
	SettingsV3Epoch1, SettingsV3Epoch0, SettingsV2Owner      string
	Grant                                                    struct {
		Statement, Signature, Grantee, Class string
	} `json:"grant"`
}

func (v *vectors) UnmarshalJSON(b []byte) error {
	type plain vectors
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, (*plain)(v)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for name, dst := range map[string]any{
		"pair1": &v.Pair1, "pair2": &v.Pair2, "pair2_by_stranger": &v.Pair2ByStranger,
		"settings_v2_device1": &v.SettingsV2Device1, "settings_v2_device2": &v.SettingsV2Device2,
		"settings_v2_stranger": &v.SettingsV2Stranger, "settings_v1_other_chain": &v.SettingsV1OtherChain,
		"remove2_epoch1_env": &v.Remove2Epoch1Env, "settings_v3_epoch1": &v.SettingsV3Epoch1,
		"settings_v3_epoch0": &v.SettingsV3Epoch0, "settings_v2_owner": &v.SettingsV2Owner,
	} {
		if err := json.Unmarshal(raw[name], dst); err != nil {
			return err
		}
	}
	return nil
}

func hx(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func loadVectors(t *testing.T) vectors {
	bz, err := os.ReadFile("testdata/pairing.json")
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(bz, &v))
	require.Equal(t, chainID, v.ChainID)
	return v
}

func pairMsg(owner string, s signedStatement) *types.MsgPairDevice {
	return &types.MsgPairDevice{Owner: owner, Statement: hx(s.Statement), OwnerSignature: hx(s.OwnerSig),
		DeviceSignature: hx(s.DeviceSig), EpochEnvelope: hx(s.EpochEnv)}
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 1
	return out
}

func put(v vectors, envHex string) *types.MsgPutSealed {
	return &types.MsgPutSealed{Submitter: v.Stranger.Address, Envelope: hx(envHex)}
}

func TestPairingNeedsBothSignaturesOverAStatementOfThisChainAndSigner(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := keeper.NewPairingMsgServerImpl(f.k)
	good := pairMsg(v.Owner.Address, v.Pair1)

	bad := *good
	bad.OwnerSignature = flip(good.OwnerSignature, 5)
	_, err := srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrOwnerSignature)
	bad = *good
	bad.DeviceSignature = flip(good.DeviceSignature, 5)
	_, err = srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrPairDeviceSignature)
	bad = *good
	bad.Statement = flip(good.Statement, len(good.Statement)-1) // the transcript hash
	_, err = srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrOwnerSignature)
	bad = *good
	bad.Owner = v.Stranger.Address
	_, err = srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrStatementOwner)
	_, err = srv.PairDevice(f.ctx.WithChainID("another-chain"), good)
	require.ErrorIs(t, err, types.ErrStatementChain)
	bad = *good
	bad.Statement = append([]byte{0xa6, 0x00}, good.Statement[1:]...) // not a 6-entry map any more
	_, err = srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrBadStatement)
	bad = *good
	bad.EpochEnvelope = hx(v.Pair2.EpochEnv) // wraps a device that is not paired
	_, err = srv.PairDevice(f.ctx, &bad)
	require.ErrorIs(t, err, types.ErrEnvelopeWraps)
	_, found, _ := f.k.GetPairedDevice(f.ctx, hx(v.Devices[0].Pub))
	require.False(t, found, "nothing is recorded by a refused pairing")

	res, err := srv.PairDevice(f.ctx, good)
	require.NoError(t, err)
	require.Equal(t, uint64(0), res.Epoch)
	d, found, err := f.k.GetPairedDevice(f.ctx, hx(v.Devices[0].Pub))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, hx(v.Devices[0].X25519), d.X25519Key)
	require.Equal(t, v.Owner.Address, d.Owner)
	_, err = srv.PairDevice(f.ctx, good)
	require.ErrorIs(t, err, types.ErrDevicePaired)

	// a second owner cannot take a device it holds a statement for while it is paired elsewhere;
	// its own first device pairs, but the second device of the first owner stays the first's
	_, err = srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair2ByStranger))
	require.ErrorIs(t, err, types.ErrStatementOwner)
	_, err = srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair2))
	require.NoError(t, err)
	stored, err := f.k.GetSealed(f.ctx, types.EpochRecordKey(v.Owner.Address, 0))
	require.NoError(t, err)
	require.Equal(t, hx(v.Pair2.EpochEnv), stored)
	// replaying the older epoch envelope (without device 2's wrap) is refused
	_, err = srv.RemoveDevice(f.ctx, &types.MsgRemoveDevice{Owner: v.Owner.Address,
		DevicePubKey: hx(v.Devices[1].Pub), EpochEnvelope: hx(v.Pair1.EpochEnv)})
	require.ErrorIs(t, err, types.ErrEnvelopeRecordKey)
}

func TestSettingsAreEnvelopesOfTheOwnersEpochSignedByTheOwnerOnly(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := keeper.NewPairingMsgServerImpl(f.k)
	_, err := srv.PutSealed(f.ctx, put(v, v.SettingsV1Owner))
	require.ErrorIs(t, err, types.ErrUnknownOwner)
	_, err = srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair1))
	require.NoError(t, err)

	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV1OtherChain))
	require.ErrorIs(t, err, types.ErrEnvelopeChain)
	tampered := put(v, v.SettingsV1Owner)
	tampered.Envelope = flip(tampered.Envelope, len(tampered.Envelope)-130) // inside the payload
	_, err = srv.PutSealed(f.ctx, tampered)
	require.ErrorIs(t, err, types.ErrEnvelopeSignature)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Owner))
	require.ErrorIs(t, err, types.ErrEnvelopeVersion) // a new record starts at 1

	res, err := srv.PutSealed(f.ctx, put(v, v.SettingsV1Owner))
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.Version)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV1Owner))
	require.ErrorIs(t, err, types.ErrEnvelopeVersion) // a replay
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Stranger))
	require.ErrorIs(t, err, types.ErrEnvelopeWriter) // another owner's key
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Device2))
	require.ErrorIs(t, err, types.ErrEnvelopeWriter) // a device not paired (yet)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Device1))
	require.ErrorIs(t, err, types.ErrSettingsOwnerOnly) // a paired device, signature and all
	_, err = srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair2))
	require.NoError(t, err)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Device2))
	require.ErrorIs(t, err, types.ErrSettingsOwnerOnly) // paired now: still not its record
	res, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Owner))
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.Version)

	// an epoch envelope is not written through PutSealed
	_, err = srv.PutSealed(f.ctx, put(v, v.Pair1.EpochEnv))
	require.ErrorIs(t, err, types.ErrEnvelopeRecordKey)
	// malformed bytes get the shape error, never a panic
	for _, junk := range [][]byte{nil, {0xa9}, {0xbf, 0xff}, hx(v.SettingsV1Owner)[:40]} {
		_, err = srv.PutSealed(f.ctx, &types.MsgPutSealed{Submitter: v.Stranger.Address, Envelope: junk})
		require.ErrorIs(t, err, types.ErrBadEnvelope)
	}
}

func TestRemovingADeviceStartsANewEpochWithoutIt(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := pairTwoAndSet(t, f, v)

	remove := &types.MsgRemoveDevice{Owner: v.Stranger.Address, DevicePubKey: hx(v.Devices[1].Pub), EpochEnvelope: hx(v.Remove2Epoch1Env)}
	_, err := srv.RemoveDevice(f.ctx, remove)
	require.ErrorIs(t, err, types.ErrUnknownOwner) // only the owner removes its devices
	remove.Owner = v.Owner.Address
	remove.EpochEnvelope = hx(v.Pair2.EpochEnv) // the old epoch
	_, err = srv.RemoveDevice(f.ctx, remove)
	require.ErrorIs(t, err, types.ErrEnvelopeRecordKey)
	remove.EpochEnvelope = hx(v.Remove2Epoch1Env)
	res, err := srv.RemoveDevice(f.ctx, remove)
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.Epoch)
	_, found, _ := f.k.GetPairedDevice(f.ctx, hx(v.Devices[1].Pub))
	require.False(t, found)
	o, _, _ := f.k.GetOwner(f.ctx, mustAddr(f, v.Owner.Address))
	require.Equal(t, [][]byte{hx(v.Devices[0].Pub)}, o.Devices)

	// what is written now is sealed to epoch 1; a write still sealed to epoch 0 is refused
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV2Device2))
	require.ErrorIs(t, err, types.ErrEnvelopeEpoch)
	_, err = srv.PutSealed(f.ctx, &types.MsgPutSealed{Submitter: v.Stranger.Address, Envelope: hx(v.SettingsV2Device1)})
	require.ErrorIs(t, err, types.ErrEnvelopeEpoch)
}

func TestTheEpochAdvancesOnlyWithTheOwnersEnvelope(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := pairTwoAndSet(t, f, v)
	_, err := srv.PutSealed(f.ctx, put(v, v.SettingsV2Owner))
	require.NoError(t, err)
	_, err = srv.RemoveDevice(f.ctx, &types.MsgRemoveDevice{Owner: v.Owner.Address,
		DevicePubKey: hx(v.Devices[1].Pub), EpochEnvelope: hx(v.Remove2Epoch1Env)})
	require.NoError(t, err)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV3Epoch0))
	require.ErrorIs(t, err, types.ErrEnvelopeEpoch)
	res, err := srv.PutSealed(f.ctx, put(v, v.SettingsV3Epoch1))
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.Version)
}

func TestGrantsAreOwnerSignedAndRevocable(t *testing.T) {
	f := setup(t)
	v := loadVectors(t)
	srv := keeper.NewPairingMsgServerImpl(f.k)
	ctx := f.ctx.WithBlockTime(time.Unix(1_900_000_000, 0))
	msg := &types.MsgGrant{Owner: v.Owner.Address, Statement: hx(v.Grant.Statement), Signature: hx(v.Grant.Signature)}
	bad := *msg
	bad.Signature = flip(msg.Signature, 3)
	_, err := srv.Grant(ctx, &bad)
	require.ErrorIs(t, err, types.ErrOwnerSignature)
	bad = *msg
	bad.Owner = v.Stranger.Address
	_, err = srv.Grant(ctx, &bad)
	require.ErrorIs(t, err, types.ErrStatementOwner)
	_, err = srv.Grant(ctx.WithBlockTime(time.Unix(4_102_444_800, 0)), msg)
	require.ErrorIs(t, err, types.ErrBadGrant) // already expired
	_, err = srv.Grant(ctx, msg)
	require.NoError(t, err)
	grantee := mustAddr(f, v.Grant.Grantee)
	g, found, err := f.k.GetGrant(ctx, mustAddr(f, v.Owner.Address), grantee, v.Grant.Class)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, msg.Signature, g.Signature)
	o, _, _ := f.k.GetOwner(ctx, mustAddr(f, v.Owner.Address))
	require.Equal(t, []string{v.Grant.Grantee + "/" + v.Grant.Class}, o.Grants)

	_, err = srv.Revoke(ctx, &types.MsgRevoke{Owner: v.Owner.Address, Grantee: v.Grant.Grantee, Class: "skill_usage"})
	require.ErrorIs(t, err, types.ErrGrantNotFound)
	_, err = srv.Revoke(ctx, &types.MsgRevoke{Owner: v.Owner.Address, Grantee: v.Grant.Grantee, Class: v.Grant.Class})
	require.NoError(t, err)
	_, found, _ = f.k.GetGrant(ctx, mustAddr(f, v.Owner.Address), grantee, v.Grant.Class)
	require.False(t, found)
	o, _, _ = f.k.GetOwner(ctx, mustAddr(f, v.Owner.Address))
	require.Empty(t, o.Grants)
}

// pairTwoAndSet pairs both devices of the vectors and writes version 1 of the setting.
func pairTwoAndSet(t *testing.T, f fixture, v vectors) types.PairingMsgServer {
	srv := keeper.NewPairingMsgServerImpl(f.k)
	_, err := srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair1))
	require.NoError(t, err)
	_, err = srv.PairDevice(f.ctx, pairMsg(v.Owner.Address, v.Pair2))
	require.NoError(t, err)
	_, err = srv.PutSealed(f.ctx, put(v, v.SettingsV1Owner))
	require.NoError(t, err)
	return srv
}

func mustAddr(f fixture, bech string) []byte {
	b, err := f.ac.StringToBytes(bech)
	if err != nil {
		panic(err)
	}
	return b
}
