package keeper

import (
	"context"

	"cosmossdk.io/store/prefix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/mycroft-lightclient/chain/x/releases/types"
)

type queryServer struct{ Keeper }

// NewQueryServerImpl returns the module's Query service on top of k.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

func (q queryServer) Release(ctx context.Context, req *types.QueryReleaseRequest) (*types.QueryReleaseResponse, error) {
	if req == nil || len(req.ImageSha256) != types.ImageHashLen {
		return nil, status.Errorf(codes.InvalidArgument, "want a %d-byte image_sha256", types.ImageHashLen)
	}
	r, found, err := q.GetRelease(ctx, req.ImageSha256)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, status.Error(codes.NotFound, types.ErrReleaseNotFound.Error())
	}
	return &types.QueryReleaseResponse{Release: &r}, nil
}

func (q queryServer) Releases(ctx context.Context, req *types.QueryReleasesRequest) (*types.QueryReleasesResponse, error) {
	if req == nil {
		req = &types.QueryReleasesRequest{}
	}
	store := prefix.NewStore(runtime.KVStoreAdapter(q.storeService.OpenKVStore(ctx)), types.ReleaseKeyPrefix)
	var out []*types.Release
	page, err := query.Paginate(store, req.Pagination, func(_, value []byte) error {
		var r types.Release
		if err := q.cdc.Unmarshal(value, &r); err != nil {
			return err
		}
		out = append(out, &r)
		return nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryReleasesResponse{Releases: out, Pagination: page}, nil
}
