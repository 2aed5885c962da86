package archtest

import "testing"

// adapterLayers are caddymodule's packages with the caddymodule packages
// each must not depend on: the shared kit below every handler package,
// the handler packages beside each other (the console alone reads the
// audit log's and the guard's state), and none of them on the root, which
// imports them all ("" is the root caddymodule itself).
var adapterLayers = []struct {
	pkg    string
	denied []string
}{
	{"caddymodule/internal/modkit", []string{"", "auditmod", "guardmod", "accessmod", "consolemod", "internal/modtest"}},
	{"caddymodule/internal/modtest", []string{"", "auditmod", "guardmod", "accessmod", "consolemod"}},
	{"caddymodule/auditmod", []string{"", "guardmod", "accessmod", "consolemod", "internal/modtest"}},
	{"caddymodule/guardmod", []string{"", "auditmod", "accessmod", "consolemod", "internal/modtest"}},
	{"caddymodule/accessmod", []string{"", "auditmod", "guardmod", "consolemod", "internal/modtest"}},
	{"caddymodule/consolemod", []string{"", "accessmod", "internal/modtest"}},
}

// TestAdapterPackagesLayered holds caddymodule's packages to the order
// their doc comments state.
func TestAdapterPackagesLayered(t *testing.T) {
	deps := map[string][]string{}
	for _, p := range listPackages(t) {
		deps[rel(p.ImportPath)] = p.Deps
	}
	for _, layer := range adapterLayers {
		ds, ok := deps[layer.pkg]
		if !ok {
			t.Errorf("package %s not found; update adapterLayers", layer.pkg)
			continue
		}
		for _, d := range ds {
			for _, denied := range layer.denied {
				path := module + "/caddymodule"
				if denied != "" {
					path += "/" + denied
				}
				if d == path {
					t.Errorf("%s depends on %s; it must not", layer.pkg, d)
				}
			}
		}
	}
}
