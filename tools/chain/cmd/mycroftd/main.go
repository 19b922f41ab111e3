// mycroftd is the node binary of the local Mycroft chain.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/mycroft-lightclient/chain/app"
	"github.com/mycroft-lightclient/chain/cmd/mycroftd/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), "", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
