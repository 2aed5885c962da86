package archtest

import "testing"

// adapterLayers are caddymodule's packages with the caddymodule packages
// each must not depend on: the shared kit below every handler package,
// the handler packages beside each other (the console alone reads the
// audit log's and the guard's state), and none of them on the root
// caddymodule, which imports them all.
var adapterLayers = []layer{
	{"caddymodule/internal/modkit", []string{"caddymodule", "caddymodule/auditmod", "caddymodule/guardmod", "caddymodule/accessmod", "caddymodule/consolemod", "caddymodule/internal/modtest"}},
	{"caddymodule/internal/modtest", []string{"caddymodule", "caddymodule/auditmod", "caddymodule/guardmod", "caddymodule/accessmod", "caddymodule/consolemod"}},
	{"caddymodule/auditmod", []string{"caddymodule", "caddymodule/guardmod", "caddymodule/accessmod", "caddymodule/consolemod", "caddymodule/internal/modtest"}},
	{"caddymodule/guardmod", []string{"caddymodule", "caddymodule/auditmod", "caddymodule/accessmod", "caddymodule/consolemod", "caddymodule/internal/modtest"}},
	{"caddymodule/accessmod", []string{"caddymodule", "caddymodule/auditmod", "caddymodule/guardmod", "caddymodule/consolemod", "caddymodule/internal/modtest"}},
	{"caddymodule/consolemod", []string{"caddymodule", "caddymodule/accessmod", "caddymodule/internal/modtest"}},
}

// TestAdapterPackagesLayered holds caddymodule's packages to the order
// their doc comments state. A denied package is that package alone, not
// the packages below it: the root caddymodule is above all of them.
func TestAdapterPackagesLayered(t *testing.T) {
	checkLayers(t, "adapterLayers", adapterLayers, func(dep, denied string) bool {
		return dep == module+"/"+denied
	})
}
