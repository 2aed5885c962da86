package caddymodule

import (
	"sync"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// ocommsSubcommands are the `caddy ocomms …` subcommands, added by each
// feature's init through addOcommsCommand.
var ocommsSubcommands struct {
	sync.Mutex
	cmds []*cobra.Command
}

// addOcommsCommand adds a subcommand under `caddy ocomms`. Call it from an
// init function; the parent command is built when Caddy's CLI starts,
// after every init has run.
func addOcommsCommand(c *cobra.Command) {
	ocommsSubcommands.Lock()
	ocommsSubcommands.cmds = append(ocommsSubcommands.cmds, c)
	ocommsSubcommands.Unlock()
}

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "ocomms",
		Usage: "<command> [flags]",
		Short: "Operates the OComms security edge (lockouts, audit log)",
		Long: `
Commands for the OComms edge modules. They talk to a running Caddy through
its admin API (the address from --address, else the admin address of the
config named by --config, else localhost:2019), as caddy reload does.`,
		CobraFunc: func(cmd *cobra.Command) {
			ocommsSubcommands.Lock()
			defer ocommsSubcommands.Unlock()
			for _, c := range ocommsSubcommands.cmds {
				cmd.AddCommand(c)
			}
		},
	})
}
