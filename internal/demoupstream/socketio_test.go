package demoupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// pollURL is the polling endpoint with an optional sid.
func pollURL(base, sid string) string {
	u := base + "/socket.io/?EIO=4&transport=polling"
	if sid != "" {
		u += "&sid=" + sid
	}
	return u
}

// do sends a request and returns status, headers and body; it fails the
// test on transport errors, so it must run on the test goroutine.
func do(t *testing.T, method, url, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	status, header, b, err := send(method, url, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	return status, header, b
}

// send is do without the test, for other goroutines.
func send(method, url, body string, headers map[string]string) (int, http.Header, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

// handshake opens an engine.io session and returns its sid.
func handshake(t *testing.T, base string) string {
	t.Helper()
	status, _, body := do(t, http.MethodGet, pollURL(base, ""), "", nil)
	var open struct{ Sid string }
	if status != http.StatusOK || !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &open) != nil || open.Sid == "" {
		t.Fatalf("handshake: %d %q", status, body)
	}
	return open.Sid
}

func TestEngineHandshakeMatchesFixture(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	rec := fixtures.MustLoad("app-socketio-polling-handshake").Response
	status, header, body := do(t, http.MethodGet, srv.URL+"/socket.io/?EIO=4&transport=polling", "", nil)
	if status != rec.Status {
		t.Fatalf("status %d, want %d", status, rec.Status)
	}
	for name, values := range rec.Headers {
		if got := header.Get(name); got != values[0] {
			t.Errorf("%s = %q, want %q", name, got, values[0])
		}
	}
	sid := regexp.MustCompile(`"sid":"[A-Za-z0-9_-]{20}"`)
	if got, want := sid.ReplaceAllString(body, "SID"), sid.ReplaceAllString(string(rec.BodyBytes()), "SID"); got != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if header.Get("X-Powered-By") != "" {
		t.Error("engine.io answers carry X-Powered-By")
	}
	if other := handshake(t, srv.URL); strings.Contains(body, other) {
		t.Error("two handshakes got the same sid")
	}
}

func TestEnginePollingFlow(t *testing.T) {
	srv := httptest.NewServer(New(Options{PollHold: 3 * time.Second}))
	defer srv.Close()
	sid := handshake(t, srv.URL)

	// A held poll is answered as soon as the connect packet is posted.
	type result struct {
		status int
		body   string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, _, b, _ := send(http.MethodGet, pollURL(srv.URL, sid), "", nil)
		done <- result{s, b}
	}()
	time.Sleep(50 * time.Millisecond)
	status, header, body := do(t, http.MethodPost, pollURL(srv.URL, sid), "40", map[string]string{"Content-Type": "text/plain;charset=UTF-8"})
	if status != http.StatusOK || body != "ok" || header.Get("Content-Type") != "text/html" {
		t.Fatalf("POST 40: %d %q %q", status, header.Get("Content-Type"), body)
	}
	select {
	case r := <-done:
		if r.status != http.StatusOK || !regexp.MustCompile(`^40\{"sid":"[A-Za-z0-9_-]{20}"\}$`).MatchString(r.body) {
			t.Errorf("poll after connect: %d %q", r.status, r.body)
		}
		if time.Since(start) > 2*time.Second {
			t.Error("held poll was not woken by the queued packet")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("held poll never answered")
	}

	// Queued packets are all delivered by the next poll, separated by \x1e.
	do(t, http.MethodPost, pollURL(srv.URL, sid), "40\x1e40/admin,", nil)
	_, _, body = do(t, http.MethodGet, pollURL(srv.URL, sid), "", nil)
	parts := strings.Split(body, "\x1e")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], `40{"sid":`) || parts[1] != `44/admin,{"message":"Invalid namespace"}` {
		t.Errorf("batched poll %q", body)
	}

	// "1" closes the session.
	do(t, http.MethodPost, pollURL(srv.URL, sid), "1", nil)
	if status, _, _ := do(t, http.MethodGet, pollURL(srv.URL, sid), "", nil); status != http.StatusBadRequest {
		t.Errorf("poll after close: %d", status)
	}
}

