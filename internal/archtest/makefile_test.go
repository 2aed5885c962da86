package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// makeTarget is one `go test -fuzz '^Name$$' … ./dir/` or `-run Name … ./dir/`
// line of the Makefile, whose function must be defined in that folder.
var (
	fuzzLine = regexp.MustCompile(`-fuzz '\^(\w+)\$\$'[^\n]*?\s(\./[\w/.-]*)\s*$`)
	runLine  = regexp.MustCompile(`-run (Test\w+) [^\n]*?\s(\./[\w/.-]*)\s*$`)
)

// TestMakefileTargetsExist: every fuzz target and named test the Makefile
// runs is defined in the package the line names, so moving code cannot
// leave `make fuzz` or a bench target pointing at nothing (go test with
// -fuzz on a package without the target fails; with -run it silently runs
// nothing).
func TestMakefileTargetsExist(t *testing.T) {
	root := filepath.Join("..", "..")
	raw, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, line := range strings.Split(string(raw), "\n") {
		m := fuzzLine.FindStringSubmatch(line)
		if m == nil {
			m = runLine.FindStringSubmatch(line)
		}
		if m == nil {
			continue
		}
		checked++
		name, dir := m[1], filepath.Join(root, m[2])
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		found := false
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(src), "func "+name+"(") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("Makefile:%d runs %s in %s, which does not define it", i+1, name, m[2])
		}
	}
	if checked < 20 {
		t.Fatalf("only %d fuzz/test targets found in the Makefile; the pattern no longer reads it", checked)
	}
}
