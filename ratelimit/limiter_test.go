package ratelimit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

func newLimiter(t *testing.T, clk *testsupport.Clock, zones ...Zone) (*Limiter, *MemoryStore) {
	t.Helper()
	s := NewMemoryStore(0, clk.UnixNano)
	l, err := New(Config{Zones: zones, ClientIP: func(r *http.Request) string { return r.Header.Get("Test-Client-IP") }}, s)
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

// peerIP is the tests' ClientIP: the TCP peer, as a plain net/http server
// with no proxy in front would pass it.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TestNewNeedsClientIP: the package never works a client address out
// itself, so a limiter without one is refused.
func TestNewNeedsClientIP(t *testing.T) {
	zones, _ := Preset("ocomms")
	if _, err := New(Config{Zones: zones}, NewMemoryStore(0, nil)); err == nil || !strings.Contains(err.Error(), "no ClientIP") {
		t.Fatalf("New without ClientIP: error %v, want one naming ClientIP", err)
	}
}

func mustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

func signIn(ip, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Test-Client-IP", ip)
	return r
}

func decide(t *testing.T, l *Limiter, r *http.Request) *Decision {
	t.Helper()
	d, err := l.Decide(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIPv6GroupedBySlash64AndIPv4MappedAsIPv4(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk, Zone{Name: "ip", Rate: mustRate("2/1m"), Key: []KeySource{{Kind: KeyClientIP}}})
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		if d := decide(t, l, signIn(ip, "")); !d.Allowed {
			t.Fatalf("%s denied", ip)
		}
	}
	if d := decide(t, l, signIn("2001:db8:1:2:abcd::1", "")); d.Allowed {
		t.Fatal("a third address of the same /64 was admitted: the /64 must share one budget")
	}
	if d := decide(t, l, signIn("2001:db8:1:3::1", "")); !d.Allowed {
		t.Fatal("another /64 was limited")
	}
	decide(t, l, signIn("192.0.2.7", ""))
	decide(t, l, signIn("::ffff:192.0.2.7", ""))
	if d := decide(t, l, signIn("192.0.2.7", "")); d.Allowed {
		t.Fatal("IPv4-mapped IPv6 did not share the IPv4 address's budget")
	}
}

func TestBodyKeyIsLowercasedAndBodyForwardedByteIdentical(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk, Zone{Name: "email", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyBody, Name: "email"}}})
	body := `{"email":"Alice@Example.TEST" , "password":"x"}`
	r := signIn("1.1.1.1", body)
	if d := decide(t, l, r); !d.Allowed {
		t.Fatal("first denied")
	}
	got, _ := io.ReadAll(r.Body)
	if string(got) != body {
		t.Fatalf("body changed: %q", got)
	}
	if d := decide(t, l, signIn("2.2.2.2", `{"email":"alice@example.test","password":"y"}`)); d.Allowed {
		t.Fatal("the same email in another case got a fresh budget")
	}
	form := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader("email=ALICE%40example.test&password=z"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if d := decide(t, l, form); d.Allowed {
		t.Fatal("a form body with the same email was not limited")
	}
}

