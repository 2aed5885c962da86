package integration

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/ocomms/ocomms-edge/caddymodule"
	"github.com/ocomms/ocomms-edge/internal/audittest"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
	"github.com/ocomms/ocomms-edge/secevent"
)

// authDiffEnv is Caddyfile.example (all four ocomms directives, client IPs
// from X-Forwarded-For of the loopback peer) in front of a real
// better-auth 1.4 on PostgreSQL, with the audit log in AuditDir.
type authDiffEnv struct {
	Edge     *edgetest.Edge
	BA       *nodeapp.BetterAuth
	AuditDir string
	// fresh is the RateLimit remaining a body-keyed zone reports for a key
	// it has never seen (measured at start).
	fresh map[string]int
}

// The two body-keyed zones of the ocomms preset the differential test
// reads back (by probing them with a canonical request).
const (
	zoneSignInEmail = "signin-email"
	zoneResetEmail  = "reset-request-email"
)

// startAuthDiffEnv starts better-auth and the edge. The edge runs the
// repository's Caddyfile.example unchanged but for one test-only option,
// admitted_headers on ocomms_rate_limit, so that an admitted response
// shows how much of each zone's budget is left.
func startAuthDiffEnv(t *testing.T) *authDiffEnv {
	t.Helper()
	skipInShort(t, "starts better-auth and Caddy")
	ba := nodeapp.StartBetterAuth(t, "BA_FAST_HASH=1", "BA_LOG=off")
	e := edgetest.New(t)
	auditDir := filepath.Join(e.Dir, "audit")
	t.Setenv("OCOMMS_SITE", "localhost")
	t.Setenv("OCOMMS_HTTP_PORT", strconv.Itoa(e.HTTPPort))
	t.Setenv("OCOMMS_HTTPS_PORT", strconv.Itoa(e.HTTPSPort))
	t.Setenv("OCOMMS_UPSTREAM", ba.Addr())
	t.Setenv("OCOMMS_TRUSTED_PROXIES", "127.0.0.1/32")
	t.Setenv("OCOMMS_AUDIT_FILE", auditDir)
	t.Setenv("OCOMMS_SECRET", "authdiff-test-secret-0123456789")
	t.Setenv("OCOMMS_REDIS_URL", "")
	t.Setenv("OCOMMS_POSTGRES_URL", "")
	cfg := exampleCaddyfile(t)
	// The judge reads zone budgets from the RateLimit headers of admitted
	// answers.
	const rl = "\tocomms_rate_limit ocomms {\n"
	if !strings.Contains(cfg, rl) {
		t.Fatalf("Caddyfile.example no longer has %q; update the differential test", rl)
	}
	cfg = strings.Replace(cfg, rl, rl+"\t\tadmitted_headers\n", 1)
	cfg = strings.Replace(cfg, "{\n", "{\n\tadmin {ADMIN}\n\tstorage file_system {DIR}/storage\n", 1)
	e.Load(t, cfg)
	env := &authDiffEnv{Edge: e, BA: ba, AuditDir: auditDir, fresh: map[string]int{}}
	env.calibrate(t)
	return env
}

// calibrate checks the ground the judge stands on, with canonical JSON
// requests only: a weak password is refused by the edge and never reaches
// the app, a strong one reaches it; each body-keyed zone reports its
// budget for a new email.
func (env *authDiffEnv) calibrate(t *testing.T) {
	t.Helper()
	rc := env.dial()
	defer rc.close()
	gen := newAuthGen(0)
	send := func(id, path string, body map[string]string) authAnswer {
		raw, _ := json.Marshal(body)
		a, err := rc.send(authCase{Token: id, Path: path, Headers: []string{"Content-Type: application/json"}, Body: raw}, id, "192.0.2.1")
		if err != nil {
			t.Fatalf("calibration %s: %v", id, err)
		}
		return a
	}
	weak := send("cal-weak", pathSignUp, map[string]string{"email": "cal-weak@authdiff.test", "password": gen.weakPassword(), "name": "Cal"})
	if _, reached := env.BA.Received(t, "cal-weak"); reached || weak.refusal != "edge" {
		t.Fatalf("a weak password through the edge: status %d reached=%v %s", weak.status, reached, weak.body)
	}
	strong := send("cal-strong", pathSignUp, map[string]string{"email": "cal-strong@authdiff.test", "password": gen.strongPassword(), "name": "Cal"})
	if _, reached := env.BA.Received(t, "cal-strong"); !reached || strong.status != http.StatusOK {
		t.Fatalf("a strong password through the edge: status %d reached=%v %s", strong.status, reached, strong.body)
	}
	in := send("cal-signin", pathSignIn, map[string]string{"email": "cal-new@authdiff.test", "password": gen.strongPassword()})
	reset := send("cal-reset", pathRequestReset, map[string]string{"email": "cal-new@authdiff.test"})
	for zone, a := range map[string]authAnswer{zoneSignInEmail: in, zoneResetEmail: reset} {
		r, ok := zoneRemaining(a.header, zone)
		if !ok || r < 2 {
			t.Fatalf("zone %s: no usable RateLimit header on a canonical request: %q", zone, a.header.Get("RateLimit"))
		}
		env.fresh[zone] = r
	}
}

