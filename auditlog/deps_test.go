package auditlog

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ocomms/ocomms-edge/"

// forbidden lists, per package pattern, the import path prefixes none of
// its (non-test) dependencies may have: the rules each package's doc
// comment states.
var forbidden = []struct {
	pkg    string
	denied []string
}{
	{"./secevent", []string{module, "github.com/caddyserver/", "github.com/jackc/", "go.uber.org/"}},
	{"./adminaction", []string{module + "auditlog", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./authguard/...", []string{module + "auditlog", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/record", []string{module + "auditlog/chain", module + "auditlog/pipeline", module + "auditlog/query", module + "auditlog/sink", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/chain", []string{module + "auditlog/pipeline", module + "auditlog/query", module + "auditlog/sink", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/pipeline", []string{module + "auditlog/query", module + "auditlog/sink", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/query", []string{module + "auditlog/pipeline", module + "auditlog/sink", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/sink/jsonl", []string{module + "auditlog/pipeline", module + "auditlog/sink/postgres", module + "auditlog/sink/zapsink", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/sink/zapsink", []string{module + "auditlog/pipeline", module + "auditlog/sink/postgres", module + "auditlog/sink/jsonl", module + "auditlog/setup", "github.com/caddyserver/", "github.com/jackc/"}},
	{"./auditlog/sink/postgres", []string{module + "auditlog/sink/jsonl", module + "auditlog/sink/zapsink", module + "auditlog/setup", "github.com/caddyserver/"}},
	{"./auditlog/setup", []string{"github.com/caddyserver/"}},
}

// TestImportRules: no audit package, and no request-side package, depends
// on what its doc comment says it must not import (go list -deps).
func TestImportRules(t *testing.T) {
	for _, rule := range forbidden {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", rule.pkg)
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", rule.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, d := range rule.denied {
				if strings.HasPrefix(dep, d) && !strings.HasPrefix(dep, module+strings.TrimPrefix(rule.pkg, "./")) && !(rule.pkg == "./secevent" && dep == module+"secevent") {
					t.Errorf("%s depends on %s (forbidden: %s)", rule.pkg, dep, d)
				}
			}
		}
	}
}
