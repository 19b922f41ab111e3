package types

import errorsmod "cosmossdk.io/errors"

// Errors of pairing, sealed settings and grants (codes 20-39 of the codespace "devices"):
// clients branch on (codespace, code); the wrapped text names the failing check.
var (
	ErrBadStatement        = errorsmod.Register(ModuleName, 20, "malformed pairing statement")
	ErrStatementChain      = errorsmod.Register(ModuleName, 21, "statement names another chain")
	ErrStatementOwner      = errorsmod.Register(ModuleName, 22, "statement names another owner than the signer")
	ErrOwnerSignature      = errorsmod.Register(ModuleName, 23, "owner signature does not verify")
	ErrPairDeviceSignature = errorsmod.Register(ModuleName, 24, "device Ed25519 signature does not verify")
	ErrDevicePaired        = errorsmod.Register(ModuleName, 25, "device already paired")
	ErrDeviceNotPaired     = errorsmod.Register(ModuleName, 26, "device not paired to this owner")
	ErrBadEnvelope         = errorsmod.Register(ModuleName, 27, "malformed envelope")
	ErrEnvelopeChain       = errorsmod.Register(ModuleName, 28, "envelope sealed for another chain")
	ErrEnvelopeRecordKey   = errorsmod.Register(ModuleName, 29, "envelope record key not allowed here")
	ErrEnvelopeVersion     = errorsmod.Register(ModuleName, 30, "envelope version is not the next one")
	ErrEnvelopeEpoch       = errorsmod.Register(ModuleName, 31, "envelope not sealed to the owner's current epoch")
	ErrEnvelopeWriter      = errorsmod.Register(ModuleName, 32, "envelope writer may not write this record")
	ErrEnvelopeSignature   = errorsmod.Register(ModuleName, 33, "envelope writer signature does not verify")
	ErrEnvelopeWraps       = errorsmod.Register(ModuleName, 34, "epoch envelope not wrapped to exactly the paired devices")
	ErrUnknownOwner        = errorsmod.Register(ModuleName, 35, "owner has no paired device")
	ErrBadGrant            = errorsmod.Register(ModuleName, 36, "malformed grant statement")
	ErrGrantNotFound       = errorsmod.Register(ModuleName, 37, "grant not found")
	ErrPlaintextSettings   = errorsmod.Register(ModuleName, 38, "settings are accepted only as sealed envelopes")
	ErrTooManyDevices      = errorsmod.Register(ModuleName, 39, "owner has the most devices an epoch envelope can wrap")
	// a paired device's envelope under settings/: those records are the owner's; a device
	// writes only its own write/ records, with MsgDeviceWrite
	ErrSettingsOwnerOnly = errorsmod.Register(ModuleName, 41, "settings records are written by the owner only")
)
