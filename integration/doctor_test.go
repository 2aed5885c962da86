package integration

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestDoctorExitCodes runs `ocomms-caddy ocomms doctor` as operators and
// Docker's HEALTHCHECK do: exit 1 when a check fails, 0 when none does.
func TestDoctorExitCodes(t *testing.T) {
	skipInShort(t, "builds the binary")
	closed := "127.0.0.1:" + strconv.Itoa(testsupport.FreePort(t))

	out, err := ocommsCLI(t, "doctor", "--url", "https://"+closed, "--only", "tls", "--admin=")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "FAIL  tls chain") {
		t.Fatalf("closed port: err %v, output:\n%s", err, out)
	}

	// Headers only, against a server sending a strict set: exit 0.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=()")
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	out, err = ocommsCLI(t, "doctor", "--url", srv.URL, "--only", "headers", "--admin=")
	if err != nil || !strings.Contains(out, "OK: 2 passed") {
		t.Fatalf("strict server: err %v, output:\n%s", err, out)
	}
}
