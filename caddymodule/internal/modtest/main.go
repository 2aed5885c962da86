package modtest

import (
	"os"
	"testing"
)

// Main runs a test package's tests with Caddy's data directory (where
// the audit log goes by default) in a temporary directory, so tests never
// write into the home directory. Call it from TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "ocomms-caddymodule-data-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
