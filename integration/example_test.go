package integration

import (
	"bytes"
	"compress/gzip"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/ocomms/ocomms-edge/caddymodule"
	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// exampleCaddyfile reads the repository's Caddyfile.example.
func exampleCaddyfile(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startExample runs Caddyfile.example, configured through its OCOMMS_*
// variables, in front of the demo upstream, with test-only global options
// added (admin address, storage, and any extra ones given).
func startExample(t *testing.T, extraGlobals ...string) (*edgetest.Edge, *demoupstream.Handler) {
	t.Helper()
	app := demoupstream.NewHandler(demoupstream.Options{})
	up := httptest.NewServer(app)
	t.Cleanup(up.Close)
	return startExampleFor(t, strings.TrimPrefix(up.URL, "http://"), extraGlobals...), app
}

// startExampleFor runs Caddyfile.example in front of the upstream at
// host:port, with test-only global options added.
func startExampleFor(t *testing.T, upstream string, extraGlobals ...string) *edgetest.Edge {
	t.Helper()
	e := edgetest.New(t)
	t.Setenv("OCOMMS_SITE", "localhost")
	t.Setenv("OCOMMS_HTTP_PORT", strconv.Itoa(e.HTTPPort))
	t.Setenv("OCOMMS_HTTPS_PORT", strconv.Itoa(e.HTTPSPort))
	t.Setenv("OCOMMS_UPSTREAM", upstream)
	globals := "\tadmin {ADMIN}\n\tstorage file_system {DIR}/storage\n"
	for _, g := range extraGlobals {
		globals += "\t" + g + "\n"
	}
	cfg := strings.Replace(exampleCaddyfile(t), "{\n", "{\n"+globals, 1)
	e.Load(t, cfg)
	return e
}

var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`)

func TestExampleCaddyfileAdaptsAndValidatesWithTheBinary(t *testing.T) {
	skipInShort(t, "builds the binary")
	bin := edgeBinary(t)
	for _, args := range [][]string{
		{"validate", "--config", "../Caddyfile.example", "--adapter", "caddyfile"},
		{"adapt", "--config", "../Caddyfile.example", "--adapter", "caddyfile", "--validate"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ocomms-caddy %s: %v\n%s", args[0], err, out)
		}
		if args[0] == "adapt" && !bytes.Contains(out, []byte(`"handler":"ocomms_headers"`)) {
			t.Fatalf("adapted example lacks ocomms_headers:\n%s", out)
		}
	}
	out, err := exec.Command(bin, "list-modules").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("http.handlers.ocomms_headers")) {
		t.Fatalf("list-modules: %v\n%s", err, out)
	}
}

func TestExampleThroughCaddy(t *testing.T) {
	skipInShort(t, "starts Caddy")
	e, _ := startExample(t)

	t.Run("dynamic page gets the nonce from Next-style rendering", func(t *testing.T) {
		resp := e.Get(t, "/", "Sec-Fetch-Dest", "document")
		body, _ := io.ReadAll(resp.Body)
		m := nonceRE.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("status %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		if got := strings.Count(string(body), `nonce="`+m[1]+`"`); got < 3 {
			t.Fatalf("page carries the response nonce %d times, want every script and style:\n%s", got, body)
		}
	})

	t.Run("prerendered page gets the nonce injected, gzip still works", func(t *testing.T) {
		resp := e.Get(t, "/login", "Sec-Fetch-Dest", "document", "Accept-Encoding", "gzip")
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q, want gzip from encode", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(zr)
		m := nonceRE.FindStringSubmatch(resp.Header.Get("Content-Security-Policy"))
		if m == nil || strings.Count(string(body), "<script") != strings.Count(string(body), `<script nonce="`+m[1]+`"`) {
			t.Fatalf("not every script carries the nonce %v:\n%s", m, body)
		}
		if resp.Header.Get("X-Nextjs-Prerender") != "" || resp.Header.Get("X-Powered-By") != "" {
			t.Fatalf("fingerprint headers leaked: %v", resp.Header)
		}
	})

	t.Run("X-Forwarded-For is replaced with the client IP, X-Real-IP set", func(t *testing.T) {
		resp := e.Get(t, demoupstream.EchoPath, "X-Forwarded-For", "6.6.6.6, 7.7.7.7", "X-Real-IP", "6.6.6.6")
		var echo demoupstream.Echo
		edgetest.DecodeJSON(t, resp, &echo)
		if got := echo.Headers["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Fatalf("upstream saw X-Forwarded-For %q, want exactly 127.0.0.1", got)
		}
		if got := echo.Headers["X-Real-Ip"]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Fatalf("upstream saw X-Real-IP %q, want 127.0.0.1", got)
		}
		if got := echo.Headers["X-Forwarded-Proto"]; len(got) != 1 || got[0] != "https" {
			t.Fatalf("upstream saw X-Forwarded-Proto %q", got)
		}
		if echo.Host != "localhost:"+strconv.Itoa(e.HTTPSPort) {
			t.Fatalf("Host changed to %q", echo.Host)
		}
	})

	t.Run("socket.io long-polling handshake, post and poll", func(t *testing.T) {
		resp := e.Get(t, "/socket.io/?EIO=4&transport=polling")
		body, _ := io.ReadAll(resp.Body)
		sid := regexp.MustCompile(`"sid":"([^"]+)"`).FindSubmatch(body)
		if resp.StatusCode != 200 || sid == nil {
			t.Fatalf("handshake: %d %s", resp.StatusCode, body)
		}
		url := e.URL("/socket.io/?EIO=4&transport=polling&sid=" + string(sid[1]))
		post, err := e.Client.Post(url, "text/plain;charset=UTF-8", strings.NewReader("40"))
		if err != nil {
			t.Fatal(err)
		}
		post.Body.Close()
		poll, err := e.Client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		pb, _ := io.ReadAll(poll.Body)
		poll.Body.Close()
		if post.StatusCode != 200 || poll.StatusCode != 200 || !strings.HasPrefix(string(pb), "40") {
			t.Fatalf("post %d, poll %d %q", post.StatusCode, poll.StatusCode, pb)
		}
		if poll.Header.Get("Content-Security-Policy") == "" {
			t.Fatal("long-poll response lacks the policy")
		}
	})

	t.Run("2 MB avatar passes, 1.5 MB elsewhere is refused", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreatePart(map[string][]string{
			"Content-Disposition": {`form-data; name="file"; filename="me.png"`},
			"Content-Type":        {"image/png"},
		})
		fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 2<<20-100)...))
		mw.Close()
		resp, err := e.Client.Post(e.URL("/api/upload/avatar"), mw.FormDataContentType(), bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("avatarPath")) {
			t.Fatalf("avatar upload: %d %s", resp.StatusCode, body)
		}
		resp, err = e.Client.Post(e.URL(demoupstream.EchoPath), "application/octet-stream", bytes.NewReader(make([]byte, 1536<<10)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("1.5 MB body: status %d, want 413", resp.StatusCode)
		}
	})

	t.Run("HTTP redirects to HTTPS", func(t *testing.T) {
		resp, err := e.Client.Get(e.HTTPURL("/chat?room=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// Caddy treats https_port as internal (a port mapping in front), so
		// the redirect names the standard port.
		want := "https://localhost/chat?room=1"
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Fatalf("got %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
}
