package archtest

import "testing"

// layer is a package of the module (relative to its root) with the
// packages it must not depend on.
type layer struct {
	pkg    string
	denied []string
}

// checkLayers fails the test for every package of layers that go list
// does not find (table names the list to update), and for every
// dependency dep of one that forbidden(dep, denied) holds for, with one of
// its denied entries.
func checkLayers(t *testing.T, table string, layers []layer, forbidden func(dep, denied string) bool) {
	t.Helper()
	deps := map[string][]string{}
	for _, p := range listPackages(t) {
		deps[rel(p.ImportPath)] = p.Deps
	}
	for _, l := range layers {
		ds, ok := deps[l.pkg]
		if !ok {
			t.Errorf("package %s not found; update %s", l.pkg, table)
			continue
		}
		for _, d := range ds {
			for _, denied := range l.denied {
				if forbidden(d, denied) {
					t.Errorf("%s depends on %s; it must not depend on %s", l.pkg, d, denied)
				}
			}
		}
	}
}