// TestBodyKeyedZoneFailsClosed: a request a body-keyed zone matches is
// refused when its body lacks the key field or cannot be read one way;
// it is never let through uncounted.
func TestBodyKeyedZoneFailsClosed(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk, Zone{Name: "email", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyBody, Name: "email"}}})
	for _, tc := range []struct{ ct, body, code string }{
		{"application/json", `{"password":"no email"}`, "MISSING_FIELD"},
		{"application/json", `{"email":""}`, "MISSING_FIELD"},
		{"application/json", `{"email":{"a":"b"}}`, "MISSING_FIELD"},
		{"application/json", `{"email":"a@b.c","email":"d@e.f"}`, "AMBIGUOUS_BODY"},
		{"application/x-www-form-urlencoded, multipart/form-data; boundary=X", "--X--", "UNSUPPORTED_MEDIA_TYPE"},
		{"text/plain", `email=a@b.c`, "UNSUPPORTED_MEDIA_TYPE"},
		{"", `{"email":"a@b.c"}`, "UNSUPPORTED_MEDIA_TYPE"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/request-password-reset", strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		d := decide(t, l, r)
		if d.Allowed || d.Refusal == nil || d.Refusal.Code != tc.code {
			t.Errorf("%q %q: allowed %v refusal %v, want %s", tc.ct, tc.body, d.Allowed, d.Refusal, tc.code)
		}
	}
	// Nothing was charged: the first well-formed request is admitted.
	if d := decide(t, l, signIn("1.1.1.1", `{"email":"a@b.c"}`)); !d.Allowed {
		t.Fatal("refused requests used up the budget")
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk, Zone{Name: "email", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyBody, Name: "email"}}})
	body := `{"email":"a@b.c","pad":"` + strings.Repeat("x", DefaultMaxBody) + `"}`
	if d := decide(t, l, signIn("1.1.1.1", body)); d.Allowed || d.Refusal == nil || d.Refusal.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: allowed %v refusal %v, want 413", d.Allowed, d.Refusal)
	}
	// A zone that does not read bodies leaves even a large one alone.
	l, _ = newLimiter(t, clk, Zone{Name: "ip", Rate: mustRate("5/1m"), Key: []KeySource{{Kind: KeyClientIP}}})
	r := signIn("1.1.1.1", body)
	decide(t, l, r)
	got, _ := io.ReadAll(r.Body)
	if !bytes.Equal(got, []byte(body)) {
		t.Fatalf("body changed by an IP-keyed zone: %d bytes, want %d", len(got), len(body))
	}
}

func TestCountStatusRefundsOtherResponses(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk, Zone{Name: "fail", Rate: mustRate("2/15m"), Key: []KeySource{{Kind: KeyClientIP}}, CountStatus: []int{401}})
	for i := 0; i < 10; i++ {
		d := decide(t, l, signIn("1.1.1.1", ""))
		if !d.Allowed {
			t.Fatalf("successful sign-in %d was charged", i)
		}
		l.Finish(context.Background(), d, 200)
	}
	for i := 0; i < 2; i++ {
		d := decide(t, l, signIn("1.1.1.1", ""))
		l.Finish(context.Background(), d, 401)
	}
	if d := decide(t, l, signIn("1.1.1.1", "")); d.Allowed {
		t.Fatal("after two counted failures the zone still admits")
	}
}

