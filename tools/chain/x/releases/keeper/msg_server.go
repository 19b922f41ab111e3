package keeper

import (
	"bytes"
	"context"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/mycroft-lightclient/chain/x/releases/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the module's Msg service on top of k.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// msgTypeURL is how a proposal's messages name MsgPublishRelease.
var msgTypeURL = sdk.MsgTypeURL(&types.MsgPublishRelease{})

// PublishRelease: signed by the authority (x/gov executing a passed proposal), naming the
// proposal that carries this very message; a record, once written, never changes.
func (s msgServer) PublishRelease(ctx context.Context, msg *types.MsgPublishRelease) (*types.MsgPublishReleaseResponse, error) {
	if msg.Authority != s.authority {
		return nil, errorsmod.Wrapf(types.ErrNotAuthority, "want %s, got %s", s.authority, msg.Authority)
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.checkProposal(ctx, msg); err != nil {
		return nil, err
	}
	r := *msg.Release
	if _, found, err := s.GetRelease(ctx, r.ImageSha256); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrapf(types.ErrReleaseExists, "%X", r.ImageSha256)
	}
	if err := s.SetRelease(ctx, r); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("release_published",
		sdk.NewAttribute("image_sha256", hex.EncodeToString(r.ImageSha256)),
		sdk.NewAttribute("board", r.Board), sdk.NewAttribute("version", r.Version)))
	return &types.MsgPublishReleaseResponse{}, nil
}

// checkProposal: x/gov executes a passed proposal's messages before it stores the proposal's
// new status, so the proposal named here must still be in its voting period, that period must
// have ended by this block, and one of its messages must be this one.
func (s msgServer) checkProposal(ctx context.Context, msg *types.MsgPublishRelease) error {
	id := msg.Release.ProposalId
	p, err := s.gov.Proposal(ctx, id)
	if err != nil {
		return errorsmod.Wrapf(types.ErrProposalMismatch, "proposal %d: %s", id, err)
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if p.Status != govv1.StatusVotingPeriod || p.VotingEndTime == nil || p.VotingEndTime.After(now) {
		return errorsmod.Wrapf(types.ErrProposalMismatch, "proposal %d is not ending now (status %s)", id, p.Status)
	}
	want, err := s.cdc.Marshal(msg)
	if err != nil {
		return err
	}
	for _, a := range p.Messages {
		if a == nil || a.TypeUrl != msgTypeURL {
			continue
		}
		var m types.MsgPublishRelease
		if err := s.cdc.Unmarshal(a.Value, &m); err != nil {
			continue
		}
		if got, err := s.cdc.Marshal(&m); err == nil && bytes.Equal(got, want) {
			return nil
		}
	}
	return errorsmod.Wrapf(types.ErrProposalMismatch, "proposal %d does not carry this message", id)
}
