package types

import errorsmod "cosmossdk.io/errors"

// Errors of data sharing (codes 60-69 of the codespace "devices"; docs/grants.md).
var (
	ErrBadRecipientKey = errorsmod.Register(ModuleName, 60, "recipient key is not a 32-byte X25519 key")
	ErrBadBlob         = errorsmod.Register(ModuleName, 61, "malformed blob record")
	ErrNoGrant         = errorsmod.Register(ModuleName, 62, "no grant of this class is in force")
	ErrBlobEpoch       = errorsmod.Register(ModuleName, 63, "blob not sealed to the class's current epoch")
	ErrBlobRecipients  = errorsmod.Register(ModuleName, 64, "blob not sealed to exactly the grantees in force")
	ErrNoRecipientKey  = errorsmod.Register(ModuleName, 65, "a grantee in force has no recipient key")
)
