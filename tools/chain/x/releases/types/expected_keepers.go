package types

import (
	"context"

	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
)

// GovKeeper reads the proposal a MsgPublishRelease names (x/gov's Proposals collection).
type GovKeeper interface {
	Proposal(ctx context.Context, id uint64) (govv1.Proposal, error)
}
