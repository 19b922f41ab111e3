package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

type queryServer struct{ Keeper }

// NewQueryServerImpl returns the module's Query service on top of k.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

func (q queryServer) Device(ctx context.Context, req *types.QueryDeviceRequest) (*types.QueryDeviceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.addressCodec.StringToBytes(req.Address)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "address: %s", err)
	}
	d, found, err := q.GetDevice(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, status.Error(codes.NotFound, "device not found")
	}
	return &types.QueryDeviceResponse{Device: &d}, nil
}
