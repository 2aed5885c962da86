package caddymodule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

func init() {
	addOcommsCommand(lockoutCommand())
}

// lockoutCommand is `caddy ocomms lockout list|unlock EMAIL`.
func lockoutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lockout list|unlock <email>",
		Short: "Lists locked accounts or unlocks one (admin API /ocomms/lockouts)",
		Long: `
list prints the accounts with failed sign-ins or a lock: their keys (an HMAC
of the email; emails are never stored), failure counts and lock ends.
unlock clears one account by email, as a password reset would.`,
	}
	var address, config, adapter string
	flags := func(c *cobra.Command) {
		c.Flags().StringVar(&address, "address", "", "The address of the admin API (default: from --config, else localhost:2019)")
		c.Flags().StringVarP(&config, "config", "c", "", "Configuration file whose admin address to use")
		c.Flags().StringVarP(&adapter, "adapter", "a", "", "Name of config adapter to apply")
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "Lists accounts with failures or a lock",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			body, answered, err := adminCall(address, config, adapter, http.MethodGet, "/ocomms/lockouts", nil)
			if err != nil {
				return err
			}
			var out LockoutList
			if err := json.Unmarshal(body, &out); err != nil {
				return fmt.Errorf("reading the admin API's answer: %w", err)
			}
			w := c.OutOrStdout()
			defer printAnswered(w, answered)
			if len(out.Lockouts) == 0 {
				fmt.Fprintln(w, "no accounts with failures or locks")
				return nil
			}
			fmt.Fprintf(w, "%-34s %8s  %-20s %s\n", "KEY", "FAILURES", "LOCKED UNTIL", "HARD")
			for _, e := range out.Lockouts {
				until := "-"
				if e.LockedUntil != nil {
					until = e.LockedUntil.Format("2006-01-02T15:04:05Z")
				}
				fmt.Fprintf(w, "%-34s %8d  %-20s %v\n", e.Key, e.Failures, until, e.HardLocked)
			}
			return nil
		},
	}
	unlock := &cobra.Command{
		Use:   "unlock <email|key>",
		Short: "Clears an account's failures and lock, by email or by the key list shows",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ur := UnlockRequest{Email: args[0]}
			if accountKey.MatchString(args[0]) {
				ur = UnlockRequest{Key: args[0]}
			}
			req, _ := json.Marshal(ur)
			body, answered, err := adminCall(address, config, adapter, http.MethodPost, "/ocomms/lockouts/unlock", req)
			if err != nil {
				return err
			}
			var out UnlockResult
			if err := json.Unmarshal(body, &out); err != nil {
				return fmt.Errorf("reading the admin API's answer: %w", err)
			}
			if out.Unlocked {
				fmt.Fprintf(c.OutOrStdout(), "unlocked %s\n", args[0])
			} else {
				fmt.Fprintf(c.OutOrStdout(), "%s had no failures or lock\n", args[0])
			}
			printAnswered(c.OutOrStdout(), answered)
			return nil
		},
	}
	flags(list)
	flags(unlock)
	cmd.AddCommand(list, unlock)
	return cmd
}

// accountKey is what an account key looks like (an email never does).
var accountKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

// printAnswered names the edge process whose admin API answered: with
// several edges on one admin address (SO_REUSEPORT) the kernel picks one
// per connection, and each has its own memory state.
func printAnswered(w io.Writer, instance string) {
	if instance == "" {
		instance = "unknown (an edge without the " + InstanceHeader + " header)"
	}
	fmt.Fprintf(w, "answered by edge %s\n", instance)
}

// adminCall sends one request to the running Caddy's admin API and returns
// the body of a 2xx answer and the edge instance that answered.
func adminCall(address, config, adapter, method, uri string, body []byte) ([]byte, string, error) {
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
