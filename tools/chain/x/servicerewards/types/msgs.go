package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Bounds checked before anything is stored.
const (
	SignatureLen      = 64
	MaxReceiptsPerMsg = 64
)

var (
	_ sdk.Msg = &MsgBond{}
	_ sdk.Msg = &MsgUnbond{}
	_ sdk.Msg = &MsgSubmitReceipts{}
	_ sdk.Msg = &MsgFundPool{}
	_ sdk.Msg = &MsgReportReceipt{}
)

func positiveU64(c sdk.Coin) error {
	if err := c.Validate(); err != nil || !c.Amount.IsPositive() || !c.Amount.LTE(math.NewIntFromUint64(^uint64(0))) {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s: a positive amount below 2^64 in a valid denom", c)
	}
	return nil
}

func (s SignedReceipt) ValidateBasic() error {
	if len(s.Signature) != SignatureLen {
		return errorsmod.Wrapf(ErrReceiptSignature, "want %d bytes r || s, got %d", SignatureLen, len(s.Signature))
	}
	if _, err := DecodeReceipt(s.Receipt); err != nil {
		return errorsmod.Wrap(ErrInvalidReceipt, err.Error())
	}
	return nil
}

func (m *MsgBond) ValidateBasic() error {
	if m.Owner == "" || m.Device == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner and device are required")
	}
	return positiveU64(m.Amount)
}

func (m *MsgUnbond) ValidateBasic() error {
	if m.Owner == "" || m.Device == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "owner and device are required")
	}
	return nil
}

func (m *MsgSubmitReceipts) ValidateBasic() error {
	if m.Submitter == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "submitter is empty")
	}
	if len(m.Receipts) == 0 || len(m.Receipts) > MaxReceiptsPerMsg {
		return errorsmod.Wrapf(ErrBatchSize, "%d receipts, want 1..%d", len(m.Receipts), MaxReceiptsPerMsg)
	}
	for _, r := range m.Receipts {
		if r == nil {
			return errorsmod.Wrap(ErrInvalidReceipt, "empty entry")
		}
		if err := r.ValidateBasic(); err != nil {
			return err
		}
	}
	return nil
}

func (m *MsgFundPool) ValidateBasic() error {
	if m.Funder == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "funder is empty")
	}
	return positiveU64(m.Amount)
}

func (m *MsgReportReceipt) ValidateBasic() error {
	if m.Reporter == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "reporter is empty")
	}
	return m.Receipt.ValidateBasic()
}
