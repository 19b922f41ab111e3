package types

import errorsmod "cosmossdk.io/errors"

// Registered errors: clients branch on (codespace "devices", code), never on the text.
var (
	ErrInvalidPubKey          = errorsmod.Register(ModuleName, 2, "invalid device public key")
	ErrInvalidDeviceSignature = errorsmod.Register(ModuleName, 3, "device signature does not verify")
	ErrDeviceExists           = errorsmod.Register(ModuleName, 4, "device already registered")
	ErrDeviceNotFound         = errorsmod.Register(ModuleName, 5, "device not found")
	ErrNotOwner               = errorsmod.Register(ModuleName, 6, "signer is not the device's owner")
	ErrSettingsTooLarge       = errorsmod.Register(ModuleName, 7, "settings too large")
	ErrInvalidWriteKind       = errorsmod.Register(ModuleName, 8, "unknown device write kind")
	ErrInvalidFunding         = errorsmod.Register(ModuleName, 9, "invalid funding")
)
