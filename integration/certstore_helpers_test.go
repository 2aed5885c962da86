package integration

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/letsencrypt/pebble/v2/core"
	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/certstore"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// certstoreCaddyfile is one edge process of several sharing certificates
// through caddy.storage.ocomms_redis on one Redis, each with its own HTTP
// ({PORT}) and HTTPS ports; the CA is an in-process Pebble.
const certstoreCaddyfile = `{
	admin off
	persist_config off
	http_port {PORT}
	https_port {HTTPS_PORT}
	skip_install_trust
	storage ocomms_redis {
		url {env.OCOMMS_REDIS_URL}
		prefix {PREFIX}
		encryption_key {env.OCOMMS_STORAGE_KEY}
		lock_ttl {LOCK_TTL}
	}
}

` + pebbleSiteTLS + `	respond "hello from {NAME}"
}
`

// certCluster is a test's shared Redis, Pebble and the front door that
// Pebble's VA validates through.
type certCluster struct {
	t      *testing.T
	redis  *testsupport.RedisServer
	pebble *pebble
	front  *frontProxy
	host   string
	prefix string
	key    string // base64 encryption key
	ttl    time.Duration
}

func newCertCluster(t *testing.T, ttl time.Duration) *certCluster {
	t.Helper()
	skipShort(t)
	edgeBinary(t) // build first: minutes on a cold cache, before the clocks start
	c := &certCluster{t: t, ttl: ttl, host: uniqueHost("shared")}
	c.redis = testsupport.StartRedis(t)
	c.front = startFrontProxy(t)
	c.pebble = startPebble(t, c.front.Port, pebbleOptions{})
	var b [8]byte
	_, _ = rand.Read(b[:])
	c.prefix = "ocomms:certs:" + hex.EncodeToString(b[:])
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	c.key = base64.StdEncoding.EncodeToString(k)
	return c
}

// startEdge starts one edge process named name and puts its HTTP port
// behind the front door (after the ones started before).
func (c *certCluster) startEdge(name string) *certEdge {
	c.t.Helper()
	httpsPort := testsupport.FreePort(c.t)
	cfg := strings.NewReplacer(
		"{HTTPS_PORT}", strconv.Itoa(httpsPort),
		"{PREFIX}", c.prefix,
		"{LOCK_TTL}", c.ttl.String(),
		"{HOST}", c.host,
		"{ACME_DIR}", c.pebble.DirectoryURL(),
		"{ACME_ROOT}", c.pebble.TrustedRoot,
		"{ACME_PROFILE}", c.pebble.opts.Profile,
		"{NAME}", name,
	).Replace(certstoreCaddyfile)
	p := startEdgeProcess(c.t, cfg, "OCOMMS_REDIS_URL="+c.redis.URL(), "OCOMMS_STORAGE_KEY="+c.key)
	c.front.add(p.Port)
	return &certEdge{edgeProcess: p, name: name, httpsPort: httpsPort}
}

// storage opens the cluster's storage as the edges see it.
func (c *certCluster) storage() *certstore.RedisStorage {
	c.t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: c.redis.Addr()})
	c.t.Cleanup(func() { rc.Close() })
	key, err := certstore.ParseKey(c.key)
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := certstore.New(rc, certstore.Options{Prefix: c.prefix, EncryptionKey: key})
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// orders returns every order Pebble holds for the ACME accounts in the
// shared storage (the edges register and share one; any other would be
// in storage too).
func (c *certCluster) orders() []*core.Order {
	c.t.Helper()
	s := c.storage()
	ctx := context.Background()
	keys, err := s.List(ctx, "acme", true)
	if err != nil {
		c.t.Fatalf("listing accounts: %v", err)
	}
	var out []*core.Order
	for _, k := range keys {
		if !strings.Contains(k, "/users/") || !strings.HasSuffix(k, ".key") {
			continue
		}
		pemKey, err := s.Load(ctx, k)
		if err != nil {
			c.t.Fatalf("loading account key %s: %v", k, err)
		}
		signer, err := certmagic.PEMDecodePrivateKey(pemKey)
		if err != nil {
			c.t.Fatalf("decoding account key %s: %v", k, err)
		}
		acct, err := c.pebble.db.GetAccountByKey(signer.Public())
		if err != nil || acct == nil {
			c.t.Fatalf("account of %s unknown to pebble: %v", k, err)
		}
		out = append(out, c.pebble.db.GetOrdersByAccountID(acct.ID)...)
	}
	return out
}

// authorizations counts the authorizations of orders.
func authorizations(orders []*core.Order) int {
	n := 0
	for _, o := range orders {
		o.RLock()
		n += len(o.AuthorizationObjects)
		o.RUnlock()
	}
	return n
}

