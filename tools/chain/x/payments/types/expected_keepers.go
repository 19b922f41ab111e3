package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"
)

// BankKeeper moves deposits into the module account and out to providers and owners.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error
}

// DevicesKeeper tells whose device an account is (x/devices' record under the device's address).
type DevicesKeeper interface {
	GetDevice(ctx context.Context, addr []byte) (devicestypes.Device, bool, error)
}
