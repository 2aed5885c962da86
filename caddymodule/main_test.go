package caddymodule

import (
	"testing"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modtest"
)

// TestMain keeps Caddy's data directory (where the audit log goes by
// default) out of the home directory.
func TestMain(m *testing.M) { modtest.Main(m) }
