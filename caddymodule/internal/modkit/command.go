package modkit

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// ocommsSubcommands are the `caddy ocomms …` subcommands, added by each
// feature's init through AddOcommsCommand.
var ocommsSubcommands struct {
	sync.Mutex
	cmds []*cobra.Command
}

// AddOcommsCommand adds a subcommand under `caddy ocomms`. Call it from an
// init function; the parent command is built when Caddy's CLI starts,
// after every init has run.
func AddOcommsCommand(c *cobra.Command) {
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

// PrintAnswered names the edge process whose admin API answered: with
// several edges on one admin address (SO_REUSEPORT) the kernel picks one
// per connection, and each has its own memory state.
func PrintAnswered(w io.Writer, instance string) {
	if instance == "" {
		instance = "unknown (an edge without the " + InstanceHeader + " header)"
	}
	fmt.Fprintf(w, "answered by edge %s\n", instance)
}

// AdminCall sends one request to the running Caddy's admin API and returns
// the body of a 2xx answer and the edge instance that answered.
func AdminCall(address, config, adapter, method, uri string, body []byte) ([]byte, string, error) {
	addr, err := caddycmd.DetermineAdminAPIAddress(address, nil, config, adapter)
	if err != nil {
		return nil, "", fmt.Errorf("finding the admin API address: %w", err)
	}
	var rd io.Reader
	h := http.Header{}
	if body != nil {
		rd = bytes.NewReader(body)
		h.Set("Content-Type", "application/json")
	}
	resp, err := caddycmd.AdminAPIRequest(addr, method, uri, h, rd)
	if err != nil {
		return nil, "", fmt.Errorf("calling the admin API at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	answered := resp.Header.Get(InstanceHeader)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, answered, fmt.Errorf("reading the admin API's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, answered, fmt.Errorf("admin API %s %s (edge %s): %s: %s", method, uri, answered, resp.Status, strings.TrimSpace(string(raw)))
	}
	return raw, answered, nil
}

// OcommsSubcommands returns the subcommands added so far.
func OcommsSubcommands() []*cobra.Command {
	ocommsSubcommands.Lock()
	defer ocommsSubcommands.Unlock()
	return append([]*cobra.Command(nil), ocommsSubcommands.cmds...)
}
