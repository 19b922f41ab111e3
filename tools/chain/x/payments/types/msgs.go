package types

import (
	"strings"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Bounds checked before anything is stored.
const (
	SpenderLen      = 33
	SignatureLen    = 64
	MinChannelIDLen = 8
	MaxChannelIDLen = 32
	// MaxLanes matches the chip's live lanes per channel (lightclient/chip/pay/ledger.py).
	MaxLanes = 16
	// A provider checks the proven settle delay before it serves; the chain only bounds it.
	MinSettleDelayS = 1
	MaxSettleDelayS = 30 * 86400
	// The provider registry (docs/payments.md): one service's list is one proof for a device.
	MaxServiceLen  = 32
	MaxEndpointLen = 200
	MaxProviders   = 16
)

var (
	_ sdk.Msg = &MsgOpenChannel{}
	_ sdk.Msg = &MsgTopUp{}
	_ sdk.Msg = &MsgRedeem{}
	_ sdk.Msg = &MsgStartSettle{}
	_ sdk.Msg = &MsgReclaim{}
	_ sdk.Msg = &MsgRegisterProvider{}
	_ sdk.Msg = &MsgDeregisterProvider{}
)

func validChannelID(id []byte) error {
	if len(id) < MinChannelIDLen || len(id) > MaxChannelIDLen {
		return errorsmod.Wrapf(ErrInvalidChannelID, "%d bytes, want %d..%d", len(id), MinChannelIDLen, MaxChannelIDLen)
	}
	return nil
}

// positiveU64 checks a coin is positive and fits the voucher's u64 amounts.
func positiveU64(c sdk.Coin) error {
	if err := c.Validate(); err != nil || !c.Amount.IsPositive() || !c.Amount.LTE(math.NewIntFromUint64(^uint64(0))) {
		return errorsmod.Wrapf(ErrInvalidDeposit, "%s: a positive amount below 2^64 in a valid denom", c)
	}
	if len(c.Denom) > 64 {
		return errorsmod.Wrapf(ErrInvalidDeposit, "denom longer than a voucher's 64 bytes")
	}
	return nil
}

// ValidateBasic checks sizes and forms; the keeper checks addresses, ownership and funds.
func (m *MsgOpenChannel) ValidateBasic() error {
	if m.Owner == "" || m.Device == "" || m.Provider == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner, device and provider are required")
	}
	if err := validChannelID(m.ChannelId); err != nil {
		return err
	}
	if len(m.Spender) != 0 && (len(m.Spender) != SpenderLen || (m.Spender[0] != 0x02 && m.Spender[0] != 0x03)) {
		return errorsmod.Wrapf(ErrInvalidSpender, "want a %d-byte compressed secp256k1 key, got %d bytes", SpenderLen, len(m.Spender))
	}
	if m.SettleDelayS < MinSettleDelayS || m.SettleDelayS > MaxSettleDelayS {
		return errorsmod.Wrapf(ErrInvalidSettleDelay, "%d s not in %d..%d", m.SettleDelayS, MinSettleDelayS, MaxSettleDelayS)
	}
	return positiveU64(m.Deposit)
}

func (m *MsgTopUp) ValidateBasic() error {
	if m.Owner == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner is empty")
	}
	if err := validChannelID(m.ChannelId); err != nil {
		return err
	}
	return positiveU64(m.Amount)
}

func (m *MsgRedeem) ValidateBasic() error {
	if m.Provider == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "provider is empty")
	}
	if len(m.Signature) != SignatureLen {
		return errorsmod.Wrapf(ErrVoucherSignature, "want %d bytes r || s, got %d", SignatureLen, len(m.Signature))
	}
	if _, err := DecodeVoucher(m.Voucher); err != nil {
		return errorsmod.Wrap(ErrInvalidVoucher, err.Error())
	}
	return nil
}

func (m *MsgStartSettle) ValidateBasic() error {
	if m.Owner == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner is empty")
	}
	return validChannelID(m.ChannelId)
}

func (m *MsgReclaim) ValidateBasic() error {
	if m.Owner == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner is empty")
	}
	return validChannelID(m.ChannelId)
}

// ValidService: 1..32 bytes of a-z, 0-9, '.', '-' (the store key carries its length in a byte).
func ValidService(service string) error {
	if len(service) == 0 || len(service) > MaxServiceLen {
		return errorsmod.Wrapf(ErrInvalidService, "%d bytes, want 1..%d", len(service), MaxServiceLen)
	}
	for _, c := range service {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return errorsmod.Wrapf(ErrInvalidService, "character %q: want a-z, 0-9, '.', '-'", c)
		}
	}
	return nil
}

// validEndpoint: an http:// or https:// URL of printable ASCII, at most 200 bytes; devices
// call it, so nothing in it may be a control character.
func validEndpoint(endpoint string) error {
	if len(endpoint) > MaxEndpointLen {
		return errorsmod.Wrapf(ErrInvalidEndpoint, "%d bytes, want at most %d", len(endpoint), MaxEndpointLen)
	}
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return errorsmod.Wrap(ErrInvalidEndpoint, "want an http:// or https:// URL")
	}
	for i := 0; i < len(endpoint); i++ {
		if endpoint[i] <= 0x20 || endpoint[i] >= 0x7f {
			return errorsmod.Wrapf(ErrInvalidEndpoint, "byte %d is not printable ASCII", i)
		}
	}
	return nil
}

func (m *MsgRegisterProvider) ValidateBasic() error {
	if m.Provider == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "provider is empty")
	}
	if err := ValidService(m.Service); err != nil {
		return err
	}
	if err := validEndpoint(m.Endpoint); err != nil {
		return err
	}
	if err := positiveU64(m.Price); err != nil {
		return errorsmod.Wrap(ErrInvalidPrice, err.Error())
	}
	return nil
}

func (m *MsgDeregisterProvider) ValidateBasic() error {
	if m.Provider == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "provider is empty")
	}
	return ValidService(m.Service)
}
