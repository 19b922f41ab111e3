package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"
)

// BankKeeper moves bonds and the pool in and out of the module account.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error
}

// DevicesKeeper tells whose device an account is and its key (x/devices' record).
type DevicesKeeper interface {
	GetDevice(ctx context.Context, addr []byte) (devicestypes.Device, bool, error)
}