func TestDeniedResponse(t *testing.T) {
	clk := testsupport.NewClockAt(time.Unix(0, 1e18))
	l, _ := newLimiter(t, clk,
		Zone{Name: "signin-ip", Rate: mustRate("1/15m"), Key: []KeySource{{Kind: KeyClientIP}}},
		Zone{Name: "api", Rate: mustRate("100/1m"), Key: []KeySource{{Kind: KeyClientIP}}})
	decide(t, l, signIn("1.1.1.1", ""))
	clk.Advance(500 * time.Millisecond)
	d := decide(t, l, signIn("1.1.1.1", ""))
	if d.Allowed {
		t.Fatal("second request admitted")
	}
	w := httptest.NewRecorder()
	d.WriteDenied(w)
	res := w.Result()
	// 15m interval, 0.5s elapsed: 899.5s, rounded up.
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "900" || res.Header.Get("X-Retry-After") != "900" {
		t.Fatalf("status %d Retry-After %q X-Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("X-Retry-After"))
	}
	var body struct {
		Code, Message, Error string
		RetryAfter           int64
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Code != "RATE_LIMITED" || body.Message == "" || body.Error != body.Message || body.RetryAfter != 900 {
		t.Fatalf("body %+v", body)
	}
	policy, err := parseSFList(res.Header.Get("RateLimit-Policy"))
	if err != nil {
		t.Fatalf("RateLimit-Policy %q: %v", res.Header.Get("RateLimit-Policy"), err)
	}
	state, err := parseSFList(res.Header.Get("RateLimit"))
	if err != nil {
		t.Fatalf("RateLimit %q: %v", res.Header.Get("RateLimit"), err)
	}
	if len(policy) != 2 || policy[0].name != "signin-ip" || policy[0].params["q"] != "1" || policy[0].params["w"] != "900" {
		t.Fatalf("policy %+v", policy)
	}
	if state[0].params["r"] != "0" || state[0].params["t"] != "900" || state[1].params["r"] != "99" {
		t.Fatalf("state %+v (the api zone was not charged, so it keeps 99)", state)
	}
	// A client waiting exactly Retry-After is admitted.
	clk.Advance(900 * time.Second)
	if d := decide(t, l, signIn("1.1.1.1", "")); !d.Allowed {
		t.Fatal("waiting exactly Retry-After was not enough")
	}
}

func TestBadZonesRefused(t *testing.T) {
	for _, tc := range []struct {
		zones []Zone
		want  string
	}{
		{[]Zone{{Name: "a", Rate: Rate{0, time.Minute}, Key: []KeySource{{Kind: KeyClientIP}}}}, "admits nothing"},
		{[]Zone{{Name: "a", Rate: mustRate("1/1m"), Burst: -1, Key: []KeySource{{Kind: KeyClientIP}}}}, "burst -1 is below 1"},
		{[]Zone{{Name: "a", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: "geo"}}}}, `unknown key source "geo"`},
		{[]Zone{{Name: "a", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyBody}}}}, "needs a name"},
		{[]Zone{{Name: "a", Rate: mustRate("1/1m")}}, "no key"},
		{[]Zone{{Name: "A b", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyClientIP}}}}, "zone name"},
		{[]Zone{{Name: "a", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyClientIP}}}, {Name: "a", Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyClientIP}}}}, "defined twice"},
	} {
		_, err := New(Config{Zones: tc.zones}, NewMemoryStore(0, nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.zones, err, tc.want)
		}
	}
}

// TestRouteMatchesPathsAsTheAppResolvesThem: dot segments, repeated and
// trailing slashes and case do not take a request out of its zone
// (better-auth resolves /api/auth/./sign-in/email to its sign-in endpoint).
func TestRouteMatchesPathsAsTheAppResolvesThem(t *testing.T) {
	m := MatchRoute([]string{http.MethodPost}, "/api/auth/sign-in/email", "/api/admin/*")
	for _, p := range []string{
		"/api/auth/sign-in/email", "/api/auth/./sign-in/email", "/api/auth/x/../sign-in/email",
		"/api/auth//sign-in/email", "/api/auth/sign-in/email/", "/API/Auth/Sign-In/Email",
		"/api/./admin/export", "/api/admin/../admin/export", "/./api/auth/sign-in/email/.",
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.URL.Path = p
		if ok, _ := m(r); !ok {
			t.Errorf("%s left the zone", p)
		}
	}
	for _, p := range []string{"/api/auth/sign-in/email2", "/api/auth/sign-in", "/api/adminx", "/api/auth/sign-in/email/.."} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.URL.Path = p
		if ok, _ := m(r); ok {
			t.Errorf("%s matched", p)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", nil)
	if n := testing.AllocsPerRun(100, func() { _, _ = m(r) }); n != 0 {
		t.Fatalf("%v allocations for a clean path, want 0", n)
	}
}

// TestDecideAllocatesNothing: the limiter's decision for a GET /api/health
// under the ocomms preset on the memory store (matching, the client-IP
// key, the decision), with the Decision released, allocates nothing.
func TestDecideAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	zones, _ := Preset("ocomms")
	l, err := New(Config{Zones: zones, ClientIP: peerIP, Hasher: NewHasher([]byte("secret"))}, NewMemoryStore(0, nil))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/health", nil)
	addrs := make([]string, 2000)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("192.0.%d.%d:1234", i/250, i%250)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		r.RemoteAddr = addrs[i%len(addrs)]
		i++
		d, err := l.Decide(nil, r)
		if err != nil || !d.Allowed || len(d.Zones) != 1 {
			t.Fatal(d, err)
		}
		d.Release()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decision, want 0", allocs)
	}
}
