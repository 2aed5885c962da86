package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestReportNeverShowsSecrets runs every check against unreachable
// targets whose URLs carry passwords and reads both outputs.
func TestReportNeverShowsSecrets(t *testing.T) {
	port := closedPort(t)
	r, err := Run(context.Background(), Options{
		URL:            "https://127.0.0.1:" + port,
		HTTPURL:        "http://127.0.0.1:" + port,
		Admin:          "127.0.0.1:" + port,
		RedisURL:       "rediss://:redis-s3cret@127.0.0.1:" + port,
		PostgresURL:    "postgres://edge:pg-s3cret@127.0.0.1:" + port + "/audit?sslmode=verify-full",
		AppDatabaseURL: "postgresql://app:app-s3cret@127.0.0.1:" + port + "/ocomms?password=app-s3cret",
		Timeout:        2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		if strings.Contains(out, "s3cret") {
			t.Fatalf("secret in output:\n%s", out)
		}
	}
	if r.OK || r.ExitCode() != 1 || len(r.Failed()) == 0 {
		t.Fatalf("unreachable deployment passed: %+v", r.Summary)
	}
	var decoded struct {
		OK     bool             `json:"ok"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.OK || len(decoded.Checks) != len(r.Checks) || len(decoded.Checks) < 13 {
		t.Fatalf("JSON: ok=%v with %d checks", decoded.OK, len(decoded.Checks))
	}
	if !strings.Contains(text.String(), "fix: ") || !strings.Contains(text.String(), "FAILED:") {
		t.Fatalf("text output lacks fixes or verdict:\n%s", text.String())
	}
}

func TestRunNeedsURL(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Fatal("no URL accepted")
	}
	if _, err := Run(context.Background(), Options{URL: "ftp://x"}); err == nil {
		t.Fatal("ftp URL accepted")
	}
}
