package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages (SIGN_MODE_DIRECT only: no amino names);
// x/gov unpacks MsgSetIssuerKey from a proposal's messages through this registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgSetIssuerKey{}, &MsgRegisterSkill{},
		&MsgRedeemTokens{}, &MsgFundPool{}, &MsgClaimReward{})
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
