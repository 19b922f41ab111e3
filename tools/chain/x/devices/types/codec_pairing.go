package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

func registerPairingInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgPairDevice{}, &MsgRemoveDevice{}, &MsgPutSealed{}, &MsgGrant{}, &MsgRevoke{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_PairingMsg_serviceDesc)
}
