package integration

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTwoEdgesOnOneAdminAddress starts two real edge processes given the
// same admin address. Caddy opens it with SO_REUSEPORT, so both start and
// the kernel hands each admin connection to one of them. The lockout CLI
// names the edge that answered (so "no lock" from the other one is
// recognisable), and doctor warns that the address is shared.
func TestTwoEdgesOnOneAdminAddress(t *testing.T) {
	skipInShort(t, "builds the binary")
	cfg, admin := guardConfig(t, startGuardUpstream(t), "memory", "", "")
	a := startEdgeProcess(t, cfg, guardProcessEnv)
	doctor := func() string {
		t.Helper()
		out, _ := ocommsCLI(t, "doctor", "--url", a.URL("/"), "--admin", admin, "--only", "admin")
		return out
	}
	if out := doctor(); !strings.Contains(out, "admin listeners") || strings.Contains(out, "several edges share") {
		t.Fatalf("doctor with one edge:\n%s", out)
	}
	b := startEdgeProcess(t, cfg, guardProcessEnv)
	lockDemoUser(t, a) // a lock in edge a's memory only

	idA := "/" + strconv.Itoa(a.cmd.Process.Pid) + "/"
	idB := "/" + strconv.Itoa(b.cmd.Process.Pid) + "/"
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for !(seen["a"] && seen["b"]) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s of lockout list never reached both edges: %v", seen)
		}
		s, err := ocommsCLI(t, "lockout", "list", "--address", admin)
		if err != nil {
			t.Fatalf("lockout list: %v\n%s", err, s)
		}
		switch {
		case strings.Contains(s, "answered by edge ") && strings.Contains(s, idA):
			if !strings.Contains(s, " 5 ") {
				t.Fatalf("edge a answered without its lock:\n%s", s)
			}
			seen["a"] = true
		case strings.Contains(s, "answered by edge ") && strings.Contains(s, idB):
			if !strings.Contains(s, "no accounts") {
				t.Fatalf("edge b answered with a lock it never saw:\n%s", s)
			}
			seen["b"] = true
		default:
			t.Fatalf("lockout list names no edge:\n%s", s)
		}
	}

	out := doctor()
	if !strings.Contains(out, "several edges share the admin address "+admin) || !strings.Contains(out, "2 sockets listen on it") ||
		!strings.Contains(out, "its own admin address") {
		t.Fatalf("doctor with two edges on %s:\n%s", admin, out)
	}
	t.Logf("doctor with two edges:\n%s", out)
}
