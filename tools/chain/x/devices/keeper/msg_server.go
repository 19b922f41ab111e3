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
	if len(msg.Settings) > 0 { // settings are sealed envelopes only (MsgPutSealed)
		return nil, errorsmod.Wrap(types.ErrPlaintextSettings, "register with empty settings")
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
	if err := s.SetDevice(ctx, addr, types.Device{Owner: msg.Owner, PubKey: msg.PubKey, Version: 1}); err != nil {
		return nil, err
	}
	// The device's own account: its number exists from now on (the device signs with it), and
	// the owner's funding pays the device's fees (a bank send, not a fee grant: see docs/chain.md).
	if !s.accountKeeper.HasAccount(ctx, addr) {
		s.accountKeeper.SetAccount(ctx, s.accountKeeper.NewAccountWithAddress(ctx, addr))
	}
	if !msg.Funding.IsZero() {
		if err := s.bankKeeper.SendCoins(ctx, owner, addr, msg.Funding); err != nil {
			return nil, errorsmod.Wrap(err, "funding the device's account")
		}
	}
	devAddr, err := s.addressCodec.BytesToString(addr)
	if err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent("device_registered",
		sdk.NewAttribute("device", devAddr), sdk.NewAttribute("owner", msg.Owner)))
	return &types.MsgRegisterDeviceResponse{Address: devAddr}, nil
}

// UpdateSettings is refused: the chain holds settings only as sealed envelopes (MsgPutSealed,
// docs/chain-pairing.md), so no plaintext settings path remains.
func (s msgServer) UpdateSettings(ctx context.Context, msg *types.MsgUpdateSettings) (*types.MsgUpdateSettingsResponse, error) {
	return nil, errorsmod.Wrap(types.ErrPlaintextSettings, "write a sealed envelope with MsgPutSealed")
}
