package types

import errorsmod "cosmossdk.io/errors"

// Registered errors: clients branch on (codespace "releases", code), never on the text.
var (
	ErrNotAuthority     = errorsmod.Register(ModuleName, 2, "signer is not the releases authority (a governance proposal)")
	ErrInvalidRelease   = errorsmod.Register(ModuleName, 3, "invalid release record")
	ErrReleaseExists    = errorsmod.Register(ModuleName, 4, "a release record for this image exists")
	ErrProposalMismatch = errorsmod.Register(ModuleName, 5, "the named proposal is not the one executing this message")
	ErrReleaseNotFound  = errorsmod.Register(ModuleName, 6, "release not found")
)
