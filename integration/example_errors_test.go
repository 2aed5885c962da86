package integration

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// protoClients are clients of the edge that speak HTTP/1.1 only and HTTP/2.
func protoClients() map[string]*http.Client {
	h1 := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	h2 := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return map[string]*http.Client{
		"HTTP/1.1": {Transport: h1, CheckRedirect: noRedirect},
		"HTTP/2.0": {Transport: h2, CheckRedirect: noRedirect},
	}
}

// checkEdgeError fails unless resp is the edge's JSON error with status
// and code, with the security headers (HSTS when tls) and no Server field.
func checkEdgeError(t *testing.T, what string, resp *http.Response, status int, code string, tls bool) {
	t.Helper()
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var b struct{ Code, Message, Error string }
	if err := json.Unmarshal(raw, &b); err != nil || resp.StatusCode != status || b.Code != code || b.Message == "" || b.Error != b.Message {
		t.Errorf("%s: %d %q (%v), want %d with code %s, message and error", what, resp.StatusCode, raw, err, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: security headers missing: %v", what, resp.Header)
	}
	if tls && resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("%s: no HSTS", what)
	}
	if s := resp.Header.Get("Server"); s != "" {
		t.Errorf("%s: Server %q", what, s)
	}
}

// A body over Caddyfile.example's request_body limit gets 413 with the JSON
// error shape and the full header set, over HTTP/1.1 and HTTP/2, whether
// the client announced the length (refused before reading) or streams it
// chunked (refused while the proxy reads it).
func TestExampleOversizedBodyGetsJSONAndHeaders(t *testing.T) {
	skipInShort(t, "starts Caddy")
	e, _ := startExample(t)
	for proto, c := range protoClients() {
		for _, announced := range []bool{true, false} {
			var body io.Reader = bytes.NewReader(make([]byte, 1536<<10))
			if !announced {
				body = io.MultiReader(body) // unknown length: chunked / no content-length
			}
			resp, err := c.Post(e.URL(demoupstream.EchoPath), "application/octet-stream", body)
			if err != nil {
				t.Fatalf("%s, length announced %v: %v", proto, announced, err)
			}
			if resp.Proto != proto {
				t.Fatalf("spoke %s, want %s", resp.Proto, proto)
			}
			checkEdgeError(t, proto+" 1.5 MB, length announced "+strconv.FormatBool(announced), resp,
				http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", true)
		}
	}
}

// The same with curl, whose HTTP/1.1 client keeps sending a big body after
// `Expect: 100-continue` until the server answers: every case must read the
// 413 JSON, none a reset connection. HTTP/2 is checked frame by frame in
// TestExampleOversizedBodyHTTP2Frames instead: Debian 12's curl 7.88
// sometimes drops an HTTP/2 answer's body when the RST_STREAM(NO_ERROR)
// that follows it (RFC 9113 section 8.1) arrives in the same read.
func TestExampleOversizedBodyWithCurl(t *testing.T) {
	skipInShort(t, "starts Caddy")
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on PATH")
	}
	e, _ := startExample(t)
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, make([]byte, 8<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"-H", "Transfer-Encoding: chunked"}, {"-H", "Transfer-Encoding: chunked", "-H", "Expect:"}} {
		args := append([]string{"-sSk", "--http1.1", "-w", "\n%{http_code} %{http_version}", "--data-binary", "@" + body, e.URL(demoupstream.EchoPath)}, extra...)
		out, err := exec.Command(curl, args...).CombinedOutput()
		s := string(out)
		if err != nil || !strings.Contains(s, `"code":"PAYLOAD_TOO_LARGE"`) || !strings.Contains(s, "\n413 ") {
			t.Errorf("curl --http1.1 %v: %v\n%s", extra, err, s)
		}
	}
}

// A Host the config does not serve gets 421 with the JSON error and the
// full header set (HTTPS over both protocols, and plain HTTP), not an empty
// 200; a TLS handshake for another name, or without SNI, gets no
// certificate at all.
func TestExampleUnknownHostGets421(t *testing.T) {
	skipInShort(t, "starts Caddy")
	e, _ := startExample(t)
	for proto, c := range protoClients() {
		req, _ := http.NewRequest(http.MethodGet, e.URL("/"), nil)
		req.Host = "evil.example"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkEdgeError(t, proto+" unknown Host", resp, http.StatusMisdirectedRequest, "MISDIRECTED_REQUEST", true)
	}
	c := protoClients()["HTTP/1.1"]
	req, _ := http.NewRequest(http.MethodGet, e.HTTPURL("/"), nil)
	req.Host = "evil.example"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkEdgeError(t, "plain HTTP unknown Host", resp, http.StatusMisdirectedRequest, "MISDIRECTED_REQUEST", false)
	// The served site still redirects to HTTPS.
	resp, err = c.Get(e.HTTPURL("/chat"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("site over plain HTTP: %d, want the 308 to HTTPS", resp.StatusCode)
	}
	for _, sni := range []string{"evil.example", ""} {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(e.HTTPSPort), &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		if err == nil {
			names := conn.ConnectionState().PeerCertificates[0].DNSNames
			conn.Close()
			t.Errorf("TLS with SNI %q got a certificate for %v", sni, names)
		}
	}
	// The site's own name still gets its certificate.
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(e.HTTPSPort), &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS for the site: %v", err)
	}
	conn.Close()
}

// With the app down, reverse_proxy's 502 is answered by handle_errors: the
// JSON error shape and the full header set, no Server field.
func TestExampleAppDownGets502JSON(t *testing.T) {
	skipInShort(t, "starts Caddy")
	e := edgetest.New(t)
	t.Setenv("OCOMMS_SITE", "localhost")
	t.Setenv("OCOMMS_HTTP_PORT", strconv.Itoa(e.HTTPPort))
	t.Setenv("OCOMMS_HTTPS_PORT", strconv.Itoa(e.HTTPSPort))
	t.Setenv("OCOMMS_UPSTREAM", "127.0.0.1:"+strconv.Itoa(testsupport.FreePort(t))) // nothing listens
	e.Load(t, strings.Replace(exampleCaddyfile(t), "{\n", "{\n\tadmin {ADMIN}\n\tstorage file_system {DIR}/storage\n", 1))
	for proto, c := range protoClients() {
		resp, err := c.Get(e.URL("/api/channels"))
		if err != nil {
			t.Fatal(err)
		}
		checkEdgeError(t, proto+" app down", resp, http.StatusBadGateway, "BAD_GATEWAY", true)
	}
}
