package modkit

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

// AdminFlags say, as caddy reload's do, which running Caddy's admin API a
// `caddy ocomms` subcommand calls.
type AdminFlags struct {
	Address, Config, Adapter string
}

// Add adds --address, --config and --adapter to c.
func (f *AdminFlags) Add(c *cobra.Command) {
	c.Flags().StringVar(&f.Address, "address", "", "The address of the admin API (default: from --config, else localhost:2019)")
	c.Flags().StringVarP(&f.Config, "config", "c", "", "Configuration file whose admin address to use")
	c.Flags().StringVarP(&f.Adapter, "adapter", "a", "", "Name of config adapter to apply")
}

// CallJSON sends one request to the admin API (AdminCall), decodes the
// answer's JSON body into out and returns the edge instance that
// answered.
func (f *AdminFlags) CallJSON(method, uri string, body []byte, out any) (string, error) {
	raw, answered, err := AdminCall(f.Address, f.Config, f.Adapter, method, uri, body)
	if err != nil {
		return answered, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return answered, fmt.Errorf("reading the admin API's answer: %w", err)
	}
	return answered, nil
}