// lockHeld reports whether the issuance lock for the host is in Redis.
func (c *certCluster) lockHeld() bool {
	rc := redis.NewClient(&redis.Options{Addr: c.redis.Addr()})
	defer rc.Close()
	n, _ := rc.Exists(context.Background(), "{"+c.prefix+"}/l/issue_cert_"+c.host).Result()
	return n == 1
}

// certEdge is one edge process of a certCluster.
type certEdge struct {
	*edgeProcess
	name      string
	httpsPort int
}

// serve returns the leaf e serves for host once it verifies against
// roots, failing the test after timeout.
func (e *certEdge) serve(t *testing.T, host string, roots *x509.CertPool, timeout time.Duration) (*x509.Certificate, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		d := &net.Dialer{Timeout: 2 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(e.httpsPort), &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12})
		if err == nil {
			leaf := conn.ConnectionState().PeerCertificates[0]
			conn.Close()
			return leaf, time.Now()
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("%s did not serve a certificate for %s within %s: %v\n%s", e.name, host, timeout, last, tail(e.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logEvent is one line of Caddy's JSON log.
type logEvent struct {
	TS         float64 `json:"ts"`
	Msg        string  `json:"msg"`
	Identifier string  `json:"identifier"`
}

// Time is when the event was logged.
func (l logEvent) Time() time.Time {
	return time.Unix(0, int64(l.TS*float64(time.Second)))
}

// events returns the log lines of e whose message is msg for identifier.
func (e *certEdge) events(msg, identifier string) []logEvent {
	f, err := os.Open(e.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []logEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev logEvent
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Msg == msg && ev.Identifier == identifier {
			out = append(out, ev)
		}
	}
	return out
}

// waitEvent waits until e has logged msg for identifier and returns it.
func (e *certEdge) waitEvent(t *testing.T, msg, identifier string, timeout time.Duration) logEvent {
	t.Helper()
	var got logEvent
	waitUntil(t, timeout, e.name+" logging "+strconv.Quote(msg), func() bool {
		evs := e.events(msg, identifier)
		if len(evs) > 0 {
			got = evs[0]
			return true
		}
		return false
	})
	return got
}

// frontProxy is a TCP front door for the edges' HTTP ports, as a load
// balancer would be: each connection goes to the first edge that accepts
// it, so the VA reaches a live edge whichever one placed the order.
type frontProxy struct {
	Port  int
	mu    sync.Mutex
	back  []int
	conns map[net.Conn]struct{}
}

func startFrontProxy(t *testing.T) *frontProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &frontProxy{Port: l.Addr().(*net.TCPAddr).Port, conns: map[net.Conn]struct{}{}}
	var wg sync.WaitGroup
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.serve(in)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		for c := range f.conns {
			c.Close() // idle keep-alive connections of the VA
		}
		f.mu.Unlock()
		wg.Wait()
	})
	return f
}

func (f *frontProxy) add(port int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.back = append(f.back, port)
}

// track records c as open, or forgets it.
func (f *frontProxy) track(c net.Conn, open bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if open {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *frontProxy) serve(in net.Conn) {
	f.track(in, true)
	defer f.track(in, false)
	defer in.Close()
	f.mu.Lock()
	back := append([]int(nil), f.back...)
	f.mu.Unlock()
	for _, port := range back {
		out, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			continue
		}
		f.track(out, true)
		defer f.track(out, false)
		// Either side ending ends both.
		done := make(chan struct{})
		go func() {
			_, _ = io.Copy(out, in)
			out.Close()
			in.Close()
			close(done)
		}()
		_, _ = io.Copy(in, out)
		out.Close()
		in.Close()
		<-done
		return
	}
}

// holdFirstChallenge makes Pebble hold the first challenge-ready request
// (the order's holder is then mid-order, holding the issuance lock) until
// release is closed; it returns a channel closed when that happens.
func holdFirstChallenge(p *pebble, release <-chan struct{}) <-chan struct{} {
	held := make(chan struct{})
	var once sync.Once
	p.mu.Lock()
	p.onChallenge = func(*core.Challenge) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(held)
			<-release
		}
	}
	p.mu.Unlock()
	return held
}

var errNotSealed = errors.New("record not sealed")

// allSealed checks that every record in the shared storage is AES-GCM
// sealed.
func (c *certCluster) allSealed() error {
	rc := redis.NewClient(&redis.Options{Addr: c.redis.Addr()})
	defer rc.Close()
	ctx := context.Background()
	keys, err := rc.ZRange(ctx, "{"+c.prefix+"}/i", 0, -1).Result()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("storage is empty")
	}
	for _, k := range keys {
		if f := rc.HGet(ctx, "{"+c.prefix+"}/f/"+k, "f").Val(); f != "aes256gcm1" {
			return errors.Join(errNotSealed, errors.New(k+" is "+f))
		}
	}
	return nil
}
