package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/demoupstream"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// multiCaddyfile is one of several edge instances that act as one edge:
// the same secret, the same Redis (rate limits and lockouts), one app
// behind them. {ADMINPORT} gives each its own admin API (reloads, the
// lockout API); {AUDIT} is the instance's audit block, if any. The load
// zone counts GET /api/health per X-Load header value, refusing rather
// than guessing when Redis cannot decide, so any lost or doubled count
// shows in the admitted total. Its rate, {LOADLIMIT} per {LOADLIMIT}
// hours, is a burst of {LOADLIMIT} that refills one request an hour (a
// GCRA limit refills continuously: 2000/15m would give one back every
// 450 ms of the load), so a test's admitted total is exactly {LOADLIMIT}.
const multiCaddyfile = `{
	admin 127.0.0.1:{ADMINPORT}
	auto_https off
	persist_config off
	ocomms {
		redis {env.OCOMMS_REDIS_URL}
		secret {env.OCOMMS_SECRET}
		{AUDIT}
	}
}
http://127.0.0.1:{PORT} {
	ocomms_headers
	ocomms_auth_guard {
		store redis
	}
	ocomms_rate_limit none {
		timeout 2s
		zone load {
			match {
				method GET
				path /api/health
			}
			rate {LOADLIMIT}/{LOADLIMIT}h
			key header X-Load
			on_store_error deny
		}
	}
	reverse_proxy {UPSTREAM}
}
`

// multiSecret is the ocomms secret every instance of a cluster shares.
const multiSecret = "multi-instance-test-secret-0123456789"

// countingApp is the demo app behind a cluster, counting what reaches it.
type countingApp struct {
	app    *demoupstream.Handler
	signIn atomic.Int64 // POST /api/auth/sign-in/email
	health atomic.Int64 // GET /api/health
	addr   string
}

func startCountingApp(t *testing.T) *countingApp {
	t.Helper()
	c := &countingApp{app: demoupstream.NewHandler(demoupstream.Options{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/auth/sign-in/email":
			c.signIn.Add(1)
		case "/api/health":
			c.health.Add(1)
		}
		c.app.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.addr = strings.TrimPrefix(srv.URL, "http://")
	return c
}

// instance is one edge process of a cluster.
type instance struct {
	*edgeProcess
	Name     string
	Admin    string // host:port of its admin API
	AuditDir string // its JSONL audit directory
}

// cluster is several edge processes in front of one app on one Redis.
type cluster struct {
	App   *countingApp
	Redis *testsupport.RedisServer
	Nodes []*instance
	PGURL string // the audit database, "" without Postgres
}

// clusterOptions vary a cluster's configuration.
type clusterOptions struct {
	LoadLimit int
	// Postgres adds the audit log's PostgreSQL sink, one database of the
	// test's own shared by the instances (the test is skipped without
	// PostgreSQL).
	Postgres bool
}

// auditBlock is an instance's audit configuration: its own chain name,
// JSONL directory (with its checkpoint key and spool) and, when pg, the
// cluster's PostgreSQL.
func auditBlock(name, dir string, pg bool) string {
	b := "audit {\n\t\t\tinstance " + name + "\n\t\t\tjsonl " + dir + "\n"
	if pg {
		b += "\t\t\tpostgres {env.OCOMMS_POSTGRES_URL}\n"
	}
	return b + "\t\t}"
}

// startMultiCluster starts one instance per name on a fresh redis-server.
func startMultiCluster(t *testing.T, opts clusterOptions, names ...string) *cluster {
	t.Helper()
	skipInShort(t, "builds the binary, starts edge processes and redis-server")
	c := &cluster{Redis: testsupport.StartRedis(t), App: startCountingApp(t)}
	if opts.Postgres {
		c.PGURL = clusterDatabase(t)
	}
	if opts.LoadLimit == 0 {
		opts.LoadLimit = 1000
	}
	for _, name := range names {
		admin := testsupport.FreePort(t)
		dir := filepath.Join(t.TempDir(), "audit-"+name)
		cfg := strings.NewReplacer("{ADMINPORT}", strconv.Itoa(admin), "{AUDIT}", auditBlock(name, dir, opts.Postgres),
			"{LOADLIMIT}", strconv.Itoa(opts.LoadLimit), "{UPSTREAM}", c.App.addr).Replace(multiCaddyfile)
		p := startEdgeProcess(t, cfg, "OCOMMS_REDIS_URL="+c.Redis.URL(), "OCOMMS_SECRET="+multiSecret, "OCOMMS_POSTGRES_URL="+c.PGURL)
		c.Nodes = append(c.Nodes, &instance{edgeProcess: p, Name: name, Admin: "127.0.0.1:" + strconv.Itoa(admin), AuditDir: dir})
	}
	return c
}

// signInReply is an edge's answer to a sign-in.
type signInReply struct {
	Status int
	Body   string
	Header http.Header
}

// noKeepAlive sends each request on a fresh connection.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

// signIn posts a JSON email sign-in through n; cookie, if not nil, is
// sent as a browser holding it would (with the trusted Origin).
func (n *instance) signIn(email, password string, cookie *http.Cookie) (signInReply, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequest(http.MethodPost, n.URL("/api/auth/sign-in/email"), bytes.NewReader(body))
	if err != nil {
		return signInReply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if cookie != nil {
		// A browser sends a Secure cookie to the edge over TLS; here the
		// test sends the header itself on loopback HTTP.
		req.Header.Set("Cookie", cookie.Name+"="+cookie.Value)
		req.Header.Set("Origin", demoupstream.DefaultTrustedOrigin)
	}
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		return signInReply{}, fmt.Errorf("sign-in through %s: %w", n.Name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return signInReply{resp.StatusCode, string(raw), resp.Header}, err
}

// mustSignIn is signIn that fails the test on a transport error.
func (n *instance) mustSignIn(t *testing.T, email, password string, cookie *http.Cookie) signInReply {
	t.Helper()
	r, err := n.signIn(email, password, cookie)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// adminPost posts a JSON body to n's admin API.
func (n *instance) adminPost(t *testing.T, path, contentType string, body []byte, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+n.Admin+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("admin %s on %s: %v", path, n.Name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// reload loads n's own Caddyfile again through its admin API, as
// `caddy reload --force` does: the same config, really re-provisioned.
func (n *instance) reload(t *testing.T) {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(filepath.Dir(n.log), "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := n.adminPost(t, "/load", "text/caddyfile", cfg, "Cache-Control", "must-revalidate"); status != http.StatusOK {
		t.Fatalf("reloading %s: %d %s", n.Name, status, body)
	}
}

// responseCookie returns the cookie named name that a reply sets.
func responseCookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
