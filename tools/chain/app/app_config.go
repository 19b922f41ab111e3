package app

import (
	runtimev1alpha1 "cosmossdk.io/api/cosmos/app/runtime/v1alpha1"
	appv1alpha1 "cosmossdk.io/api/cosmos/app/v1alpha1"
	authmodulev1 "cosmossdk.io/api/cosmos/auth/module/v1"
	authzmodulev1 "cosmossdk.io/api/cosmos/authz/module/v1"
	bankmodulev1 "cosmossdk.io/api/cosmos/bank/module/v1"
	consensusmodulev1 "cosmossdk.io/api/cosmos/consensus/module/v1"
	distrmodulev1 "cosmossdk.io/api/cosmos/distribution/module/v1"
	evidencemodulev1 "cosmossdk.io/api/cosmos/evidence/module/v1"
	feegrantmodulev1 "cosmossdk.io/api/cosmos/feegrant/module/v1"
	genutilmodulev1 "cosmossdk.io/api/cosmos/genutil/module/v1"
	govmodulev1 "cosmossdk.io/api/cosmos/gov/module/v1"
	mintmodulev1 "cosmossdk.io/api/cosmos/mint/module/v1"
	slashingmodulev1 "cosmossdk.io/api/cosmos/slashing/module/v1"
	stakingmodulev1 "cosmossdk.io/api/cosmos/staking/module/v1"
	txconfigv1 "cosmossdk.io/api/cosmos/tx/config/v1"
	"cosmossdk.io/core/appconfig"
	"cosmossdk.io/depinject"
	_ "cosmossdk.io/x/evidence" // import for side-effects (depinject registration)
	evidencetypes "cosmossdk.io/x/evidence/types"
	"cosmossdk.io/x/feegrant"
	_ "cosmossdk.io/x/feegrant/module"

	_ "github.com/cosmos/cosmos-sdk/x/auth"           // import for side-effects (depinject registration)
	_ "github.com/cosmos/cosmos-sdk/x/auth/tx/config" // the "tx" module: tx config, ante handler
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	_ "github.com/cosmos/cosmos-sdk/x/authz/module"
	_ "github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	_ "github.com/cosmos/cosmos-sdk/x/consensus"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	_ "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	_ "github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	_ "github.com/cosmos/cosmos-sdk/x/slashing"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	_ "github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/types/module"

	devicesmodulev1 "github.com/mycroft-lightclient/chain/api/mycroft/devices/module/v1"
	_ "github.com/mycroft-lightclient/chain/x/devices"
	devicestypes "github.com/mycroft-lightclient/chain/x/devices/types"

	paymentsmodulev1 "github.com/mycroft-lightclient/chain/api/mycroft/payments/module/v1"
	releasesmodulev1 "github.com/mycroft-lightclient/chain/api/mycroft/releases/module/v1"
	_ "github.com/mycroft-lightclient/chain/x/payments"
	paymentstypes "github.com/mycroft-lightclient/chain/x/payments/types"
	_ "github.com/mycroft-lightclient/chain/x/releases"
	releasestypes "github.com/mycroft-lightclient/chain/x/releases/types"

	// x/usage (skill-usage tokens, docs/usage-tokens.md)
	usagemodulev1 "github.com/mycroft-lightclient/chain/api/mycroft/usage/module/v1"
	_ "github.com/mycroft-lightclient/chain/x/usage"
	usagetypes "github.com/mycroft-lightclient/chain/x/usage/types"
	// x/servicerewards (docs/rewards.md)
	servicerewardsmodulev1 "github.com/mycroft-lightclient/chain/api/mycroft/servicerewards/module/v1"
	_ "github.com/mycroft-lightclient/chain/x/servicerewards"
	servicerewardstypes "github.com/mycroft-lightclient/chain/x/servicerewards/types"
)

// Bech32Prefix of every account address on the chain.
const Bech32Prefix = "mycroft"

