package types

import (
	"bytes"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis: day-long epochs, 1,000,000 stake paid out per epoch, no issuer key yet.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: Params{EpochSeconds: 86400, EpochReward: sdk.NewInt64Coin("stake", 1000000)}}
}

// Validate checks the params and the issuer key's form and id.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.IssuerKey != nil {
		k, err := NewIssuerKey(gs.IssuerKey.Modulus, gs.IssuerKey.Exponent)
		if err != nil {
			return err
		}
		if len(gs.IssuerKey.KeyId) != 0 && !bytes.Equal(gs.IssuerKey.KeyId, k.KeyId) {
			return fmt.Errorf("%w: key_id is not SHA-256(modulus || exponent)", ErrInvalidIssuerKey)
		}
	}
	return nil
}
