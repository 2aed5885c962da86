package doctor

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// serveTLS serves leaf over HTTPS on loopback and returns the site for it,
// addressed as localhost.
func serveTLS(t *testing.T, leaf testsupport.Leaf) site {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.Pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s, err := parseSite(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tlsResults runs the TLS checks against a server serving leaf.
func tlsResults(t *testing.T, leaf testsupport.Leaf, roots *testsupport.CA) map[string]Result {
	t.Helper()
	opts := Options{}.withDefaults()
	if roots != nil {
		opts.RootCAs = roots.Pool
	}
	out := map[string]Result{}
	for _, r := range checkTLS(context.Background(), opts, serveTLS(t, leaf)) {
		out[r.Name] = r
	}
	return out
}

func TestCertificateChecksOverTLS(t *testing.T) {
	ca := testsupport.NewCA(t)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name                   string
		age, lifetime          time.Duration
		chain, expiry, renewal Status
		detail                 string
	}{
		{"fresh 90-day", 10 * day, 90 * day, Pass, Pass, Pass, "80 days left"},
		{"renewal window open", 62 * day, 90 * day, Pass, Pass, Pass, "due since"},
		{"near expiry: 10 days left", 80 * day, 90 * day, Pass, Warn, Warn, "10 days left"},
		{"about to expire: 2 days left", 88 * day, 90 * day, Pass, Fail, Warn, "2 days left"},
		{"expired", 91 * day, 90 * day, Fail, Fail, Warn, "expired"},
		{"healthy 6-day certificate with 3 days left", 3 * day, 6 * day, Pass, Pass, Pass, "3 days left"},
		{"12-hour certificate with 1 h left", 11 * time.Hour, 12 * time.Hour, Pass, Fail, Warn, "1.0 h left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tlsResults(t, ca.IssueFor(t, tc.age, tc.lifetime), ca)
			for name, want := range map[string]Status{"tls chain": tc.chain, "tls expiry": tc.expiry, "tls renewal": tc.renewal} {
				got := res[name]
				if got.Status != want {
					t.Errorf("%s: %s, want %s: %s", name, got.Status, want, got.Detail)
				}
				if got.Status != Pass && got.Fix == "" {
					t.Errorf("%s: no fix", name)
				}
			}
			all := res["tls expiry"].Detail + " | " + res["tls renewal"].Detail
			if !strings.Contains(all, tc.detail) {
				t.Errorf("details %q lack %q", all, tc.detail)
			}
		})
	}
}

func TestCertificateChainNeedsTheRoot(t *testing.T) {
	ca := testsupport.NewCA(t)
	leaf := ca.IssueFor(t, time.Hour, 90*24*time.Hour)
	res := tlsResults(t, leaf, nil) // system roots do not know the test CA
	chain := res["tls chain"]
	if chain.Status != Fail || !strings.Contains(chain.Fix, "--cacert") {
		t.Fatalf("unknown CA: %s %q fix %q", chain.Status, chain.Detail, chain.Fix)
	}
	other := testsupport.NewCA(t)
	if r := tlsResults(t, leaf, other)["tls chain"]; r.Status != Fail {
		t.Fatalf("wrong CA accepted: %s", r.Detail)
	}
	if r := tlsResults(t, leaf, ca)["tls chain"]; r.Status != Pass {
		t.Fatalf("right CA refused: %s", r.Detail)
	}
}

func TestThresholdsScaleWithLifetime(t *testing.T) {
	day := 24 * time.Hour
	for lifetime, want := range map[time.Duration][2]time.Duration{
		90 * day: {14 * day, 3 * day},
		6 * day:  {36 * time.Hour, time.Duration(float64(6*day) * 0.1)},
		45 * day: {time.Duration(float64(45*day) * 0.25), 3 * day},
	} {
		w, f := thresholds(lifetime)
		if w != want[0] || f != want[1] {
			t.Errorf("thresholds(%v) = %v, %v; want %v", lifetime, w, f, want)
		}
	}
}

func TestTLSCheckUnreachable(t *testing.T) {
	opts := Options{Timeout: 2 * time.Second}.withDefaults()
	s, _ := parseSite("https://localhost:1")
	res := checkTLS(context.Background(), opts, s)
	if len(res) != 1 || res[0].Status != Fail || res[0].Fix == "" {
		t.Fatalf("closed port: %+v", res)
	}
}
