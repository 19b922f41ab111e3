package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the module's Msg service on top of k.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// RegisterDevice: the owner signed the transaction (ante handler); the device signed
// the registration statement naming this chain and this owner; the key is new.
func (s msgServer) RegisterDevice(ctx context.Context, msg *types.MsgRegisterDevice) (*types.MsgRegisterDeviceResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := s.addressCodec.StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "owner: %s", err)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	pub := &secp256k1.PubKey{Key: msg.PubKey}
	statement := types.RegistrationStatement(sdkCtx.ChainID(), owner, msg.PubKey)
	if !pub.VerifySignature(statement, msg.DeviceSignature) {
		return nil, errorsmod.Wrap(types.ErrInvalidDeviceSignature, "over the registration statement (sha256, low s)")
	}
	addr := pub.Address().Bytes()
	if _, found, err := s.GetDevice(ctx, addr); err != nil {
		return nil, err
	} else if found {
		return nil, errorsmod.Wrapf(types.ErrDeviceExists, "%X", addr)
	}
	if err := s.SetDevice(ctx, addr, types.Device{Owner: msg.Owner, PubKey: msg.PubKey, Settings: msg.Settings, Version: 1}); err != nil {
		return nil, err
	}
	devAddr, err := s.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent("device_registered",
		sdk.NewAttribute("device", devAddr), sdk.NewAttribute("owner", msg.Owner)))
	return &types.MsgRegisterDeviceResponse{Address: devAddr}, nil
}

// UpdateSettings: only the registered owner writes; every write bumps the version.
func (s msgServer) UpdateSettings(ctx context.Context, msg *types.MsgUpdateSettings) (*types.MsgUpdateSettingsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	addr, err := s.addressCodec.StringToBytes(msg.Device)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "device: %s", err)
	}
	d, found, err := s.GetDevice(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrap(types.ErrDeviceNotFound, msg.Device)
	}
	if d.Owner != msg.Owner {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "owner is %s", d.Owner)
	}
	d.Settings = msg.Settings
	d.Version++
	if err := s.SetDevice(ctx, addr, d); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("device_settings_updated",
		sdk.NewAttribute("device", msg.Device)))
	return &types.MsgUpdateSettingsResponse{Version: d.Version}, nil
}
