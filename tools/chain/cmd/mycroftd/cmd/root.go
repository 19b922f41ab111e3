// Package cmd is mycroftd's command tree (simapp's, trimmed to what a local chain needs;
// no autocli: the proxy serves no cosmossdk.io/client/v2 release for SDK v0.53, and the
// chain's clients are our Python tools and the CometBFT RPC).
package cmd

import (
	"os"

	"cosmossdk.io/depinject"
	"cosmossdk.io/log"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/mycroft-lightclient/chain/app"
)

// NewRootCmd builds `mycroftd` from the same depinject config as the app.
func NewRootCmd() *cobra.Command {
	setAddressPrefixes()
	var (
		moduleBasicManager module.BasicManager
		clientCtx          client.Context
	)
	if err := depinject.Inject(
		depinject.Configs(app.AppConfig,
			depinject.Supply(log.NewNopLogger()),
			depinject.Provide(ProvideClientContext),
		),
		&moduleBasicManager,
		&clientCtx,
	); err != nil {
		panic(err)
	}

	rootCmd := &cobra.Command{
		Use:           "mycroftd",
		Short:         "node of the local Mycroft chain (Cosmos SDK + CometBFT)",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			clientCtx = clientCtx.WithCmdContext(cmd.Context())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			clientCtx, err = config.ReadFromClientConfig(clientCtx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometBFTConfig())
		},
	}

	initRootCmd(rootCmd, clientCtx.TxConfig, moduleBasicManager)
	return rootCmd
}

// setAddressPrefixes makes every bech32 address on this chain start with "mycroft".
func setAddressPrefixes() {
	cfg := sdk.GetConfig()
	p := app.Bech32Prefix
	cfg.SetBech32PrefixForAccount(p, p+"pub")
	cfg.SetBech32PrefixForValidator(p+"valoper", p+"valoperpub")
	cfg.SetBech32PrefixForConsensusNode(p+"valcons", p+"valconspub")
	cfg.Seal()
}

func ProvideClientContext(appCodec codec.Codec, interfaceRegistry codectypes.InterfaceRegistry,
	txConfig client.TxConfig, legacyAmino *codec.LegacyAmino) client.Context {
	clientCtx := client.Context{}.
		WithCodec(appCodec).
		WithInterfaceRegistry(interfaceRegistry).
		WithTxConfig(txConfig).
		WithLegacyAmino(legacyAmino).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("")
	clientCtx, _ = config.ReadFromClientConfig(clientCtx)
	return clientCtx
}
