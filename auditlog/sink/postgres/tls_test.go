package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPostgresSinkUsesVerifiedTLS proves SEC-05 on a real server: the
// sink's own pooled connection reports TLS in pg_stat_ssl with
// sslmode=verify-full against the test CA (by IP and by name), a CA that
// did not sign the server's certificate is refused, and the same check
// reads false on a plaintext loopback connection (so it can fail).
func TestPostgresSinkUsesVerifiedTLS(t *testing.T) {
	srv := startPGServer(t, "tls")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sslOf := func(s *PostgresSink) (bool, string) {
		t.Helper()
		var (
			ssl     bool
			version string
		)
		err := s.pool.QueryRow(ctx, `SELECT ssl, coalesce(version, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl, &version)
		if err != nil {
			t.Fatalf("pg_stat_ssl: %v", err)
		}
		return ssl, version
	}

	for _, host := range []string{"127.0.0.1", "localhost"} {
		url := strings.Replace(srv.URL("tls"), "127.0.0.1", host, 1)
		s := pgNewSink(t, url, pgT0)
		if err := s.Write(ctx, pgTestChain("tls", 1, 10, [32]byte{}, pgT0)); err != nil {
			t.Fatalf("%s: write over TLS: %v", host, err)
		}
		ssl, version := sslOf(s)
		if !ssl || !strings.HasPrefix(version, "TLSv1.") || version < "TLSv1.2" {
			t.Fatalf("%s: pg_stat_ssl ssl=%v version=%q; want TLS ≥ 1.2", host, ssl, version)
		}
		t.Logf("%s: ssl=%v %s", host, ssl, version)
	}

	wrong := pgNewSink(t, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/tls?sslmode=verify-full&sslrootcert=%s", srv.Port, srv.OtherCAFile), pgT0)
	err := wrong.Write(ctx, pgTestChain("tls", 11, 1, [32]byte{}, pgT0))
	if err == nil {
		t.Fatal("verify-full with a CA that did not sign the server succeeded")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("wrong CA failed for another reason: %v", err)
	}

	plain := pgNewSink(t, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/tls?sslmode=disable", srv.Port), pgT0)
	if ssl, _ := sslOf(plain); ssl {
		t.Fatal("pg_stat_ssl says TLS on an sslmode=disable connection: the check proves nothing")
	}
}
