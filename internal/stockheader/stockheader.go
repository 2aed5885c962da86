// Package stockheader writes the edge's ocomms header preset as Caddy's
// stock header directive, the way one would write it by hand: the
// "stock+header" configuration that the benchmarks (cmd/ocomms-bench and
// caddymodule's BenchmarkEdgeVersusStock) compare the edge with. It imports
// the headers package for the preset and nothing of Caddy, the audit log or
// pgx.
package stockheader

import (
	"fmt"
	"strings"

	"github.com/ocomms/ocomms-edge/headers"
)

// Nonce is the fixed nonce the block's CSP carries: a stock header block
// cannot make one per request.
const Nonce = "Zm9vYmFyYmF6cXV4cXV1eA"

// Block returns a header directive (for a site block, indented one level)
// setting what the ocomms preset sets (Fields) and removing Server and
// X-Powered-By.
func Block() (string, error) {
	f, err := Fields()
	if err != nil {
		return "", err
	}
	return "header {\n" + f + "\t\t-Server\n\t\t-X-Powered-By\n\t}", nil
}

// Fields returns the header directive's lines (each indented two levels
// and ending in a newline) setting the ocomms preset's headers, with a
// fixed CSP (nonce Nonce, host 127.0.0.1).
func Fields() (string, error) {
	o, err := headers.Preset("ocomms")
	if err != nil {
		return "", fmt.Errorf("ocomms header preset: %w", err)
	}
	csp := strings.NewReplacer(headers.NonceToken, "'nonce-"+Nonce+"'", headers.HostToken, "127.0.0.1").Replace(o.CSP.String())
	var b strings.Builder
	fmt.Fprintf(&b, "\t\tContent-Security-Policy %q\n", csp)
	fmt.Fprintf(&b, "\t\tStrict-Transport-Security %q\n", o.HSTS)
	for _, f := range o.Set {
		fmt.Fprintf(&b, "\t\t%s %q\n", f.Name, f.Value)
	}
	return b.String(), nil
}
