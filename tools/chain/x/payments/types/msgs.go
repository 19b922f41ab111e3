package types

import (
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
)

var (
	_ sdk.Msg = &MsgOpenChannel{}
	_ sdk.Msg = &MsgTopUp{}
	_ sdk.Msg = &MsgRedeem{}
	_ sdk.Msg = &MsgStartSettle{}
	_ sdk.Msg = &MsgReclaim{}
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