// authAnswer is the edge's answer to one request.
type authAnswer struct {
	status int
	header http.Header
	body   []byte
	// refusal is "edge" for the edge's JSON error (code, message and
	// error), "http" for Go's HTTP server refusing the request outright,
	// "" otherwise (an answer of the app's).
	refusal string
}

// rawConn is one keep-alive TLS connection to the edge on which requests
// are written byte for byte, so that header lines keep any bytes, order
// and repetition the case gives them.
type rawConn struct {
	addr   string
	origin string // sent as Origin, as a browser would: better-auth's own URL
	c      net.Conn
	br     *bufio.Reader
}

func (env *authDiffEnv) dial() *rawConn {
	return &rawConn{addr: "127.0.0.1:" + strconv.Itoa(env.Edge.HTTPSPort), origin: env.BA.URL()}
}

func (rc *rawConn) close() {
	if rc.c != nil {
		_ = rc.c.Close()
		rc.c = nil
	}
}

func (rc *rawConn) connect() error {
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", rc.addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}) //nolint:gosec // the edge's test CA
	if err != nil {
		return fmt.Errorf("dial edge: %w", err)
	}
	rc.c, rc.br = c, bufio.NewReader(c)
	return nil
}

// send writes c as X-Test-Id id from client address ip and reads the
// answer, reconnecting once if a kept-alive connection had gone.
func (rc *rawConn) send(c authCase, id, ip string) (authAnswer, error) {
	req := buildRawRequest(c, id, ip, rc.origin)
	for attempt := 0; ; attempt++ {
		fresh := rc.c == nil
		if fresh {
			if err := rc.connect(); err != nil {
				return authAnswer{}, err
			}
		}
		a, err := rc.roundTrip(req)
		if err == nil {
			return a, nil
		}
		rc.close()
		if fresh || attempt > 0 {
			return authAnswer{}, err
		}
	}
}

func (rc *rawConn) roundTrip(req []byte) (authAnswer, error) {
	_ = rc.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := rc.c.Write(req); err != nil {
		return authAnswer{}, fmt.Errorf("write: %w", err)
	}
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: http.MethodPost})
	if err != nil {
		return authAnswer{}, fmt.Errorf("read answer: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return authAnswer{}, fmt.Errorf("read answer body: %w", err)
	}
	if resp.Close {
		rc.close()
	}
	return authAnswer{status: resp.StatusCode, header: resp.Header, body: body, refusal: refusalOf(resp.StatusCode, resp.Header, body)}, nil
}

// buildRawRequest writes the request bytes: the case's header lines as
// they are, between the harness's own.
func buildRawRequest(c authCase, id, ip, origin string) []byte {
	var b bytes.Buffer
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: authdiff/%s\r\n%s: %s\r\nX-Forwarded-For: %s\r\nOrigin: %s\r\n",
		method, c.Path, id, nodeapp.TestIDHeader, id, ip, origin)
	for _, h := range c.Headers {
		b.WriteString(h + "\r\n")
	}
	if c.Chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if len(c.Body) > 0 {
			fmt.Fprintf(&b, "%x\r\n", len(c.Body))
			b.Write(c.Body)
			b.WriteString("\r\n")
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(c.Body))
	b.Write(c.Body)
	return b.Bytes()
}

// refusalOf tells who refused a request from the answer alone: the edge
// answers with its JSON error (code, message, and error equal to message;
// better-auth's errors have no "error"), Go's HTTP server with its plain
// "400 Bad Request".
func refusalOf(status int, h http.Header, body []byte) string {
	if status < 400 {
		return ""
	}
	var e struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
		Error   *string `json:"error"`
	}
	if strings.HasPrefix(h.Get("Content-Type"), "application/json") && json.Unmarshal(body, &e) == nil &&
		e.Code != nil && e.Message != nil && e.Error != nil && *e.Error == *e.Message {
		return "edge"
	}
	if bytes.HasPrefix(body, []byte(strconv.Itoa(status)+" ")) && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		return "http"
	}
	return ""
}

