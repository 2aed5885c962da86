package doctor

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// sharedRedis is the machine's Redis; sharedPostgres its PostgreSQL
// (trust authentication, database test, no TLS enforced).
const (
	sharedRedis    = "redis://127.0.0.1:6379"
	sharedPostgres = "postgres://postgres@127.0.0.1:5432/test"
)

// requireTCP ends the test as a missing service when addr does not accept.
func requireTCP(t *testing.T, service, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		testsupport.ServiceUnavailable(t, service, err)
	}
	c.Close()
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string { return strconv.Itoa(testsupport.FreePort(t)) }

func TestRedisCheckSharedLoopback(t *testing.T) {
	requireTCP(t, "redis", "127.0.0.1:6379")
	res := checkRedis(context.Background(), Options{RedisURL: sharedRedis}.withDefaults())
	if !passOrSlow(res) || !strings.Contains(res.Detail, "PONG") || !strings.Contains(res.Detail, "loopback") {
		t.Fatalf("got %s %q", res.Status, res.Detail)
	}
	if _, ok := res.Data["ping_median_ms"]; !ok {
		t.Fatal("no latency figure")
	}
}

func TestRedisCheckClosedPort(t *testing.T) {
	url := "redis://:hunter22@127.0.0.1:" + closedPort(t)
	res := checkRedis(context.Background(), Options{RedisURL: url, Timeout: 2 * time.Second}.withDefaults())
	if res.Status != Fail || res.Fix == "" {
		t.Fatalf("got %s %q", res.Status, res.Detail)
	}
	if strings.Contains(res.Detail, "hunter22") {
		t.Fatalf("password in detail: %q", res.Detail)
	}
}

// TestRedisCheckPlaintextOffLoopback reaches a test-owned redis-server
// through a non-loopback address of this machine.
func TestRedisCheckPlaintextOffLoopback(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		testsupport.ServiceUnavailable(t, "redis-server", err)
	}
	ip := nonLoopbackIP(t)
	port := closedPort(t)
	cmd := exec.Command("redis-server", "--port", port, "--bind", ip, "--save", "", "--appendonly", "no", "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort(ip, port)
	waitTCP(t, addr)
	res := checkRedis(context.Background(), Options{RedisURL: "redis://" + addr}.withDefaults())
	if res.Status != Warn || !strings.Contains(res.Fix, "rediss://") {
		t.Fatalf("got %s %q fix %q", res.Status, res.Detail, res.Fix)
	}
}

// nonLoopbackIP returns an IPv4 address of this machine that is not
// loopback, or skips.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address")
	return ""
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	if err := testsupport.WaitListening(addr, 15*time.Second); err != nil {
		t.Fatalf("%s did not accept: %v", addr, err)
	}
}

func TestPostgresCheckShared(t *testing.T) {
	requireTCP(t, "postgres", "127.0.0.1:5432")
	res := checkPostgres(context.Background(), Options{PostgresURL: sharedPostgres}.withDefaults())
	if res.Status != Pass || !strings.Contains(res.Detail, "PostgreSQL") || !strings.Contains(res.Detail, "loopback") {
		t.Fatalf("got %s %q", res.Status, res.Detail)
	}
}

func TestPostgresCheckClosedPort(t *testing.T) {
	url := "postgres://postgres:s3cretpw@127.0.0.1:" + closedPort(t) + "/test"
	res := checkPostgres(context.Background(), Options{PostgresURL: url, Timeout: 2 * time.Second}.withDefaults())
	if res.Status != Fail || res.Fix == "" || strings.Contains(res.Detail, "s3cretpw") {
		t.Fatalf("got %s %q", res.Status, res.Detail)
	}
}

// TestAppDatabaseShared checks the shared server as an app database: it
// offers TLS but accepts plaintext (trust), which is SEC-05's failure.
func TestAppDatabaseShared(t *testing.T) {
	requireTCP(t, "postgres", "127.0.0.1:5432")
	url := "postgresql://postgres:notused@127.0.0.1:5432/test?sslmode=require&schema=public"
	res := map[string]Result{}
	for _, r := range checkAppDatabase(context.Background(), Options{AppDatabaseURL: url}.withDefaults()) {
		res[r.Name] = r
		if strings.Contains(r.Detail+r.Fix, "notused") {
			t.Fatalf("password shown: %+v", r)
		}
	}
	if r := res["app db url"]; r.Status != Warn || !strings.Contains(r.Detail, "not verified") {
		t.Errorf("url: %s %q", r.Status, r.Detail)
	}
	if r := res["app db server tls"]; r.Status != Pass || !strings.Contains(r.Detail, "offers TLS") {
		t.Errorf("server tls: %s %q", r.Status, r.Detail)
	}
	r := res["app db plaintext refused"]
	if r.Status != Fail || !strings.Contains(r.Detail, "accepted a plaintext session") || !strings.Contains(r.Fix, "hostssl") {
		t.Errorf("plaintext: %s %q fix %q", r.Status, r.Detail, r.Fix)
	}
}

func TestAppDatabaseURLWithoutSSLMode(t *testing.T) {
	res := appURLResult("app db url", "x", appTLSPolicy("postgresql://u:p@db/ocomms"))
	if res.Status != Warn || !strings.Contains(res.Detail, "allows plaintext") {
		t.Fatalf("got %s %q", res.Status, res.Detail)
	}
}

// passOrSlow accepts a pass, or a warning whose only reason is latency (a
// loaded test machine can be slower than redisSlow).
func passOrSlow(r Result) bool {
	return r.Status == Pass || (r.Status == Warn && strings.Contains(r.Detail, "slow: over") && !strings.Contains(r.Detail, "not loopback"))
}
