package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Bounds checked before anything is stored.
const (
	PubKeyLen      = 33
	SignatureLen   = 64
	MaxSettingsLen = 4096
)

var (
	_ sdk.Msg = &MsgRegisterDevice{}
	_ sdk.Msg = &MsgUpdateSettings{}
	_ sdk.Msg = &MsgDeviceWrite{}
)

// ValidateBasic checks sizes and forms; the keeper checks addresses and the signature.
func (m *MsgRegisterDevice) ValidateBasic() error {
	if len(m.PubKey) != PubKeyLen || (m.PubKey[0] != 0x02 && m.PubKey[0] != 0x03) {
		return errorsmod.Wrapf(ErrInvalidPubKey, "want a %d-byte compressed secp256k1 key, got %d bytes", PubKeyLen, len(m.PubKey))
	}
	if len(m.DeviceSignature) != SignatureLen {
		return errorsmod.Wrapf(ErrInvalidDeviceSignature, "want %d bytes, got %d", SignatureLen, len(m.DeviceSignature))
	}
	if len(m.Settings) > MaxSettingsLen {
		return errorsmod.Wrapf(ErrSettingsTooLarge, "%d > %d bytes", len(m.Settings), MaxSettingsLen)
	}
	if m.Owner == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner is empty")
	}
	if !m.Funding.IsValid() && len(m.Funding) > 0 {
		return errorsmod.Wrapf(ErrInvalidFunding, "%s", m.Funding)
	}
	return nil
}

func (m *MsgUpdateSettings) ValidateBasic() error {
	if len(m.Settings) > MaxSettingsLen {
		return errorsmod.Wrapf(ErrSettingsTooLarge, "%d > %d bytes", len(m.Settings), MaxSettingsLen)
	}
	if m.Owner == "" || m.Device == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner and device are required")
	}
	return nil
}

func (m *MsgDeviceWrite) ValidateBasic() error {
	if _, ok := WriteKind_name[int32(m.Kind)]; !ok || m.Kind == WriteKind_WRITE_KIND_UNSPECIFIED {
		return errorsmod.Wrapf(ErrInvalidWriteKind, "%d", m.Kind)
	}
	if len(m.Envelope) > MaxWriteEnvelope {
		return errorsmod.Wrapf(ErrSettingsTooLarge, "envelope %d > %d bytes", len(m.Envelope), MaxWriteEnvelope)
	}
	if m.Device == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "device is empty")
	}
	return nil
}