var (
	genesisModuleOrder = []string{
		authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName, stakingtypes.ModuleName,
		slashingtypes.ModuleName, govtypes.ModuleName, minttypes.ModuleName, genutiltypes.ModuleName,
		evidencetypes.ModuleName, authz.ModuleName, feegrant.ModuleName, consensustypes.ModuleName,
		devicestypes.ModuleName,
		releasestypes.ModuleName,
		paymentstypes.ModuleName, // after devices: channels name devices
		usagetypes.ModuleName,
		servicerewardstypes.ModuleName, // after devices: bonds name devices
	}

	moduleAccPerms = []*authmodulev1.ModuleAccountPermission{
		{Account: authtypes.FeeCollectorName},
		{Account: distrtypes.ModuleName},
		{Account: minttypes.ModuleName, Permissions: []string{authtypes.Minter}},
		{Account: stakingtypes.BondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
		{Account: stakingtypes.NotBondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
		{Account: govtypes.ModuleName, Permissions: []string{authtypes.Burner}},
		{Account: paymentstypes.ModuleName},       // holds channel deposits
		{Account: usagetypes.ModuleName},          // holds the skill-usage reward pool
		{Account: servicerewardstypes.ModuleName}, // holds device bonds and the reward pool
	}

	// blocked from receiving funds
	blockAccAddrs = []string{
		authtypes.FeeCollectorName, distrtypes.ModuleName, minttypes.ModuleName,
		stakingtypes.BondedPoolName, stakingtypes.NotBondedPoolName,
		paymentstypes.ModuleName,
		usagetypes.ModuleName,
		servicerewardstypes.ModuleName,
	}

	// AppConfig is the application's module configuration, as simapp's app_config.go.
	AppConfig = depinject.Configs(appconfig.Compose(&appv1alpha1.Config{
		Modules: []*appv1alpha1.ModuleConfig{
			{
				Name: runtime.ModuleName,
				Config: appconfig.WrapAny(&runtimev1alpha1.Module{
					AppName: "mycroft",
					BeginBlockers: []string{
						minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
						evidencetypes.ModuleName, stakingtypes.ModuleName, authz.ModuleName,
						servicerewardstypes.ModuleName, // keeps block hashes, pays epochs
					},
					EndBlockers: []string{
						govtypes.ModuleName, stakingtypes.ModuleName, feegrant.ModuleName,
					},
					OverrideStoreKeys: []*runtimev1alpha1.StoreKeyConfig{
						{ModuleName: authtypes.ModuleName, KvStoreKey: "acc"},
					},
					InitGenesis:   genesisModuleOrder,
					ExportGenesis: genesisModuleOrder,
				}),
			},
			{
				Name: authtypes.ModuleName,
				Config: appconfig.WrapAny(&authmodulev1.Module{
					Bech32Prefix:             Bech32Prefix,
					ModuleAccountPermissions: moduleAccPerms,
				}),
			},
			{
				Name:   banktypes.ModuleName,
				Config: appconfig.WrapAny(&bankmodulev1.Module{BlockedModuleAccountsOverride: blockAccAddrs}),
			},
			{
				Name: stakingtypes.ModuleName,
				Config: appconfig.WrapAny(&stakingmodulev1.Module{
					Bech32PrefixValidator: Bech32Prefix + "valoper",
					Bech32PrefixConsensus: Bech32Prefix + "valcons",
				}),
			},
			{Name: slashingtypes.ModuleName, Config: appconfig.WrapAny(&slashingmodulev1.Module{})},
			{Name: "tx", Config: appconfig.WrapAny(&txconfigv1.Config{})},
			{Name: genutiltypes.ModuleName, Config: appconfig.WrapAny(&genutilmodulev1.Module{})},
			{Name: authz.ModuleName, Config: appconfig.WrapAny(&authzmodulev1.Module{})},
			{Name: distrtypes.ModuleName, Config: appconfig.WrapAny(&distrmodulev1.Module{})},
			{Name: evidencetypes.ModuleName, Config: appconfig.WrapAny(&evidencemodulev1.Module{})},
			{Name: minttypes.ModuleName, Config: appconfig.WrapAny(&mintmodulev1.Module{})},
			{Name: feegrant.ModuleName, Config: appconfig.WrapAny(&feegrantmodulev1.Module{})},
			{Name: govtypes.ModuleName, Config: appconfig.WrapAny(&govmodulev1.Module{})},
			{Name: consensustypes.ModuleName, Config: appconfig.WrapAny(&consensusmodulev1.Module{})},
			{Name: devicestypes.ModuleName, Config: appconfig.WrapAny(&devicesmodulev1.Module{})},
			// x/releases: its authority defaults to the gov module account
			{Name: releasestypes.ModuleName, Config: appconfig.WrapAny(&releasesmodulev1.Module{})},
			{Name: paymentstypes.ModuleName, Config: appconfig.WrapAny(&paymentsmodulev1.Module{})},
			// x/usage: its authority (the issuer key) defaults to the gov module account
			{Name: usagetypes.ModuleName, Config: appconfig.WrapAny(&usagemodulev1.Module{})},
			{Name: servicerewardstypes.ModuleName, Config: appconfig.WrapAny(&servicerewardsmodulev1.Module{})},
		},
	}),
		depinject.Supply(
			// module basics that need more than their defaults
			map[string]module.AppModuleBasic{
				genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
				govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
			},
		))
)
