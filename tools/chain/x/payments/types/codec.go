package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages (SIGN_MODE_DIRECT only: no amino names).
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgOpenChannel{}, &MsgTopUp{}, &MsgRedeem{}, &MsgStartSettle{}, &MsgReclaim{},
		&MsgRegisterProvider{}, &MsgDeregisterProvider{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
