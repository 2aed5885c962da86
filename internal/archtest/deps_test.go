package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ocomms/ocomms-edge"

// goPackage is the part of `go list -json` these rules read.
type goPackage struct {
	ImportPath string
	Deps       []string
}

// listPackages runs `go list -deps`-style listing of every package of the
// module with its transitive (non-test) dependencies.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages; the rules would check nothing", len(pkgs))
	}
	return pkgs
}

// rel is the import path relative to the module root ("" for the root).
func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// under reports whether the relative path p is dir or inside it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// adapters may link Caddy: the Caddy modules themselves, the binaries and
// the Caddy-backed test harness with the tests that use it.
func adapter(p string) bool {
	return under(p, "caddymodule") || under(p, "cmd") || under(p, "integration") ||
		under(p, "internal/edgetest") || under(p, "internal/nodeapp")
}

// auditOrTool is the audit log's own packages (its sinks may use pgx),
// doctor (it checks an operator's PostgreSQL over its own driver), the
// benchmark driver and the test support that reads audit output.
func auditOrTool(p string) bool {
	return under(p, "auditlog") || under(p, "doctor") || under(p, "internal/testsupport") ||
		under(p, "internal/audittest") || under(p, "bench")
}

// forbidden names what a dependency path is, or "" when it is allowed for
// a capability package.
func forbidden(dep string) string {
	switch {
	case under(dep, "github.com/caddyserver/caddy/v2"):
		return "Caddy"
	case under(dep, "github.com/jackc/pgx/v5"):
		return "pgx"
	case under(dep, module+"/auditlog"):
		return "the audit log"
	case under(dep, module+"/caddymodule"):
		return "the Caddy adapters"
	}
	return ""
}

// TestCapabilitiesImportNoCaddyAuditLogOrPgx holds every capability
// package (everything that is not an adapter, the audit log itself, doctor
// or a test harness) to the net/http level: no Caddy, no audit-log
// package, no database driver, directly or through another package.
func TestCapabilitiesImportNoCaddyAuditLogOrPgx(t *testing.T) {
	checked := 0
	for _, p := range listPackages(t) {
		r := rel(p.ImportPath)
		if adapter(r) || auditOrTool(r) || under(r, "internal/archtest") {
			continue
		}
		checked++
		seen := map[string]bool{}
		for _, d := range p.Deps {
			if what := forbidden(d); what != "" && !seen[what] {
				seen[what] = true
				t.Errorf("%s depends on %s (%s); capability packages stay at the net/http level and emit through secevent", r, what, d)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d capability packages checked; the adapter list is too wide", checked)
	}
}

// TestAuditLogImportsNoCaddy keeps the audit log's packages free of Caddy:
// caddymodule wires them, never the reverse.
func TestAuditLogImportsNoCaddy(t *testing.T) {
	for _, p := range listPackages(t) {
		r := rel(p.ImportPath)
		if !under(r, "auditlog") && !under(r, "doctor") {
			continue
		}
		for _, d := range p.Deps {
			if under(d, "github.com/caddyserver/caddy/v2") || under(d, module+"/caddymodule") {
				t.Errorf("%s depends on %s; only caddymodule links Caddy", r, d)
			}
		}
	}
}

// TestEventModelIsAtTheBottom keeps secevent free of every other package of
// the module and of anything outside the standard library.
func TestEventModelIsAtTheBottom(t *testing.T) {
	found := false
	for _, p := range listPackages(t) {
		if rel(p.ImportPath) != "secevent" {
			continue
		}
		found = true
		for _, d := range p.Deps {
			if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
				t.Errorf("secevent depends on %s; the event model imports only the standard library", d)
			}
		}
	}
	if !found {
		t.Fatal("package secevent not found")
	}
}

// auditLayers are the audit log's packages from the bottom up, with what
// each must not depend on: every package sees only those below it on the
// data flow (record, then chain, then pipeline and query, then the sinks,
// then setup, which alone knows every sink), and only the Postgres sink
// links pgx.
var auditLayers = []layer{
	{"auditlog/record", []string{"auditlog/chain", "auditlog/pipeline", "auditlog/query", "auditlog/sink", "auditlog/setup", "pgx"}},
	{"auditlog/chain", []string{"auditlog/pipeline", "auditlog/query", "auditlog/sink", "auditlog/setup", "pgx"}},
	{"auditlog/pipeline", []string{"auditlog/query", "auditlog/sink", "auditlog/setup", "pgx"}},
	{"auditlog/query", []string{"auditlog/pipeline", "auditlog/sink", "auditlog/setup", "pgx"}},
	{"auditlog/sink/jsonl", []string{"auditlog/pipeline", "auditlog/sink/postgres", "auditlog/sink/zapsink", "auditlog/setup", "pgx"}},
	{"auditlog/sink/zapsink", []string{"auditlog/pipeline", "auditlog/sink/postgres", "auditlog/sink/jsonl", "auditlog/setup", "pgx"}},
	{"auditlog/sink/postgres", []string{"auditlog/sink/jsonl", "auditlog/sink/zapsink", "auditlog/setup"}},
}

// TestAuditLogLayers holds the audit log's packages to their order along
// the data flow, as each one's doc comment states.
func TestAuditLogLayers(t *testing.T) {
	checkLayers(t, "auditLayers", auditLayers, func(dep, denied string) bool {
		if denied == "pgx" {
			return under(dep, "github.com/jackc/pgx/v5")
		}
		return under(dep, module+"/"+denied)
	})
}
