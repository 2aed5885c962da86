package consolemod_test

import (
	"testing"

	// Every module and the ocomms app, as an operator's build has them.
	_ "github.com/ocomms/ocomms-edge/caddymodule"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
)

// TestMain keeps Caddy's data directory (where the audit log goes by
// default) out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
