package keeper

import (
	"bytes"
	"context"
	"strconv"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/mycroft-lightclient/chain/x/devices/types"
)

// DeviceWrite: what a device writes itself, only as an envelope (docs/device-writes.md). The
// submitter is a registered device account (it signed the transaction and pays); the envelope
// is of this chain, at "write/<owner>/<device key>.<kind>" for the message's kind, sealed to
// the owner's current key epoch, written and signed by that device's Ed25519 key, which must be
// one of the owner's paired devices, and its version is the next one. Stored under
// 0x05 || record key; the chain never opens it.
func (s msgServer) DeviceWrite(ctx context.Context, msg *types.MsgDeviceWrite) (*types.MsgDeviceWriteResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	addr, err := s.addressCodec.StringToBytes(msg.Device)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "device: %s", err)
	}
	if _, found, err := s.GetDevice(ctx, addr); err != nil {
		return nil, err
	} else if !found {
		return nil, errorsmod.Wrap(types.ErrDeviceNotFound, msg.Device)
	}
	e, err := types.ParseDeviceWrite(msg.Envelope)
	if err != nil {
		return nil, err
	}
	if chain := sdk.UnwrapSDKContext(ctx).ChainID(); e.ChainID != chain {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeChain, "%q, this chain is %q", e.ChainID, chain)
	}
	ownerBech, device, kind, err := types.SplitWriteKey(e.RecordKey)
	if err != nil {
		return nil, err
	}
	if kind != msg.Kind {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "%q is not a write of kind %s", e.RecordKey, msg.Kind)
	}
	owner, err := s.addressCodec.StringToBytes(ownerBech)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "owner %q: %s", ownerBech, err)
	}
	if canonical, _ := s.addressCodec.BytesToString(owner); canonical != ownerBech {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeRecordKey, "owner %q is not spelt %q", ownerBech, canonical)
	}
	o, found, err := s.GetOwner(ctx, owner)
	if err != nil {
		return nil, err
	} else if !found {
		return nil, errorsmod.Wrap(types.ErrUnknownOwner, ownerBech)
	}
	if e.Epoch != o.Epoch {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeEpoch, "epoch %d, the owner's is %d", e.Epoch, o.Epoch)
	}
	// the writer is the device the record key names, and that device is the owner's
	if e.WriterType != "ed25519" || !bytes.Equal(e.WriterPubKey, device) || !pairedTo(o, device) {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeWriter, "a write under %q is signed by that paired device, not %s %X",
			e.RecordKey, e.WriterType, e.WriterPubKey)
	}
	if !e.VerifyWriter() {
		return nil, errorsmod.Wrap(types.ErrEnvelopeSignature, "device write")
	}
	var last uint64
	if old, err := s.GetSealed(ctx, e.RecordKey); err != nil {
		return nil, err
	} else if old != nil {
		prev, err := types.ParseEnvelope(old)
		if err != nil {
			return nil, err
		}
		last = prev.Version
	}
	if e.Version != last+1 {
		return nil, errorsmod.Wrapf(types.ErrEnvelopeVersion, "%d, the next is %d", e.Version, last+1)
	}
	if err := s.setSealed(ctx, e.RecordKey, msg.Envelope); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("device_write",
		sdk.NewAttribute("device", msg.Device), sdk.NewAttribute("kind", msg.Kind.String()),
		sdk.NewAttribute("key", string(e.RecordKey)), sdk.NewAttribute("version", strconv.FormatUint(e.Version, 10))))
	return &types.MsgDeviceWriteResponse{Count: e.Version}, nil
}
