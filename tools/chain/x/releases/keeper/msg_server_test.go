package keeper_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"
	"github.com/stretchr/testify/require"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/mycroft-lightclient/chain/x/releases"
	"github.com/mycroft-lightclient/chain/x/releases/keeper"
	"github.com/mycroft-lightclient/chain/x/releases/types"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// fakeGov holds proposals as x/gov's EndBlocker leaves them while it executes their messages.
type fakeGov struct{ proposals map[uint64]govv1.Proposal }

func (g fakeGov) Proposal(_ context.Context, id uint64) (govv1.Proposal, error) {
	p, ok := g.proposals[id]
	if !ok {
		return govv1.Proposal{}, collections.ErrNotFound
	}
	return p, nil
}

type fixture struct {
	ctx       sdk.Context
	k         keeper.Keeper
	srv       types.MsgServer
	gov       fakeGov
	authority string
}

func setup(t *testing.T) fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	cdc := moduletestutil.MakeTestEncodingConfig().Codec
	ac := addresscodec.NewBech32Codec("mycroft")
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)
	gov := fakeGov{map[uint64]govv1.Proposal{}}
	k := keeper.NewKeeper(runtime.NewKVStoreService(key), cdc, ac, gov, authority)
	return fixture{tc.Ctx.WithBlockTime(now), k, keeper.NewMsgServerImpl(k), gov, authority}
}

func release(version string, sv uint32, proposal uint64) *types.Release {
	h := sha256.Sum256([]byte("image " + version))
	return &types.Release{ImageSha256: h[:], SecurityVersion: sv, Board: "esp32-devkitc",
		Version: version, ProposalId: proposal}
}

// propose puts a proposal carrying msgs into the fake x/gov, ending at `end`.
func (f fixture) propose(t *testing.T, id uint64, status govv1.ProposalStatus, end time.Time, msgs ...sdk.Msg) {
	anys := make([]*codectypes.Any, len(msgs))
	for i, m := range msgs {
		a, err := codectypes.NewAnyWithValue(m)
		require.NoError(t, err)
		anys[i] = a
	}
	f.gov.proposals[id] = govv1.Proposal{Id: id, Messages: anys, Status: status, VotingEndTime: &end}
}

func TestPublishedByAPassedProposal(t *testing.T) {
	f := setup(t)
	msg := &types.MsgPublishRelease{Authority: f.authority, Release: release("0.2.0", 1, 7)}
	f.propose(t, 7, govv1.StatusVotingPeriod, now, msg)
	_, err := f.srv.PublishRelease(f.ctx, msg)
	require.NoError(t, err)
	got, found, err := f.k.GetRelease(f.ctx, msg.Release.ImageSha256)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, *msg.Release, got)

	q := keeper.NewQueryServerImpl(f.k)
	r, err := q.Release(f.ctx, &types.QueryReleaseRequest{ImageSha256: msg.Release.ImageSha256})
	require.NoError(t, err)
	require.Equal(t, msg.Release, r.Release)
	list, err := q.Releases(f.ctx, &types.QueryReleasesRequest{Pagination: &query.PageRequest{Limit: 10}})
	require.NoError(t, err)
	require.Len(t, list.Releases, 1)

	// a record never changes: the same image again is refused
	again := &types.MsgPublishRelease{Authority: f.authority, Release: release("0.2.0", 2, 8)}
	f.propose(t, 8, govv1.StatusVotingPeriod, now, again)
	_, err = f.srv.PublishRelease(f.ctx, again)
	require.ErrorIs(t, err, types.ErrReleaseExists)
	got, _, _ = f.k.GetRelease(f.ctx, msg.Release.ImageSha256)
	require.Equal(t, uint32(1), got.SecurityVersion)
}

func TestOnlyTheAuthorityPublishes(t *testing.T) {
	f := setup(t)
	ac := addresscodec.NewBech32Codec("mycroft")
	other, err := ac.BytesToString(bytes.Repeat([]byte{7}, 20))
	require.NoError(t, err)
	msg := &types.MsgPublishRelease{Authority: other, Release: release("0.2.0", 1, 3)}
	f.propose(t, 3, govv1.StatusVotingPeriod, now, msg)
	_, err = f.srv.PublishRelease(f.ctx, msg)
	require.ErrorIs(t, err, types.ErrNotAuthority)
	_, found, _ := f.k.GetRelease(f.ctx, msg.Release.ImageSha256)
	require.False(t, found)
}

