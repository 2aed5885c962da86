package integration

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/core"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// Paths of the Pebble WFE that the wrapper around it watches. The wfe package
// does not export them (v2.10.1, wfe/wfe.go: challengePath, renewalInfoPath).
const (
	pebbleChallengePath   = "/chalZ/"
	pebbleRenewalInfoPath = "/draft-ietf-acme-ari-03/renewalInfo/"
)

// pebbleOptions configures an in-process Pebble.
type pebbleOptions struct {
	// Profile is the only certificate profile the CA offers; the edge must
	// ask for it by name (Pebble picks a random profile for orders that name
	// none). Default: "default".
	Profile string
	// Validity is the lifetime of certificates issued under Profile.
	// Default: Pebble's 90 days.
	Validity time.Duration
	// NoARI removes renewalInfo from the ACME directory, so the client sees a
	// CA without ACME Renewal Information (RFC 9773) and falls back to the
	// certificate's own lifetime to schedule renewals.
	NoARI bool
	// ARIRetryAfter, if positive, replaces the Retry-After header on
	// renewalInfo responses. Pebble hardcodes 6h (wfe.RenewalInfo); a CA may
	// choose any polling interval, and a short one lets a test see the client
	// pick up a changed ARI window within seconds.
	ARIRetryAfter time.Duration
}

// pebble is an in-process Pebble ACME CA: the WFE behind an httptest TLS
// server, the VA doing real HTTP-01 validation against the edge's HTTP port
// and resolving names through its own loopback DNS server, and the
// management API (roots, set-renewal-info) behind a second TLS server.
type pebble struct {
	opts pebbleOptions
	logs *testsupport.LockedBuffer
	db   *db.MemoryStore
	ca   *ca.CAImpl
	acme *httptest.Server
	mgmt *httptest.Server
	// TrustedRoot is a PEM file holding the ACME server's TLS certificate,
	// for the edge's `trusted_roots`.
	TrustedRoot string

	mu sync.Mutex
	// challengeIDs are the challenges the client asked Pebble to validate,
	// in order.
	challengeIDs []string
	// renewalInfoGets counts GET requests for renewalInfo per ARI
	// certificate ID.
	renewalInfoGets map[string]int
	// onChallenge, if set, runs when the client first tells Pebble that a
	// challenge is ready, before Pebble sees the request: the edge is
	// presenting the challenge at that moment.
	onChallenge func(*core.Challenge)
}

// startPebble starts an in-process Pebble whose VA validates HTTP-01
// challenges on httpPort of the names it is asked for, all of which resolve
// to 127.0.0.1 through a loopback DNS server. Everything is stopped when the
// test ends. On failure the Pebble log is printed.
func startPebble(t *testing.T, httpPort int, opts pebbleOptions) *pebble {
	t.Helper()
	if opts.Profile == "" {
		opts.Profile = "default"
	}

	// Read by va.New and wfe.New. Deterministic: no random VA sleeps, no
	// rejected good nonces, a fresh authorization (and so a fresh HTTP-01
	// validation) for every order, and real validation always.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "0")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")

	logs := &testsupport.LockedBuffer{}
	logger := log.New(logs, "pebble ", log.Lmicroseconds)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log (last 60 lines):\n%s", lastLines(logs.String(), 60))
		}
	})

	p := &pebble{
		opts:            opts,
		logs:            logs,
		db:              db.NewMemoryStore(),
		renewalInfoGets: make(map[string]int),
	}
	profiles := map[string]ca.Profile{
		opts.Profile: {
			Description:    "profile for " + t.Name(),
			ValidityPeriod: uint64(opts.Validity / time.Second), // 0 means Pebble's default
		},
	}
	p.ca = ca.New(logger, p.db, "", "ecdsa", 0, 1, profiles)
	vaImpl := va.New(logger, httpPort, 0, false, startLoopbackDNS(t), p.db)
	wfeImpl := wfe.New(logger, p.db, vaImpl, p.ca, nil, false, false, 0, 0)

	p.acme = httptest.NewUnstartedServer(p.wrap(wfeImpl.Handler()))
	p.acme.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.acme.StartTLS()
	t.Cleanup(p.acme.Close)
	p.mgmt = httptest.NewTLSServer(wfeImpl.ManagementHandler())
	t.Cleanup(p.mgmt.Close)

	p.TrustedRoot = filepath.Join(t.TempDir(), "pebble-wfe.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.acme.Certificate().Raw})
	if err := os.WriteFile(p.TrustedRoot, block, 0o644); err != nil {
		t.Fatalf("writing pebble wfe certificate: %v", err)
	}
	return p
}

// DirectoryURL is the ACME directory the edge uses.
func (p *pebble) DirectoryURL() string { return p.acme.URL + wfe.DirectoryPath }

