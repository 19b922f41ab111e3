package types

import errorsmod "cosmossdk.io/errors"

// Registered errors: clients branch on (codespace "payments", code), never on the text
// (the table is in docs/payments.md).
var (
	ErrInvalidVoucher      = errorsmod.Register(ModuleName, 2, "voucher bytes do not decode")
	ErrVoucherSignature    = errorsmod.Register(ModuleName, 3, "voucher signature does not verify with the channel's spender key")
	ErrChannelNotFound     = errorsmod.Register(ModuleName, 4, "channel not found")
	ErrChannelExists       = errorsmod.Register(ModuleName, 5, "channel id already used")
	ErrNotOwner            = errorsmod.Register(ModuleName, 6, "signer is not the channel's owner")
	ErrNotProvider         = errorsmod.Register(ModuleName, 7, "signer is not the channel's provider")
	ErrNotOwnersDevice     = errorsmod.Register(ModuleName, 8, "device is not registered to the owner")
	ErrVoucherChain        = errorsmod.Register(ModuleName, 9, "voucher for another chain")
	ErrVoucherDenom        = errorsmod.Register(ModuleName, 10, "voucher in another denom than the channel's")
	ErrNonceUsed           = errorsmod.Register(ModuleName, 11, "voucher nonce not above the lane's last redeemed nonce")
	ErrAmountNotIncreasing = errorsmod.Register(ModuleName, 12, "voucher amount not above the lane's last redeemed amount")
	ErrInsufficientDeposit = errorsmod.Register(ModuleName, 13, "vouchers would exceed the channel's deposit")
	ErrChannelSettling     = errorsmod.Register(ModuleName, 14, "channel is settling")
	ErrSettleDelayNotOver  = errorsmod.Register(ModuleName, 15, "settle delay not over, or settling not started")
	ErrChannelClosed       = errorsmod.Register(ModuleName, 16, "channel is closed")
	ErrTooManyLanes        = errorsmod.Register(ModuleName, 17, "too many lanes on the channel")
	ErrInvalidDeposit      = errorsmod.Register(ModuleName, 18, "invalid deposit")
	ErrInvalidSettleDelay  = errorsmod.Register(ModuleName, 19, "settle delay out of bounds")
	ErrInvalidSpender      = errorsmod.Register(ModuleName, 20, "invalid spender key")
	ErrInvalidChannelID    = errorsmod.Register(ModuleName, 21, "invalid channel id")
	ErrChannelSettled      = errorsmod.Register(ModuleName, 22, "channel's settle delay is over: no more redeeming")
	ErrInvalidService      = errorsmod.Register(ModuleName, 23, "invalid service name")
	ErrInvalidEndpoint     = errorsmod.Register(ModuleName, 24, "invalid provider endpoint")
	ErrInvalidPrice        = errorsmod.Register(ModuleName, 25, "invalid price")
	ErrTooManyProviders    = errorsmod.Register(ModuleName, 26, "the service lists as many providers as it may")
	ErrProviderNotFound    = errorsmod.Register(ModuleName, 27, "provider not registered for the service")
)
