package types

import errorsmod "cosmossdk.io/errors"

// Registered errors: clients branch on (codespace "servicerewards", code), never on the text
// (the table is in docs/rewards.md).
var (
	ErrInvalidReceipt   = errorsmod.Register(ModuleName, 2, "receipt bytes do not decode")
	ErrReceiptSignature = errorsmod.Register(ModuleName, 3, "receipt signature does not verify with the client device's key")
	ErrReceiptChain     = errorsmod.Register(ModuleName, 4, "receipt for another chain")
	ErrSameOwner        = errorsmod.Register(ModuleName, 5, "server and client devices have the same owner")
	ErrNotBonded        = errorsmod.Register(ModuleName, 6, "device has no bond of at least min_bond")
	ErrUnknownDevice    = errorsmod.Register(ModuleName, 7, "device not registered in x/devices")
	ErrHeaderUnknown    = errorsmod.Register(ModuleName, 8, "receipt height outside the epochs still open")
	ErrHeaderMismatch   = errorsmod.Register(ModuleName, 9, "receipt names another header hash than the chain's at that height")
	ErrDuplicateReceipt = errorsmod.Register(ModuleName, 10, "a receipt of this client for this server was already counted this epoch")
	ErrServerEpochCap   = errorsmod.Register(ModuleName, 11, "server device reached its per-epoch cap (bond * epoch_cap_bps)")
	ErrClientEpochCap   = errorsmod.Register(ModuleName, 12, "client device's receipts already count for max_servers_per_client servers this epoch")
	ErrNotOwnersDevice  = errorsmod.Register(ModuleName, 13, "device is not registered to the signer")
	ErrInvalidAmount    = errorsmod.Register(ModuleName, 14, "invalid amount or denom")
	ErrBondLocked       = errorsmod.Register(ModuleName, 15, "bond is locked")
	ErrNoBond           = errorsmod.Register(ModuleName, 16, "device has no bond")
	ErrBatchSize        = errorsmod.Register(ModuleName, 17, "receipt batch empty or too large")
	ErrSelfService      = errorsmod.Register(ModuleName, 18, "server and client are the same device")
	ErrNotAbuse         = errorsmod.Register(ModuleName, 19, "the receipt names the chain's own header hash: nothing to slash")
)
