package caddymodule

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// ocommsCommands are the subcommands of `caddy ocomms`, added by the files
// that define them (in init, through addOcommsCommand).
var ocommsCommands []*cobra.Command

// addOcommsCommand adds a subcommand to `caddy ocomms`. Call it from init.
func addOcommsCommand(c *cobra.Command) {
	ocommsCommands = append(ocommsCommands, c)
}

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "ocomms",
		Usage: "<command> [flags]",
		Short: "OComms security edge tools (audit log queries and verification, lockouts)",
		Long: `
Tools for the OComms security edge. Run 'caddy ocomms <command> --help' for
the flags of each command.
`,
		CobraFunc: func(cmd *cobra.Command) {
			for _, c := range ocommsCommands {
				cmd.AddCommand(c)
			}
		},
	})
}
