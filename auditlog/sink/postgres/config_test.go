package postgres

import (
	"context"
	"strings"
	"testing"
)

// TestPostgresTLSPolicy checks SEC-05 at configuration time: no network is
// needed to refuse, and nothing is dialled to accept.
func TestPostgresTLSPolicy(t *testing.T) {
	t.Setenv("PGSSLMODE", "")
	t.Setenv("PGHOST", "")
	cases := []struct {
		name  string
		url   string
		cfg   PostgresConfig
		allow bool
	}{
		{"verify-full remote", "postgres://u@db.example.com/audit?sslmode=verify-full", PostgresConfig{}, true},
		{"verify-full system roots", "postgres://u@db.example.com/audit?sslmode=verify-full&sslrootcert=system", PostgresConfig{}, true},
		{"default prefer remote", "postgres://u@db.example.com/audit", PostgresConfig{}, false},
		{"prefer remote", "postgres://u@db.example.com/audit?sslmode=prefer", PostgresConfig{}, false},
		{"allow remote", "postgres://u@db.example.com/audit?sslmode=allow", PostgresConfig{}, false},
		{"disable remote", "postgres://u@db.example.com/audit?sslmode=disable", PostgresConfig{}, false},
		{"require remote", "postgres://u@db.example.com/audit?sslmode=require", PostgresConfig{}, false},
		{"verify-ca remote", "postgres://u@10.0.0.5/audit?sslmode=verify-ca", PostgresConfig{}, false},
		{"dsn disable remote", "host=db.example.com user=u dbname=audit sslmode=disable", PostgresConfig{}, false},
		{"dsn verify-full remote", "host=db.example.com user=u dbname=audit sslmode=verify-full", PostgresConfig{}, true},
		{"second host plaintext", "postgres://u@127.0.0.1,db.example.com/audit?sslmode=disable", PostgresConfig{}, false},
		{"require opt-out", "postgres://u@db.example.com/audit?sslmode=require", PostgresConfig{InsecureAllowUnverifiedTLS: true}, true},
		{"unverified opt-out is not plaintext", "postgres://u@db.example.com/audit?sslmode=disable", PostgresConfig{InsecureAllowUnverifiedTLS: true}, false},
		{"plaintext opt-out", "postgres://u@db.example.com/audit?sslmode=disable", PostgresConfig{InsecureAllowPlaintext: true}, true},
		{"loopback v4 disable", "postgres://u@127.0.0.1:5432/audit?sslmode=disable", PostgresConfig{}, true},
		{"loopback v6 prefer", "postgres://u@[::1]:5432/audit", PostgresConfig{}, true},
		{"localhost disable", "postgres://u@localhost/audit?sslmode=disable", PostgresConfig{}, true},
		{"unix socket", "host=/var/run/postgresql user=u dbname=audit sslmode=disable", PostgresConfig{}, true},
		{"name resolving anywhere is not loopback", "postgres://u@localhost.example.com/audit?sslmode=disable", PostgresConfig{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.URL = tc.url
			s, err := NewPostgresSink(context.Background(), cfg)
			if tc.allow {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("accepted; want refused")
			}
			if !strings.Contains(err.Error(), "verify-full") || !strings.Contains(err.Error(), "SEC-05") {
				t.Fatalf("refusal does not say what to do: %v", err)
			}
		})
	}
}

// TestPostgresEnvSSLModeIsPoliced proves the rule reads what pgx will do,
// not the URL text: PGSSLMODE=disable with a URL silent about sslmode.
func TestPostgresEnvSSLModeIsPoliced(t *testing.T) {
	t.Setenv("PGSSLMODE", "disable")
	if s, err := NewPostgresSink(context.Background(), PostgresConfig{URL: "postgres://u@db.example.com/audit"}); err == nil {
		s.Close()
		t.Fatal("PGSSLMODE=disable to a remote host was accepted")
	}
}

// TestPostgresSecretsNeverInErrors feeds URLs with passwords to every
// error path reachable without a network.
func TestPostgresSecretsNeverInErrors(t *testing.T) {
	const secret = "s3cr3t-PaSS"
	urls := []string{
		"postgres://audit:" + secret + "@db.example.com/audit?sslmode=disable",
		"postgres://audit:" + secret + "@db.example.com/audit?sslmode=bogus",
		"postgres://audit:" + secret + "@db.example.com:notaport/audit",
		"postgres://audit@db.example.com/audit?password=" + secret + "&sslmode=require",
		"host=db.example.com user=audit password=" + secret + " sslmode=disable",
		"host=db.example.com user=audit password=" + secret + " sslmode=nope",
		"postgres://audit:" + secret + "@db.example.com/audit?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
		"postgres://audit:" + secret + "@[::1/audit",
	}
	for _, u := range urls {
		_, err := NewPostgresSink(context.Background(), PostgresConfig{URL: u})
		if err == nil {
			t.Errorf("%q accepted", RedactPostgresURL(u))
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the password: %v", err)
		}
		if red := RedactPostgresURL(u); strings.Contains(red, secret) {
			t.Errorf("RedactPostgresURL leaks the password: %s", red)
		}
	}
}

// TestPostgresNoNetworkAtConstruction points the sink at a port nothing
// listens on: construction succeeds, the first write fails cleanly.
func TestPostgresNoNetworkAtConstruction(t *testing.T) {
	s, err := NewPostgresSink(context.Background(), PostgresConfig{URL: "postgres://u:pw@127.0.0.1:1/audit?sslmode=disable"})
	if err != nil {
		t.Fatalf("construction needed the network: %v", err)
	}
	defer s.Close()
	err = s.Write(context.Background(), pgTestChain("i", 1, 1, [32]byte{}, pgT0))
	if err == nil {
		t.Fatal("write to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "pw@") {
		t.Fatalf("error leaks the password: %v", err)
	}
}
