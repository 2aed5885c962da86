package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// appResults runs the app database checks and indexes them by name.
func appResults(t *testing.T, opts Options) map[string]Result {
	t.Helper()
	out := map[string]Result{}
	for _, r := range checkAppDatabase(context.Background(), opts.withDefaults()) {
		out[r.Name] = r
	}
	return out
}

// TestAppDatabaseTLSOnlyServer: a server whose pg_hba.conf has only
// hostssl lines passes SEC-05 for the app; adding a plain host line makes
// the plaintext probe fail, without the probe sending the password.
func TestAppDatabaseTLSOnlyServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := startTLSPostgres(t, "hostssl all all 127.0.0.1/32 scram-sha-256")
	opts := Options{AppDatabaseURL: pg.URL("sslmode=verify-full"), RootCAs: pg.CA.Pool}
	res := appResults(t, opts)
	for _, name := range []string{"app db url", "app db server tls", "app db plaintext refused"} {
		if r := res[name]; r.Status != Pass {
			t.Errorf("%s: %s %q", name, r.Status, r.Detail)
		}
		if strings.Contains(res[name].Detail, pg.Password) {
			t.Fatalf("password shown in %s", name)
		}
	}
	if d := res["app db server tls"].Detail; !strings.Contains(d, "certificate verified for localhost") {
		t.Errorf("server tls detail: %q", d)
	}
	if d := res["app db plaintext refused"].Detail; !strings.Contains(d, "no encryption") {
		t.Errorf("plaintext detail: %q", d)
	}

	// The edge's own PostgreSQL check, verify-full against the test CA.
	edge := checkPostgres(context.Background(), Options{PostgresURL: pg.URL("sslmode=verify-full"), RootCAs: pg.CA.Pool}.withDefaults())
	if edge.Status != Pass || !strings.Contains(edge.Detail, "certificate verified") {
		t.Errorf("edge postgres: %s %q", edge.Status, edge.Detail)
	}
	// Without the CA, verify-full cannot connect and says how to fix it.
	edge = checkPostgres(context.Background(), Options{PostgresURL: pg.URL("sslmode=verify-full")}.withDefaults())
	if edge.Status != Fail || !strings.Contains(edge.Fix, "sslrootcert") {
		t.Errorf("edge postgres without CA: %s %q fix %q", edge.Status, edge.Detail, edge.Fix)
	}

	pg.SetHBA(t, true, "hostssl all all 127.0.0.1/32 scram-sha-256", "host all all 127.0.0.1/32 scram-sha-256")
	// The postmaster rereads pg_hba.conf asynchronously after the reload.
	var r Result
	eventually(t, func() bool { r = appResults(t, opts)["app db plaintext refused"]; return r.Status != Pass })
	if r.Status != Fail || !strings.Contains(r.Detail, "asked for its password") || !strings.Contains(r.Fix, "hostnossl") {
		t.Fatalf("with a host line: %s %q fix %q", r.Status, r.Detail, r.Fix)
	}
}

// TestAppDatabaseServerWithoutTLS: TLS required against a server that
// has ssl=off is a failure with the server-side fix.
func TestAppDatabaseServerWithoutTLSFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := startTLSPostgres(t, "host all all 127.0.0.1/32 scram-sha-256")
	conn, err := pgx.Connect(context.Background(), pg.URL("sslmode=require"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), "ALTER SYSTEM SET ssl = off"); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	pg.run(t, "pg_ctl", "reload", "-D", pg.data)
	var r Result
	eventually(t, func() bool {
		r = appResults(t, Options{AppDatabaseURL: pg.URL("")})["app db server tls"]
		return r.Status != Pass
	})
	if r.Status != Fail || !strings.Contains(r.Fix, "ssl = on") {
		t.Fatalf("got %s %q fix %q", r.Status, r.Detail, r.Fix)
	}
}

// eventually polls cond for up to 15 s (server reloads are asynchronous).
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
}