// zoneRemaining reads a zone's remaining budget from the RateLimit header.
func zoneRemaining(h http.Header, zone string) (int, bool) {
	m := regexp.MustCompile(`"` + regexp.QuoteMeta(zone) + `";r=(\d+)`).FindStringSubmatch(h.Get("RateLimit"))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// authOutcome is everything observed about one case.
type authOutcome struct {
	Case    authCase
	ID, IP  string
	Answer  authAnswer
	Rec     nodeapp.Received
	Reached bool
	// ProbeRemaining is the zone budget a canonical request for the email
	// the app received saw right after the case; -1 when no probe ran.
	ProbeRemaining int
	Err            error
}

// endpoint is the path of the endpoint whose handler ran (better-auth's
// routing, not the path as sent), or "".
func (o authOutcome) endpoint() string {
	if !o.Reached {
		return ""
	}
	return "/api/auth" + o.Rec.Path
}

// runCases sends the cases with workers in parallel, each case from its own
// client IP, and probes the body-keyed zones after each one the app
// handled.
func (env *authDiffEnv) runCases(cases []authCase, ipBase int, workers int) []authOutcome {
	out := make([]authOutcome, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := env.dial()
			defer rc.close()
			for i := range next {
				out[i] = env.runCase(rc, cases[i], ipBase+i)
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func caseClientIP(n int) string {
	n++
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&0xff, (n>>8)&0xff, n&0xff)
}

func (env *authDiffEnv) runCase(rc *rawConn, c authCase, n int) authOutcome {
	o := authOutcome{Case: c, ID: c.Token, IP: caseClientIP(n), ProbeRemaining: -1}
	var sendErr error
	o.Answer, sendErr = rc.send(c, o.ID, o.IP)
	o.Rec, o.Reached, o.Err = env.BA.Lookup(o.ID)
	if sendErr != nil {
		o.Err = sendErr
		return o
	}
	if o.Err != nil || !o.Reached || o.Rec.EmailLower == nil {
		return o
	}
	// The probe spells the email as better-auth keys the account (lower-cased
	// by JavaScript): a zone must charge that account, however the case
	// spelled it.
	var zone string
	probe := map[string]string{"email": *o.Rec.EmailLower}
	path := o.endpoint()
	switch path {
	case pathSignIn:
		if o.Answer.status != http.StatusUnauthorized {
			return o // the zone counts 401s only; nothing to read back
		}
		zone, probe["password"] = zoneSignInEmail, "probe-password-0123456789"
	case pathRequestReset:
		if o.Answer.status != http.StatusOK {
			return o // nothing was sent; the judge reads no zone
		}
		zone = zoneResetEmail
	default:
		return o
	}
	raw, _ := json.Marshal(probe)
	pc := authCase{Token: c.Token, Path: path, Headers: []string{"Content-Type: application/json"}, Body: raw}
	a, err := rc.send(pc, o.ID+"-probe", o.IP)
	if err != nil {
		o.Err = fmt.Errorf("probe: %w", err)
		return o
	}
	if r, ok := zoneRemaining(a.header, zone); ok {
		o.ProbeRemaining = r
	} else if a.status == http.StatusTooManyRequests {
		o.ProbeRemaining = 0
	}
	return o
}

// waitEvents sends a sentinel sign-in after every case, waits for its
// audit event (events are written in order), and returns all events by
// User-Agent.
func (env *authDiffEnv) waitEvents(t *testing.T) map[string][]secevent.Event {
	t.Helper()
	rc := env.dial()
	defer rc.close()
	sentinel := authCase{Token: "sentinel", Path: pathSignIn, Headers: []string{"Content-Type: application/json"},
		Body: []byte(`{"email":"sentinel@authdiff.test","password":"sentinel-password-0123"}`)}
	if _, err := rc.send(sentinel, "sentinel", "192.0.2.2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		byUA := map[string][]secevent.Event{}
		for _, ev := range audittest.ReadAuditEvents(t, env.AuditDir) {
			byUA[ev.UserAgent] = append(byUA[ev.UserAgent], ev)
		}
		if len(byUA["authdiff/sentinel"]) > 0 {
			return byUA
		}
		if time.Now().After(deadline) {
			t.Fatal("the sentinel sign-in's audit event never came")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
