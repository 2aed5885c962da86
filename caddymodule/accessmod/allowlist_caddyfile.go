package accessmod

import (
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

// allowList reads an allow subdirective: its entries, commas also
// separating, each checked by check (whose error follows errPrefix),
// appended to dst. An allow line with no entries (an empty environment
// variable) adds nothing.
func allowList(dst *[]string, errPrefix string, check func(entry string) error) modkit.ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		for _, entry := range splitList(d.RemainingArgs()) {
			if err := check(entry); err != nil {
				return d.Errf("%s%v", errPrefix, err)
			}
			*dst = append(*dst, entry)
		}
		return nil
	}
}

// splitList splits arguments on commas as well (an environment variable
// such as "10.0.0.0/8, 192.0.2.1" arrives as one or several tokens),
// dropping empty entries.
func splitList(args []string) []string {
	var out []string
	for _, a := range args {
		for _, f := range strings.Split(a, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}
