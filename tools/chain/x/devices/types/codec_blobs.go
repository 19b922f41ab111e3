package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

func registerBlobInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgSetRecipientKey{}, &MsgPutBlob{})
	msgservice.RegisterMsgServiceDesc(registry, &_BlobMsg_serviceDesc)
}
