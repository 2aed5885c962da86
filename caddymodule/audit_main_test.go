package caddymodule

import (
	"os"
	"testing"
)

// TestMain points Caddy's data directory (where the audit log goes by
// default) at a temporary directory, so tests never write into the home
// directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ocomms-caddymodule-data-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
