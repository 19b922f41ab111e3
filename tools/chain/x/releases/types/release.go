package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Bounds of a record, the chip's as well (lightclient/chip/app/release_image.py): what the
// chain stores, a chip can decode.
const (
	MaxSecurityVersion = 0xFFFF
	MaxVersionLen      = 32
	MaxBoardLen        = 32
)

var _ sdk.Msg = &MsgPublishRelease{}

// Validate checks a record's form: a 32-byte hash, bounded texts, a proposal id.
func (r *Release) Validate() error {
	if r == nil {
		return errorsmod.Wrap(ErrInvalidRelease, "missing")
	}
	if len(r.ImageSha256) != ImageHashLen {
		return errorsmod.Wrapf(ErrInvalidRelease, "image_sha256 has %d bytes, want %d", len(r.ImageSha256), ImageHashLen)
	}
	if r.SecurityVersion > MaxSecurityVersion {
		return errorsmod.Wrapf(ErrInvalidRelease, "security_version %d > %d", r.SecurityVersion, MaxSecurityVersion)
	}
	if len(r.Version) == 0 || len(r.Version) > MaxVersionLen || !printable(r.Version) {
		return errorsmod.Wrapf(ErrInvalidRelease, "version must be 1..%d printable ASCII characters", MaxVersionLen)
	}
	if len(r.Board) == 0 || len(r.Board) > MaxBoardLen || !boardName(r.Board) {
		return errorsmod.Wrapf(ErrInvalidRelease, "board must be 1..%d characters of [a-z0-9-]", MaxBoardLen)
	}
	if r.ProposalId == 0 {
		return errorsmod.Wrap(ErrInvalidRelease, "proposal_id is required")
	}
	return nil
}

// ValidateBasic checks the form; the keeper checks the authority and the proposal.
func (m *MsgPublishRelease) ValidateBasic() error {
	if m.Authority == "" {
		return errorsmod.Wrap(sdkerrors.ErrInvalidAddress, "authority is empty")
	}
	return m.Release.Validate()
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func boardName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
