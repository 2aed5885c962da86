package guardmod

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/spf13/cobra"
)

func init() {
	modkit.AddOcommsCommand(lockoutCommand())
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
	var admin modkit.AdminFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "Lists accounts with failures or a lock",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var out LockoutList
			answered, err := admin.CallJSON(http.MethodGet, "/ocomms/lockouts", nil, &out)
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			defer modkit.PrintAnswered(w, answered)
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
			var out UnlockResult
			answered, err := admin.CallJSON(http.MethodPost, "/ocomms/lockouts/unlock", req, &out)
			if err != nil {
				return err
			}
			if out.Unlocked {
				fmt.Fprintf(c.OutOrStdout(), "unlocked %s\n", args[0])
			} else {
				fmt.Fprintf(c.OutOrStdout(), "%s had no failures or lock\n", args[0])
			}
			modkit.PrintAnswered(c.OutOrStdout(), answered)
			return nil
		},
	}
	admin.Add(list)
	admin.Add(unlock)
	cmd.AddCommand(list, unlock)
	return cmd
}

// accountKey is what an account key looks like (an email never does).
var accountKey = regexp.MustCompile(`^[0-9a-f]{32}$`)
