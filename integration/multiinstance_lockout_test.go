package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Several instances as one edge (issue 5): that a rate-limit zone is exact
// across three instances on one Redis is TestThreeInstancesShareOneExactLimit
// (1,000 concurrent sign-ins over 3 processes, exactly 5 admitted);
// TestMultiInstanceReloadMidLoad adds that the count stays exact across a
// reload. This test proves the lockout state and the device-cookie key are
// one across instances, and that each instance's audit chain (its own
// JSONL files, and its rows in the shared PostgreSQL) holds exactly its
// events and verifies.
func TestMultiInstanceLockAndDeviceCookie(t *testing.T) {
	c := startMultiCluster(t, clusterOptions{Postgres: true}, "edge-a", "edge-b", "edge-c")
	a, b, cc := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	const email = demoupstream.DemoEmail
	const password = demoupstream.DefaultPassword
	isLocked := func(r signInReply) bool {
		return r.Status == http.StatusTooManyRequests && strings.Contains(r.Body, "ACCOUNT_TEMPORARILY_LOCKED")
	}

	// The victim signs in through A: A issues its device cookie.
	ok := a.mustSignIn(t, email, password, nil)
	device := responseCookie(ok.Header, "__Host-ocomms-device")
	if ok.Status != http.StatusOK || device == nil {
		t.Fatalf("sign-in through A: %d %s, device cookie %v", ok.Status, ok.Body, device)
	}

	// 2. Five wrong passwords through A lock the account on B and C too:
	// the right password is refused there and nothing reaches the app.
	for i := 0; i < 5; i++ {
		if r := a.mustSignIn(t, email, "wrong password", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d through A: %d %s", i+1, r.Status, r.Body)
		}
	}
	hits := c.App.signIn.Load()
	for _, n := range []*instance{b, cc, a} {
		if r := n.mustSignIn(t, email, password, nil); !isLocked(r) {
			t.Fatalf("after 5 failures through A, the right password through %s: %d %s, want 429 ACCOUNT_TEMPORARILY_LOCKED", n.Name, r.Status, r.Body)
		}
	}
	if got := c.App.signIn.Load() - hits; got != 0 {
		t.Fatalf("%d sign-ins of the locked account reached the app", got)
	}

	// An unlock through B's admin API clears it for C.
	body, _ := json.Marshal(map[string]string{"email": email})
	if status, raw := b.adminPost(t, "/ocomms/lockouts/unlock", "application/json", body); status != http.StatusOK {
		t.Fatalf("unlock through B: %d %s", status, raw)
	}
	if r := cc.mustSignIn(t, email, password, nil); r.Status != http.StatusOK {
		t.Fatalf("after the unlock through B, sign-in through C: %d %s", r.Status, r.Body)
	}

	// 3. An attacker locks the account through C; the victim's browser,
	// holding A's device cookie, still signs in through B (and C), while
	// a browser without it is refused on every instance.
	for i := 0; i < 5; i++ {
		if r := cc.mustSignIn(t, email, "an attacker's guess", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("attacker's guess %d through C: %d %s", i+1, r.Status, r.Body)
		}
	}
	hits = c.App.signIn.Load()
	for _, n := range c.Nodes {
		if r := n.mustSignIn(t, email, password, nil); !isLocked(r) {
			t.Fatalf("locked through C, a browser without a device cookie through %s: %d %s", n.Name, r.Status, r.Body)
		}
	}
	if got := c.App.signIn.Load() - hits; got != 0 {
		t.Fatalf("%d sign-ins of the locked account reached the app", got)
	}
	for _, n := range []*instance{b, cc} {
		r := n.mustSignIn(t, email, password, device)
		if r.Status != http.StatusOK {
			t.Fatalf("locked through C, the victim with A's device cookie through %s: %d %s, want 200", n.Name, r.Status, r.Body)
		}
		if c.App.signIn.Load() != hits+1 {
			t.Fatalf("the victim's sign-in through %s did not reach the app once (%d)", n.Name, c.App.signIn.Load()-hits)
		}
		hits++
	}
	// The cookie is honoured because B and C share A's key, not because
	// any cookie is: the same cookie with one MAC character changed is not.
	forged := *device
	mac := []byte(device.Value)
	if mac[40] == 'A' {
		mac[40] = 'B'
	} else {
		mac[40] = 'A'
	}
	forged.Value = string(mac)
	if r := b.mustSignIn(t, email, password, &forged); !isLocked(r) {
		t.Fatalf("a forged device cookie through B: %d %s, want the lock", r.Status, r.Body)
	}

	// 4. Every instance recorded its own part, in its own JSONL chain and
	// in the shared PostgreSQL, exactly once; each chain verifies; and a
	// query of the shared store sees all three instances.
	want := map[secevent.Action]map[string]int{
		secevent.ActionSignInSucceeded: {"edge-a": 1, "edge-b": 1, "edge-c": 2},
		secevent.ActionSignInFailed:    {"edge-a": 5, "edge-c": 5},
		secevent.ActionSignInRefused:   {"edge-a": 2, "edge-b": 3, "edge-c": 2},
		secevent.ActionAccountLocked:   {"edge-a": 1, "edge-c": 1},
	}
	c.checkAuditOnce(t, want)
	out, err := ocommsCLI(t, "audit", "query", "--postgres", c.PGURL, "--type", "sign_in_succeeded", "--json")
	if err != nil {
		t.Fatalf("query --postgres: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		if !strings.Contains(out, `"`+n.Name+`"`) {
			t.Errorf("query of the shared store has no sign-in of %s:\n%s", n.Name, out)
		}
	}
}
