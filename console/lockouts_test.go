package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

func TestLockoutsListAndEmailMatch(t *testing.T) {
	tc := newTestConsole(t, admin)
	alice, bob := fakeKey("alice@ocomms.test"), fakeKey("bob@ocomms.test")
	tc.lock.entries[alice] = Lockout{Key: alice, Failures: 5, LockedUntil: testNow.Add(10 * time.Minute), LastFailure: testNow}
	tc.lock.entries[bob] = Lockout{Key: bob, Failures: 2}
	var got struct {
		Lockouts []lockoutView `json:"lockouts"`
		TypedKey string        `json:"typed_key"`
	}
	w := tc.get(t, "/ocomms/console/api/lockouts")
	decode(t, w, &got)
	if len(got.Lockouts) != 2 || got.Lockouts[0].Key != alice || !got.Lockouts[0].Locked || got.Lockouts[1].Locked || got.Lockouts[1].Failures != 2 {
		t.Fatalf("list: %+v", got)
	}
	if strings.Contains(w.Body.String(), "@") {
		t.Errorf("an email reached the page: %s", w.Body)
	}
	got.Lockouts = nil
	decode(t, tc.get(t, "/ocomms/console/api/lockouts?email="+url.QueryEscape(" Bob@OComms.test ")), &got)
	if len(got.Lockouts) != 1 || got.Lockouts[0].Key != bob || got.TypedKey != bob {
		t.Fatalf("typed email: %+v", got)
	}
	tc.lock.fail = true
	if w := tc.get(t, "/ocomms/console/api/lockouts"); w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "store down") {
		t.Errorf("store down: %d %s", w.Code, w.Body)
	}
}

func (tc *testConsole) post(t *testing.T, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://edge.test/ocomms/console/api/unlock", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "https://edge.test")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	tc.h.ServeHTTP(w, r)
	return w
}

// Unlock takes only a same-origin JSON POST that repeats the account in
// confirm, and records an admin action naming the operator.
func TestUnlock(t *testing.T) {
	tc := newTestConsole(t, admin)
	alice := fakeKey("alice@ocomms.test")
	tc.lock.entries[alice] = Lockout{Key: alice, Failures: 5}
	good := `{"key":"` + alice + `","confirm":"` + alice + `"}`
	for _, tt := range []struct {
		name   string
		body   string
		hdr    []string
		status int
	}{
		{"no origin", good, []string{"Origin", ""}, http.StatusForbidden},
		{"foreign origin", good, []string{"Origin", "https://evil.test"}, http.StatusForbidden},
		{"other scheme", good, []string{"Origin", "http://edge.test"}, http.StatusForbidden},
		{"other port", good, []string{"Origin", "https://edge.test:8443"}, http.StatusForbidden},
		{"null origin", good, []string{"Origin", "null"}, http.StatusForbidden},
		{"form post", good, []string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"text post", good, []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
		{"not confirmed", `{"key":"` + alice + `"}`, nil, http.StatusBadRequest},
		{"confirm differs", `{"key":"` + alice + `","confirm":"x"}`, nil, http.StatusBadRequest},
		{"both", `{"key":"` + alice + `","email":"a@b","confirm":"` + alice + `"}`, nil, http.StatusBadRequest},
		{"unknown field", `{"key":"` + alice + `","confirm":"` + alice + `","x":1}`, nil, http.StatusBadRequest},
		{"bad key", `{"key":"ZZ","confirm":"ZZ"}`, nil, http.StatusBadRequest},
	} {
		if w := tc.post(t, tt.body, tt.hdr...); w.Code != tt.status {
			t.Errorf("%s: %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
		}
	}
	if w := tc.get(t, "/ocomms/console/api/unlock"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET unlock: %d", w.Code)
	}
	if len(tc.lock.unlocked) != 0 || len(tc.emit.All()) != 0 {
		t.Fatalf("a refused unlock acted: %v %v", tc.lock.unlocked, tc.emit.All())
	}

	w := tc.post(t, good)
	var res struct {
		Unlocked bool   `json:"unlocked"`
		Key      string `json:"key"`
	}
	decode(t, w, &res)
	if w.Code != 200 || !res.Unlocked || res.Key != alice || len(tc.lock.unlocked) != 1 {
		t.Fatalf("unlock: %d %+v %v", w.Code, res, tc.lock.unlocked)
	}
	evs := tc.emit.All()
	if len(evs) != 1 {
		t.Fatalf("events: %+v", evs)
	}
	e := evs[0]
	if e.Action != secevent.ActionAdmin || e.Outcome != secevent.OutcomeSuccess || e.UserID != "u1" || e.UserEmail != "root@ocomms.test" ||
		e.TargetUser != alice || e.SourceIP != "198.51.100.7" || e.Labels["operation"] != "unlock" || e.Labels["via"] != "console" || e.Labels["had_state"] != "true" {
		t.Errorf("audit event: %+v", e)
	}

	// By a typed email: unlocked by its hash; the audit event names it.
	w = tc.post(t, `{"email":"Bob@OComms.test","confirm":"Bob@OComms.test"}`)
	decode(t, w, &res)
	if w.Code != 200 || res.Unlocked || res.Key != fakeKey("bob@ocomms.test") {
		t.Fatalf("by email: %d %+v", w.Code, res)
	}
	if e := tc.emit.All()[1]; e.TargetEmail != "bob@ocomms.test" || e.Labels["had_state"] != "false" {
		t.Errorf("by email event: %+v", e)
	}

	// A store failure is reported, recorded as a failed admin action.
	tc.lock.fail = true
	if w := tc.post(t, good); w.Code != http.StatusServiceUnavailable {
		t.Errorf("store down: %d", w.Code)
	}
	if e := tc.emit.All()[2]; e.Outcome != secevent.OutcomeFailure {
		t.Errorf("failed unlock event: %+v", e)
	}
}

// The list carries each account's device-cookie state under its JSON
// names; an account whose only trouble is a locked device is listed.
func TestLockoutsDeviceState(t *testing.T) {
	tc := newTestConsole(t, admin)
	alice, bob := fakeKey("alice@ocomms.test"), fakeKey("bob@ocomms.test")
	tc.lock.entries[alice] = Lockout{Key: alice, Failures: 5, LockedUntil: testNow.Add(10 * time.Minute), Devices: 2, DevicesLocked: 1}
	tc.lock.entries[bob] = Lockout{Key: bob, Devices: 3, DevicesLocked: 1, DevicesDistrusted: 2}
	var got struct {
		Lockouts []map[string]any `json:"lockouts"`
	}
	decode(t, tc.get(t, "/ocomms/console/api/lockouts"), &got)
	if len(got.Lockouts) != 2 {
		t.Fatalf("list: %+v", got)
	}
	a, b := got.Lockouts[0], got.Lockouts[1]
	if a["key"] != alice || a["devices"] != 2.0 || a["devices_locked"] != 1.0 || a["devices_distrusted"] != 0.0 {
		t.Fatalf("alice: %+v", a)
	}
	if b["key"] != bob || b["locked"] != false || b["devices"] != 3.0 || b["devices_locked"] != 1.0 || b["devices_distrusted"] != 2.0 {
		t.Fatalf("bob: %+v", b)
	}
}