func TestEnginePollHoldAnswersNoop(t *testing.T) {
	srv := httptest.NewServer(New(Options{PollHold: 150 * time.Millisecond}))
	defer srv.Close()
	sid := handshake(t, srv.URL)
	start := time.Now()
	status, header, body := do(t, http.MethodGet, pollURL(srv.URL, sid), "", nil)
	if status != http.StatusOK || body != "6" || header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("idle poll: %d %q %q", status, header.Get("Content-Type"), body)
	}
	if waited := time.Since(start); waited < 140*time.Millisecond || waited > 2*time.Second {
		t.Errorf("idle poll held %v, want about 150ms", waited)
	}
}

func TestEngineOverlappingPollsCloseTheSession(t *testing.T) {
	srv := httptest.NewServer(New(Options{PollHold: 3 * time.Second}))
	defer srv.Close()
	sid := handshake(t, srv.URL)
	first := holdPoll(srv.URL, sid)
	if status, _, _ := do(t, http.MethodGet, pollURL(srv.URL, sid), "", nil); status != http.StatusInternalServerError {
		t.Errorf("overlapping poll: %d, want 500", status)
	}
	expectPollReleased(t, first, srv.URL, sid, "the overlapping poll")
}

func TestEngineErrors(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	tests := []struct {
		name, method, query, want string
	}{
		{"unknown sid GET", http.MethodGet, "EIO=4&transport=polling&sid=nope", `{"code":1,"message":"Session ID unknown"}`},
		{"unknown sid POST", http.MethodPost, "EIO=4&transport=polling&sid=nope", `{"code":1,"message":"Session ID unknown"}`},
		{"old protocol", http.MethodGet, "EIO=3&transport=polling", `{"code":5,"message":"Unsupported protocol version"}`},
		{"unknown transport", http.MethodGet, "EIO=4&transport=flash", `{"code":0,"message":"Transport unknown"}`},
		{"websocket not offered", http.MethodGet, "EIO=4&transport=websocket", `{"code":3,"message":"Bad request"}`},
		{"POST handshake", http.MethodPost, "EIO=4&transport=polling", `{"code":2,"message":"Bad handshake method"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, body := do(t, tt.method, srv.URL+"/socket.io/?"+tt.query, "", nil)
			if status != http.StatusBadRequest || body != tt.want || header.Get("Content-Type") != "application/json" {
				t.Errorf("%d %q %q, want 400 %q", status, header.Get("Content-Type"), body, tt.want)
			}
		})
	}
}

func TestEngineCORS(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	tests := []struct{ origin, want string }{
		{DefaultTrustedOrigin, DefaultTrustedOrigin},
		{srv.URL, srv.URL},
		{"https://evil.example", ""},
	}
	for _, tt := range tests {
		_, header, _ := do(t, http.MethodGet, pollURL(srv.URL, ""), "", map[string]string{"Origin": tt.origin})
		if got := header.Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("Origin %s: allow-origin %q, want %q", tt.origin, got, tt.want)
		}
		if header.Get("Access-Control-Allow-Credentials") != "true" || header.Get("Vary") != "Origin" {
			t.Errorf("Origin %s: headers %v", tt.origin, header)
		}
	}
}

func TestCloseReleasesHeldPolls(t *testing.T) {
	h := NewHandler(Options{PollHold: 10 * time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()
	sid := handshake(t, srv.URL)
	got := holdPoll(srv.URL, sid)
	h.Close()
	expectPollReleased(t, got, srv.URL, sid, "Close")
	if sid2 := handshake(t, srv.URL); sid2 == "" {
		t.Error("no new sessions after Close")
	}
}

// holdPoll starts a long poll of session sid and gives it 50ms to be
// held; the channel gets the poll's body once it is answered.
func holdPoll(srvURL, sid string) <-chan string {
	got := make(chan string, 1)
	go func() {
		_, _, b, _ := send(http.MethodGet, pollURL(srvURL, sid), "", nil)
		got <- b
	}()
	time.Sleep(50 * time.Millisecond)
	return got
}

// expectPollReleased fails t unless by (what the test just did) released
// the held poll with a noop packet within 2 s and closed session sid.
func expectPollReleased(t *testing.T, held <-chan string, srvURL, sid, by string) {
	t.Helper()
	select {
	case b := <-held:
		if b != "6" {
			t.Errorf("poll released by %s got %q, want noop", by, b)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("%s did not release the held poll", by)
	}
	if status, _, _ := do(t, http.MethodGet, pollURL(srvURL, sid), "", nil); status != http.StatusBadRequest {
		t.Errorf("session alive after %s: %d", by, status)
	}
}
