package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

type testConsole struct {
	h    *Handler
	lock *fakeLockouts
	ev   *fakeEvents
	emit *testsupport.Events
}

func newTestConsole(t *testing.T, auth Authorizer) *testConsole {
	t.Helper()
	tc := &testConsole{lock: &fakeLockouts{entries: map[string]Lockout{}}, ev: &fakeEvents{}, emit: testsupport.NewEvents()}
	h, err := New(Config{
		Authorizer: auth, Lockouts: tc.lock, Events: tc.ev, Emitter: tc.emit,
		ClientIP: func(*http.Request) string { return "198.51.100.7" },
		Now:      func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	tc.h = h
	return tc
}

func (tc *testConsole) get(t *testing.T, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://edge.test"+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	tc.h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("status %d, body %q: %v", w.Code, w.Body, err)
	}
}

// Nobody but an admitted operator gets anything: the page, the assets
// and every API answer 403 JSON in the app's error shape, with no data.
func TestRefusedWithoutOperator(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"not signed in", errors.New("no session"), "signed-in admin"},
		{"not admin", ErrNotAdmin, "admins only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTestConsole(t, AuthorizerFunc(func(*http.Request) (Operator, error) { return Operator{}, tt.err }))
			tc.lock.entries[fakeKey("alice@ocomms.test")] = Lockout{Key: fakeKey("alice@ocomms.test"), Failures: 5}
			tc.ev.add(secevent.Event{Action: secevent.ActionSignInFailed, Time: testNow, UserEmail: "alice@ocomms.test", SourceIP: "203.0.113.9"})
			for _, p := range []string{"/ocomms/console/", "/ocomms/console/assets/console.js", "/ocomms/console/api/lockouts", "/ocomms/console/api/events", "/ocomms/console/api/series", "/ocomms/console/api/whoami"} {
				w := tc.get(t, p)
				var body struct{ Code, Message, Error string }
				decode(t, w, &body)
				if w.Code != http.StatusForbidden || body.Code != "FORBIDDEN" || body.Error != body.Message || !strings.Contains(body.Message, tt.msg) {
					t.Errorf("%s: %d %+v", p, w.Code, body)
				}
				if strings.Contains(w.Body.String(), "203.0.113.9") || strings.Contains(w.Body.String(), fakeKey("alice@ocomms.test")) {
					t.Errorf("%s leaked data: %s", p, w.Body)
				}
			}
			r := httptest.NewRequest(http.MethodPost, "https://edge.test/ocomms/console/api/unlock", strings.NewReader(`{"key":"`+fakeKey("alice@ocomms.test")+`","confirm":"`+fakeKey("alice@ocomms.test")+`"}`))
			r.Header.Set("Origin", "https://edge.test")
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden || len(tc.lock.unlocked) != 0 {
				t.Errorf("unlock: %d, unlocked %v", w.Code, tc.lock.unlocked)
			}
		})
	}
}

// The page carries the console's own strict CSP, and the site's nonce
// (from the CSP header ocomms_headers puts on the request) on its tags.
func TestPageAndAssets(t *testing.T) {
	tc := newTestConsole(t, admin)
	w := tc.get(t, "/ocomms/console/", "Content-Security-Policy", "script-src 'nonce-AbCdEfGhIjKlMnOpQrStUv' 'strict-dynamic'")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", w.Code, w.Header())
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	body := w.Body.String()
	if n := strings.Count(body, `nonce="AbCdEfGhIjKlMnOpQrStUv"`); n != 4 {
		t.Errorf("want the nonce on 4 tags, got %d:\n%s", n, body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("page has inline script, inline style or an external origin:\n%s", body)
	}
	if w := tc.get(t, "/ocomms/console/"); strings.Contains(w.Body.String(), "nonce=") {
		t.Errorf("no site nonce, yet the page has one")
	}
	for path, ct := range map[string]string{
		"/ocomms/console/assets/console.js":                     "text/javascript",
		"/ocomms/console/assets/console.css":                    "text/css",
		"/ocomms/console/assets/vendor/uplot/uPlot.iife.min.js": "text/javascript",
		"/ocomms/console/assets/vendor/uplot/uPlot.min.css":     "text/css",
	} {
		w := tc.get(t, path)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), ct) || w.Body.Len() < 100 {
			t.Errorf("%s: %d %q %d bytes", path, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
		}
	}
	for _, path := range []string{"/ocomms/console/assets/../handler.go", "/ocomms/console/assets/nope.js", "/ocomms/console/assets/index.html", "/ocomms/console/api/nope", "/ocomms/consolex"} {
		if w := tc.get(t, path); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, w.Code)
		}
	}
	if w := tc.get(t, "/ocomms/console"); w.Code != http.StatusFound || w.Header().Get("Location") != "/ocomms/console/" {
		t.Errorf("bare prefix: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("no authorizer accepted")
	}
	if _, err := New(Config{Authorizer: admin, Prefix: "console"}); err == nil {
		t.Error("relative prefix accepted")
	}
	h, err := New(Config{Authorizer: admin, Prefix: "/ops/console/"})
	if err != nil || h.Prefix() != "/ops/console" || !h.Owns("/ops/console/api/x") || h.Owns("/ops/consolex") || h.Owns("/ocomms/console/") {
		t.Errorf("prefix: %v %q", err, h.Prefix())
	}
}

// Without an audit store every API that reads events answers 503 NO_AUDIT;
// the charts and the CSP groups name a window of hour or day.
func TestAuditAPIsNeedAStoreAndAWindow(t *testing.T) {
	h, err := New(Config{Authorizer: admin, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	tc := &testConsole{h: h}
	for _, api := range []string{"events", "event?id=a1&at=" + testNow.Format(time.RFC3339Nano), "series", "csp?window=day"} {
		w := tc.get(t, "/ocomms/console/api/"+api)
		var b struct{ Code string }
		decode(t, w, &b)
		if w.Code != http.StatusServiceUnavailable || b.Code != "NO_AUDIT" {
			t.Errorf("%s without an audit store: %d %s", api, w.Code, b.Code)
		}
	}
	tc = newTestConsole(t, admin)
	for _, api := range []string{"series?window=week", "csp?window=week"} {
		w := tc.get(t, "/ocomms/console/api/"+api)
		var b struct{ Code string }
		decode(t, w, &b)
		if w.Code != http.StatusBadRequest || b.Code != "BAD_WINDOW" {
			t.Errorf("%s: %d %s", api, w.Code, b.Code)
		}
	}
	for _, api := range []string{"series", "csp?window=day"} {
		if w := tc.get(t, "/ocomms/console/api/"+api); w.Code != http.StatusOK {
			t.Errorf("%s: %d %s", api, w.Code, w.Body)
		}
	}
}
