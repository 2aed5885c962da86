package doctor

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgresql://app:s3cret@db:5432/ocomms?sslmode=require":  "postgresql://app:xxxxx@db:5432/ocomms?sslmode=require",
		"rediss://:hunter22@redis:6380/0":                         "rediss://:xxxxx@redis:6380/0",
		"postgres://db/ocomms?user=app&password=s3cret":           "postgres://db/ocomms?password=xxxxx&user=app",
		"host=db user=app password='s3 cret' sslmode=verify-full": "host=db user=app password=xxxxx sslmode=verify-full",
		"host=db password=s3cret":                                 "host=db password=xxxxx",
		"redis://127.0.0.1:6379":                                  "redis://127.0.0.1:6379",
		"":                                                        "",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := RedactURL("postgres://a:b@%zz"); strings.Contains(got, "b@") {
		t.Errorf("unparsable URL leaked: %q", got)
	}
}

func TestScrub(t *testing.T) {
	err := errors.New(`connect postgres://app:s3cret@db failed: password "s3cret" wrong`)
	if got := scrub(err, "s3cret"); strings.Contains(got, "s3cret") {
		t.Fatalf("scrub left the secret: %q", got)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for h, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "[::1]": true, "db": false, "10.0.0.5": false, "app.localhost": true} {
		if got := isLoopbackHost(h); got != want {
			t.Errorf("isLoopbackHost(%q) = %v", h, got)
		}
	}
}