func TestTheNamedProposalMustBeTheOneExecutingIt(t *testing.T) {
	msg := func(f fixture, id uint64) *types.MsgPublishRelease {
		return &types.MsgPublishRelease{Authority: f.authority, Release: release("0.3.0", 2, id)}
	}
	cases := map[string]func(f fixture) *types.MsgPublishRelease{
		"no such proposal": func(f fixture) *types.MsgPublishRelease { return msg(f, 9) },
		"voting not ended": func(f fixture) *types.MsgPublishRelease {
			m := msg(f, 4)
			f.propose(t, 4, govv1.StatusVotingPeriod, now.Add(time.Second), m)
			return m
		},
		"already decided": func(f fixture) *types.MsgPublishRelease {
			m := msg(f, 4)
			f.propose(t, 4, govv1.StatusPassed, now, m)
			return m
		},
		"another message": func(f fixture) *types.MsgPublishRelease {
			m := msg(f, 4)
			other := &types.MsgPublishRelease{Authority: f.authority, Release: release("0.3.1", 2, 4)}
			f.propose(t, 4, govv1.StatusVotingPeriod, now, other)
			return m
		},
		"another id": func(f fixture) *types.MsgPublishRelease {
			m := msg(f, 5)
			f.propose(t, 4, govv1.StatusVotingPeriod, now, msg(f, 4))
			f.propose(t, 5, govv1.StatusVotingPeriod, now, msg(f, 4))
			return m
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			m := build(f)
			_, err := f.srv.PublishRelease(f.ctx, m)
			require.ErrorIs(t, err, types.ErrProposalMismatch)
			_, found, _ := f.k.GetRelease(f.ctx, m.Release.ImageSha256)
			require.False(t, found)
		})
	}
}

func TestMalformedRecordsAreRefused(t *testing.T) {
	f := setup(t)
	bad := map[string]func(r *types.Release){
		"short hash":   func(r *types.Release) { r.ImageSha256 = r.ImageSha256[:31] },
		"sv too large": func(r *types.Release) { r.SecurityVersion = 0x10000 },
		"no version":   func(r *types.Release) { r.Version = "" },
		"long version": func(r *types.Release) { r.Version = string(bytes.Repeat([]byte("1"), 33)) },
		"board":        func(r *types.Release) { r.Board = "ESP32 DevKit" },
		"no proposal":  func(r *types.Release) { r.ProposalId = 0 },
	}
	for name, spoil := range bad {
		r := release("0.4.0", 3, 2)
		spoil(r)
		m := &types.MsgPublishRelease{Authority: f.authority, Release: r}
		f.propose(t, 2, govv1.StatusVotingPeriod, now, m)
		_, err := f.srv.PublishRelease(f.ctx, m)
		require.ErrorIs(t, err, types.ErrInvalidRelease, name)
	}
	_, err := f.srv.PublishRelease(f.ctx, &types.MsgPublishRelease{Authority: f.authority})
	require.ErrorIs(t, err, types.ErrInvalidRelease)
}

func TestGenesisRoundTrip(t *testing.T) {
	f := setup(t)
	gs := &types.GenesisState{Releases: []*types.Release{release("0.2.0", 1, 1), release("0.3.0", 2, 2)}}
	require.NoError(t, gs.Validate())
	require.NoError(t, releases.InitGenesis(f.ctx, f.k, gs))
	out, err := releases.ExportGenesis(f.ctx, f.k)
	require.NoError(t, err)
	require.ElementsMatch(t, gs.Releases, out.Releases)
	dup := &types.GenesisState{Releases: []*types.Release{release("0.2.0", 1, 1), release("0.2.0", 1, 1)}}
	require.Error(t, dup.Validate())
}

func TestStoreLayout(t *testing.T) {
	// docs/ota.md, "Test vector": the key and value a chip proves for the vector image
	h, _ := hex.DecodeString("7c87dfbdc4f20c707adfdcf01f5d3afaa88b771d7af83ea07a10949b78597eee")
	r := &types.Release{ImageSha256: h, SecurityVersion: 1, Board: "esp32-devkitc", Version: "0.2.0", ProposalId: 7}
	require.Equal(t, "017c87dfbdc4f20c707adfdcf01f5d3afaa88b771d7af83ea07a10949b78597eee",
		hex.EncodeToString(types.ReleaseKey(h)))
	bz, err := r.Marshal()
	require.NoError(t, err)
	require.Equal(t, "0a207c87dfbdc4f20c707adfdcf01f5d3afaa88b771d7af83ea07a10949b78597eee"+
		"10011a0d65737033322d6465766b6974632205302e322e302807", hex.EncodeToString(bz))
}
