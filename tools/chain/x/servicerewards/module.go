// Package servicerewards pays devices for serving light blocks, from service receipts (see types/keys.go
// for the store layout the light client proves and docs/rewards.md for the rules).
package servicerewards

import (
	"context"
	"encoding/json"
	"fmt"

	"cosmossdk.io/core/address"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/core/store"
	"cosmossdk.io/depinject"
	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	modulev1 "github.com/mycroft-lightclient/chain/api/mycroft/servicerewards/module/v1"
	"github.com/mycroft-lightclient/chain/x/servicerewards/keeper"
	"github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

const ConsensusVersion = 1

var (
	_ module.AppModuleBasic     = AppModule{}
	_ module.HasGenesis         = AppModule{}
	_ module.HasServices        = AppModule{}
	_ appmodule.HasBeginBlocker = AppModule{}
	_ appmodule.AppModule       = AppModule{}
)

type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper
}

func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule { return AppModule{cdc: cdc, keeper: k} }

func (AppModule) Name() string                                                  { return types.ModuleName }
func (AppModule) IsOnePerModuleType()                                           {}
func (AppModule) IsAppModule()                                                  {}
func (AppModule) ConsensusVersion() uint64                                      { return ConsensusVersion }
func (AppModule) RegisterLegacyAminoCodec(*codec.LegacyAmino)                   {}
func (AppModule) RegisterGRPCGatewayRoutes(client.Context, *gwruntime.ServeMux) {}

func (AppModule) RegisterInterfaces(r codectypes.InterfaceRegistry) { types.RegisterInterfaces(r) }

func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
}

// BeginBlock keeps the block hash and pays the epoch that closed (keeper/abci.go).
func (am AppModule) BeginBlock(ctx context.Context) error { return am.keeper.BeginBlock(ctx) }

func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("failed to unmarshal %s genesis state: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
	if err := InitGenesis(ctx, am.keeper, &gs); err != nil {
		panic(err)
	}
}

func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := ExportGenesis(ctx, am.keeper)
	if err != nil {
		panic(err)
	}
	return cdc.MustMarshalJSON(gs)
}

// depinject wiring: app_config.go names the module; this provides its keeper and module.

func init() {
	appmodule.Register(&modulev1.Module{}, appmodule.Provide(ProvideModule))
}

type ModuleInputs struct {
	depinject.In

	Config        *modulev1.Module
	StoreService  store.KVStoreService
	Cdc           codec.Codec
	AddressCodec  address.Codec
	BankKeeper    types.BankKeeper
	DevicesKeeper types.DevicesKeeper
}

type ModuleOutputs struct {
	depinject.Out

	ServiceRewardsKeeper keeper.Keeper
	Module               appmodule.AppModule
}

func ProvideModule(in ModuleInputs) ModuleOutputs {
	k := keeper.NewKeeper(in.StoreService, in.Cdc, in.AddressCodec, in.BankKeeper, in.DevicesKeeper)
	return ModuleOutputs{ServiceRewardsKeeper: k, Module: NewAppModule(in.Cdc, k)}
}
