package setup

import (
	"strings"
	"testing"
	"time"
)

func TestCheckRefusesAndNormalises(t *testing.T) {
	ok := Settings{Dir: "/d", Spool: "/d/spool", SigningKey: "/d/k"}
	if err := ok.Check(); err != nil || ok.LogFormat != "ecs" {
		t.Fatalf("plain settings: %v, log format %q", err, ok.LogFormat)
	}
	for _, tc := range []struct {
		mod  func(*Settings)
		want string
	}{
		{func(s *Settings) { s.Instance = "bad name/with slash" }, "instance"},
		{func(s *Settings) { s.LogFormat = "cef" }, "log_format"},
		{func(s *Settings) { s.QueueSize = -1 }, "negative"},
		{func(s *Settings) { s.CheckpointInterval = 2 * time.Second }, "checkpoints"},
		{func(s *Settings) { s.CheckpointEvery = 1 << 30 }, "checkpoints"},
		{func(s *Settings) { s.PGMaxConns = 1001 }, "max_conns"},
		{func(s *Settings) { s.LogOff, s.JSONLOff = true, true }, "no sink"},
	} {
		s := ok
		tc.mod(&s)
		if err := s.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", s, err, tc.want)
		}
	}
	off := Settings{Disabled: true, LogFormat: "cef"}
	if err := off.Check(); err != nil {
		t.Errorf("a disabled log is not checked: %v", err)
	}
}

func TestDaysAndSinks(t *testing.T) {
	if Days(0) != 90 || Days(-5) != -1 || Days(7) != 7 {
		t.Fatalf("days: %d %d %d", Days(0), Days(-5), Days(7))
	}
	s := Settings{PostgresURL: "postgres://x"}
	if got := strings.Join(s.Sinks(), ","); got != "zap,jsonl,postgres" {
		t.Fatalf("sinks %q", got)
	}
	s = Settings{LogOff: true}
	if got := strings.Join(s.Sinks(), ","); got != "jsonl" {
		t.Fatalf("sinks %q", got)
	}
}
