package types

import errorsmod "cosmossdk.io/errors"

// Registered errors: clients branch on (codespace "usage", code), never on the text.
var (
	ErrNotAuthority      = errorsmod.Register(ModuleName, 2, "signer is not the usage authority (a governance proposal)")
	ErrInvalidIssuerKey  = errorsmod.Register(ModuleName, 3, "invalid issuer key")
	ErrNoIssuerKey       = errorsmod.Register(ModuleName, 4, "no issuer key is set")
	ErrMalformedToken    = errorsmod.Register(ModuleName, 5, "malformed token message")
	ErrWrongChain        = errorsmod.Register(ModuleName, 6, "token is for another chain")
	ErrEpochWindow       = errorsmod.Register(ModuleName, 7, "token epoch is not redeemable now")
	ErrUnknownSkill      = errorsmod.Register(ModuleName, 8, "skill is not registered")
	ErrIssuerKeyReplaced = errorsmod.Register(ModuleName, 9, "token names an issuer key that is not the current one")
	ErrBadSignature      = errorsmod.Register(ModuleName, 10, "token signature does not verify under the issuer key")
	ErrDoubleSpend       = errorsmod.Register(ModuleName, 11, "token already redeemed")
	ErrSkillExists       = errorsmod.Register(ModuleName, 12, "skill id already registered")
	ErrInvalidSkill      = errorsmod.Register(ModuleName, 13, "invalid skill id")
	ErrEpochOpen         = errorsmod.Register(ModuleName, 14, "epoch still takes redemptions")
	ErrAlreadyPaid       = errorsmod.Register(ModuleName, 15, "skill's epoch reward already paid")
	ErrNothingToClaim    = errorsmod.Register(ModuleName, 16, "no tokens of this skill in this epoch")
	ErrTooManyTokens     = errorsmod.Register(ModuleName, 17, "too many tokens in one message")
	ErrInvalidAmount     = errorsmod.Register(ModuleName, 18, "invalid amount")
	ErrInvalidParams     = errorsmod.Register(ModuleName, 19, "invalid params")
	ErrDeviceSubmitter   = errorsmod.Register(ModuleName, 20, "a device may not submit tokens: its account would link them")
)
