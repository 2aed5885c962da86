package integration

import (
	"context"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/sink/postgres"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// clusterDatabase creates a database of the test's own on the shared
// PostgreSQL (loopback, so plaintext is allowed) and drops it at the end.
func clusterDatabase(t *testing.T) string {
	return testsupport.TempDatabase(t, "cluster")
}

// auditCounts is the number of stored events per instance and action.
type auditCounts map[string]map[secevent.Action]int

func (a auditCounts) add(inst string, act secevent.Action, n int) {
	if a[inst] == nil {
		a[inst] = map[secevent.Action]int{}
	}
	a[inst][act] += n
}

// pgCounts counts the cluster's audit rows in PostgreSQL (none yet when
// the table does not exist).
func (c *cluster) pgCounts(t *testing.T) auditCounts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.PGURL)
	if err != nil {
		t.Fatalf("connecting to the audit database: %v", err)
	}
	defer conn.Close(ctx)
	out := auditCounts{}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('audit_events') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return out
	}
	rows, err := conn.Query(ctx, "SELECT instance, action, count(*) FROM audit_events GROUP BY instance, action")
	if err != nil {
		t.Fatalf("counting audit rows: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var inst, act string
		var n int
		if err := rows.Scan(&inst, &act, &n); err != nil {
			t.Fatal(err)
		}
		out.add(inst, secevent.Action(act), n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonlCounts counts the events each instance wrote to its own files.
func (c *cluster) jsonlCounts(t *testing.T) auditCounts {
	t.Helper()
	out := auditCounts{}
	for _, n := range c.Nodes {
		for _, e := range audittest.ReadAuditEvents(t, n.AuditDir) {
			out.add(e.Instance, e.Action, 1)
		}
	}
	return out
}

// waitAuditCount waits until count() reports at least want events of act
// for every instance of the cluster.
func (c *cluster) waitAuditCount(t *testing.T, what string, count func(*testing.T) auditCounts, act secevent.Action, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		got := count(t)
		ok := true
		for inst, n := range want {
			if got[inst][act] < n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s per instance %v, want %v", what, act, perInstance(got, act), want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// perInstance is one action's counts by instance.
func perInstance(a auditCounts, act secevent.Action) map[string]int {
	out := map[string]int{}
	for inst, m := range a {
		if m[act] > 0 {
			out[inst] = m[act]
		}
	}
	return out
}

// stopAll stops every instance with SIGTERM (a clean shutdown flushes
// and checkpoints its audit pipeline) and waits for it.
func (c *cluster) stopAll(t *testing.T) {
	t.Helper()
	for _, n := range c.Nodes {
		if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("stopping %s: %v", n.Name, err)
		}
	}
	for _, n := range c.Nodes {
		done := make(chan struct{})
		go func() { _, _ = n.cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop on SIGTERM", n.Name)
		}
	}
}

// publicKey writes n's checkpoint verification key to a file with
// `ocomms audit public-key` and returns its path and the key.
func (n *instance) publicKey(t *testing.T) (string, []byte) {
	t.Helper()
	out, err := exec.Command(edgeBinary(t), "ocomms", "audit", "public-key",
		"--signing-key-file", filepath.Join(n.AuditDir, "checkpoint.key")).Output()
	if err != nil {
		t.Fatalf("public-key of %s: %v", n.Name, err)
	}
	path := filepath.Join(t.TempDir(), n.Name+".pub")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, out
}

// verifyAudit checks every instance's chain after the cluster stopped:
// its JSONL files with `ocomms audit verify` and its own key; its chain in
// the shared PostgreSQL with chain.VerifyTrusted and that key alone;
// and the whole database with `ocomms audit verify --postgres` and every
// instance's key bound to its chain, as an operator checks it. One key
// for the whole database must not pass.
func (c *cluster) verifyAudit(t *testing.T) {
	t.Helper()
	var pg *postgres.PostgresSink
	if c.PGURL != "" {
		var err error
		pg, err = postgres.NewPostgresSink(context.Background(), postgres.PostgresConfig{URL: c.PGURL, RetentionDays: -1})
		if err != nil {
			t.Fatalf("opening the audit database: %v", err)
		}
		defer pg.Close()
	}
	var bound []string
	for _, n := range c.Nodes {
		pubFile, pemKey := n.publicKey(t)
		bound = append(bound, "--public-key", n.Name+"="+pubFile)
		out, err := ocommsCLI(t, "audit", "verify", "--jsonl", n.AuditDir, "--public-key", pubFile, "--anchor", n.log)
		if err != nil || !strings.HasPrefix(out, "OK: ") {
			t.Fatalf("verify of %s's JSONL chain: %v\n%s", n.Name, err, out)
		}
		if pg == nil {
			continue
		}
		pub, err := chain.ParsePublicKey(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		keys := chain.TrustedKeys{ByInstance: map[string][]ed25519.PublicKey{n.Name: {pub}}, Only: []string{n.Name}}
		rep, err := chain.VerifyTrusted(context.Background(), pg, keys)
		if err != nil {
			t.Fatalf("verifying %s's chain in PostgreSQL: %v", n.Name, err)
		}
		if !rep.OK() || len(rep.Instances) != 1 || rep.Instances[0].Records == 0 || rep.Instances[0].Checkpoints == 0 ||
			rep.Instances[0].Anchored != rep.Instances[0].Last {
			t.Fatalf("%s's chain in PostgreSQL: %+v", n.Name, rep)
		}
	}
	if pg == nil || len(c.Nodes) < 2 {
		return
	}
	out, err := ocommsCLI(t, append([]string{"audit", "verify", "--postgres", c.PGURL}, bound...)...)
	if err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify --postgres with every instance's key: %v\n%s", err, out)
	}
	if out, err := ocommsCLI(t, "audit", "verify", "--postgres", c.PGURL, "--public-key", strings.SplitN(bound[1], "=", 2)[1]); err == nil {
		t.Fatalf("verify --postgres with one instance's key passed a database of %d chains:\n%s", len(c.Nodes), out)
	}
}

// checkAuditOnce waits until both stores hold want (events of each action
// per instance), stops every instance, checks that each store holds exactly
// want (every event stored once) and verifies the logs.
func (c *cluster) checkAuditOnce(t *testing.T, want map[secevent.Action]map[string]int) {
	t.Helper()
	for act, per := range want {
		c.waitAuditCount(t, "PostgreSQL", c.pgCounts, act, per)
		c.waitAuditCount(t, "JSONL", c.jsonlCounts, act, per)
	}
	c.stopAll(t)
	for store, counts := range map[string]auditCounts{"PostgreSQL": c.pgCounts(t), "JSONL": c.jsonlCounts(t)} {
		for act, per := range want {
			if got := perInstance(counts, act); !reflect.DeepEqual(got, per) {
				t.Errorf("%s: %s per instance %v, want exactly %v", store, act, got, per)
			}
		}
	}
	c.verifyAudit(t)
}
