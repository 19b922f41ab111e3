package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"
)

// DevicesKeeper tells whether an account is a registered device (x/devices' record under its
// address): a device never submits its own tokens.
type DevicesKeeper interface {
	GetDevice(ctx context.Context, addr []byte) (devicestypes.Device, bool, error)
}

// BankKeeper moves the reward pool into the module account and out to skill creators.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error
}