// Root fetches Pebble's root certificate from the management API
// (`/roots/0`), as an operator of a real Pebble would.
func (p *pebble) Root(t *testing.T) *x509.Certificate {
	t.Helper()
	resp, err := p.mgmt.Client().Get(p.mgmt.URL + wfe.RootCertPath + "0")
	if err != nil {
		t.Fatalf("fetching pebble root: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("fetching pebble root: status %d, err %v: %s", resp.StatusCode, err, body)
	}
	block, _ := pem.Decode(body)
	if block == nil {
		t.Fatalf("pebble root is not PEM: %q", body)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing pebble root: %v", err)
	}
	return root
}

// SetRenewalInfo makes Pebble answer renewalInfo requests for cert with the
// given suggested window, through the management API's
// `POST /set-renewal-info/`.
func (p *pebble) SetRenewalInfo(t *testing.T, cert *x509.Certificate, start, end time.Time) {
	t.Helper()
	window, err := json.Marshal(core.RenewalInfo{SuggestedWindow: core.SuggestedWindow{Start: start.UTC(), End: end.UTC()}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{
		"Certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		"ARIResponse": string(window),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.mgmt.Client().Post(p.mgmt.URL+"/set-renewal-info/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("setting renewal info: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("setting renewal info: status %d: %s", resp.StatusCode, msg)
	}
}

// Log returns what Pebble has logged so far.
func (p *pebble) Log() string { return p.logs.String() }

// RenewalInfoGets reports how many times the client fetched renewalInfo for
// the certificate with the given ARI certificate ID.
func (p *pebble) RenewalInfoGets(certID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.renewalInfoGets[certID]
}

// challengeResult is what Pebble recorded about one challenge.
type challengeResult struct {
	ID, Type, Status, Identifier string
	Validated                    time.Time
}

// Challenges lists the challenges the client asked Pebble to validate, with
// their state in Pebble's database.
func (p *pebble) Challenges() []challengeResult {
	p.mu.Lock()
	ids := slices.Clone(p.challengeIDs)
	p.mu.Unlock()
	var out []challengeResult
	for _, id := range ids {
		chal := p.db.GetChallengeByID(id)
		if chal == nil {
			continue
		}
		chal.RLock()
		r := challengeResult{ID: id, Type: chal.Type, Status: chal.Status, Validated: chal.ValidatedDate}
		authz := chal.Authz
		chal.RUnlock()
		if authz != nil {
			authz.RLock()
			r.Identifier = authz.Identifier.Value
			authz.RUnlock()
		}
		out = append(out, r)
	}
	return out
}

// OrderFor returns the order that produced cert, or nil.
func (p *pebble) OrderFor(cert *x509.Certificate) *core.Order {
	order, err := p.db.GetOrderByIssuedSerial(serialHex(cert.SerialNumber))
	if err != nil {
		return nil
	}
	return order
}

// KeyAuthorization returns the HTTP-01 response Pebble expects for chal.
func (p *pebble) KeyAuthorization(chal *core.Challenge) (string, error) {
	chal.RLock()
	authz := chal.Authz
	chal.RUnlock()
	if authz == nil {
		return "", fmt.Errorf("challenge %s has no authorization", chal.ID)
	}
	authz.RLock()
	order := authz.Order
	authz.RUnlock()
	if order == nil {
		return "", fmt.Errorf("authorization %s has no order", authz.ID)
	}
	order.RLock()
	accountID := order.AccountID
	order.RUnlock()
	acct := p.db.GetAccountByID(accountID)
	if acct == nil || acct.Key == nil {
		return "", fmt.Errorf("account %q not found", accountID)
	}
	chal.RLock()
	defer chal.RUnlock()
	return chal.ExpectedKeyAuthorization(acct.Key), nil
}

// wrap observes the client's requests to the WFE and applies NoARI and
// ARIRetryAfter.
func (p *pebble) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, pebbleRenewalInfoPath):
			p.mu.Lock()
			p.renewalInfoGets[strings.TrimPrefix(r.URL.Path, pebbleRenewalInfoPath)]++
			p.mu.Unlock()
			if p.opts.ARIRetryAfter > 0 {
				secs := int(p.opts.ARIRetryAfter / time.Second)
				w = &retryAfterWriter{ResponseWriter: w, value: strconv.Itoa(max(secs, 1))}
			}

		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, pebbleChallengePath):
			id := strings.TrimPrefix(r.URL.Path, pebbleChallengePath)
			p.mu.Lock()
			first := !slices.Contains(p.challengeIDs, id)
			if first {
				p.challengeIDs = append(p.challengeIDs, id)
			}
			hook := p.onChallenge
			p.mu.Unlock()
			if chal := p.db.GetChallengeByID(id); first && hook != nil && chal != nil {
				hook(chal)
			}

		case r.URL.Path == wfe.DirectoryPath && p.opts.NoARI:
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var dir map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &dir); err != nil {
				http.Error(w, "test wrapper: decoding pebble directory: "+err.Error(), http.StatusInternalServerError)
				return
			}
			delete(dir, "renewalInfo")
			out, _ := json.Marshal(dir)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(out)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// retryAfterWriter replaces the Retry-After header of a response.
type retryAfterWriter struct {
	http.ResponseWriter
	value       string
	wroteHeader bool
}

func (w *retryAfterWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if w.Header().Get("Retry-After") != "" {
			w.Header().Set("Retry-After", w.value)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *retryAfterWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// startLoopbackDNS serves DNS over TCP on 127.0.0.1 (Pebble's VA uses TCP
// for a custom resolver), answering every A query under .localhost with
// 127.0.0.1 and nothing else, as RFC 6761 has it. The system resolver here
// knows only "localhost" itself, so the VA needs this to reach
// <name>.ocomms.localhost on the edge. It returns the server's address.
func startLoopbackDNS(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for dns: %v", err)
	}
	started := make(chan struct{})
	srv := &dns.Server{
		Listener:          l,
		Net:               "tcp",
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			for _, q := range req.Question {
				name := strings.ToLower(q.Name)
				if q.Qtype == dns.TypeA && (name == "localhost." || strings.HasSuffix(name, ".localhost.")) {
					m.Answer = append(m.Answer, &dns.A{
						Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET},
						A:   net.IPv4(127, 0, 0, 1),
					})
				}
			}
			_ = w.WriteMsg(m)
		}),
	}
	go func() { _ = srv.ActivateAndServe() }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("loopback dns server did not start")
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
	return l.Addr().String()
}

// serialHex is how Pebble keys certificates and orders by serial.
func serialHex(serial *big.Int) string {
	return fmt.Sprintf("%x", serial.Bytes())
}

// lastLines returns at most n trailing lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
