package auditmod

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestAuditSettingsDefaultsAndPlaceholders(t *testing.T) {
	t.Setenv("OCOMMS_AUDIT_FILE", "/srv/audit")
	t.Setenv("OCOMMS_POSTGRES_URL", "postgres://edge:s3cret@db.internal/audit?sslmode=verify-full")
	repl := caddy.NewReplacer()

	s, err := (*AuditConfig)(nil).resolve(repl)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(caddy.AppDataDir(), "ocomms-audit")
	if s.Dir != base || s.Spool != filepath.Join(base, "spool") || s.SigningKey != filepath.Join(base, "checkpoint.key") ||
		s.RetentionDays != 90 || s.LogFormat != "ecs" || s.PostgresURL != "" || s.JSONLOff || s.LogOff {
		t.Fatalf("defaults %+v", s)
	}

	s, err = (&AuditConfig{
		JSONL:    &AuditJSONLConfig{Dir: "{env.OCOMMS_AUDIT_FILE}", RetentionDays: -1},
		Postgres: &AuditPostgresConfig{URL: "{env.OCOMMS_POSTGRES_URL}"},
	}).resolve(repl)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != "/srv/audit" || s.Spool != "/srv/audit/spool" || s.SigningKey != "/srv/audit/checkpoint.key" ||
		s.RetentionDays != -1 || s.PGRetentionDays != 90 || !strings.Contains(s.PostgresURL, "db.internal") {
		t.Fatalf("placeholders %+v", s)
	}
	if strings.Contains(s.Key(), "s3cret") {
		t.Fatal("pool key holds the password")
	}
	// Unset variables: the embedded defaults, no Postgres.
	s, _ = (&AuditConfig{JSONL: &AuditJSONLConfig{Dir: "{env.OCOMMS_UNSET_X}"}, Postgres: &AuditPostgresConfig{URL: "{env.OCOMMS_UNSET_Y}"}}).resolve(repl)
	if s.Dir != base || s.PostgresURL != "" {
		t.Fatalf("unset variables %+v", s)
	}
	a, _ := (&AuditConfig{}).resolve(repl)
	b, _ := (&AuditConfig{FsyncInterval: caddy.Duration(50 * time.Millisecond)}).resolve(repl)
	if a.Key() == b.Key() || a.Chain() != b.Chain() {
		t.Fatal("changed settings must be a new pipeline on the same chain")
	}
	for _, c := range []*AuditConfig{
		{Instance: "bad name/with slash"},
		{LogFormat: "cef"},
		{CheckpointInterval: caddy.Duration(2 * time.Second)},
		{LogOff: true, JSONL: &AuditJSONLConfig{Off: true}},
	} {
		if _, err := c.resolve(repl); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if s, _ := (&AuditConfig{Disabled: true}).resolve(repl); !s.Disabled {
		t.Error("off")
	}
}
