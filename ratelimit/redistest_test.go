package ratelimit

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// Shared helpers for the Redis store tests: the shared Redis on 6379 (never
// flushed or stopped), redis-server processes a test starts and kills
// itself and a small Redis Cluster.

// testPrefix returns a key prefix no other test uses and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, c redis.UniversalClient) string {
	return testsupport.RedisTestPrefix(t, c, "rltest") + ":"
}

// scanKeys lists the keys starting with prefix (on every master of a
// cluster).
func scanKeys(t testing.TB, ctx context.Context, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	err := testsupport.ForEachRedisKey(t, ctx, c, prefix+"*", func(_ context.Context, _ *redis.Client, key string) {
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
	})
	if err != nil {
		t.Logf("listing test keys: %v", err)
	}
	return keys
}

// redisProc is a redis-server started by a test on a free port, without
// persistence, killed at the end of the test.
type redisProc struct {
	t    testing.TB
	port int
	args []string
	dir  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedisServer starts a redis-server with extra arguments, or ends the
// test as ServiceUnavailable when the binary is missing.
func startRedisServer(t testing.TB, extra ...string) *redisProc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		testsupport.ServiceUnavailable(t, "redis-server", err)
	}
	p := &redisProc{t: t, port: testsupport.FreePort(t), dir: t.TempDir()}
	p.args = append([]string{
		"--port", strconv.Itoa(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", p.dir, "--logfile", "",
	}, extra...)
	p.start()
	t.Cleanup(p.Kill)
	return p
}

// Addr is the server's host:port.
func (p *redisProc) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// start launches the server and waits until it answers PING.
func (p *redisProc) start() {
	p.t.Helper()
	cmd := exec.Command("redis-server", p.args...)
	if err := cmd.Start(); err != nil {
		testsupport.ServiceUnavailable(p.t, "redis-server", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := pingAddr(p.Addr())
		if err == nil {
			return
		}
		select {
		case <-exited:
			p.t.Fatalf("redis-server on port %d exited at start: %v", p.port, err)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("redis-server on port %d did not answer: %v", p.port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL (mid-flight, as a crash would) and
// waits for it to exit. Killing a stopped server does nothing.
func (p *redisProc) Kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart starts the server again on the same port (empty: no persistence).
func (p *redisProc) Restart() { p.start() }

// Signal sends sig (SIGSTOP, SIGCONT) to the running server.
func (p *redisProc) Signal(sig syscall.Signal) {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		p.t.Fatal("redis-server is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signalling redis-server: %v", err)
	}
}

// Client returns a client of the server with context deadlines enabled,
// closed at the end of the test.
func (p *redisProc) Client(t testing.TB) *redis.Client { return addrClient(t, p.Addr()) }

// addrClient returns a client of the Redis at addr with context deadlines
// enabled, closed at the end of the test.
func addrClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// pingAddr sends one RESP PING over a fresh connection.
func pingAddr(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	return "127.0.0.1:" + strconv.Itoa(testsupport.FreePort(t))
}

// commandCalls reads INFO commandstats: calls per command.
func commandCalls(t testing.TB, c *redis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				calls[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return calls
}

// serverMicros is the Redis server's clock in microseconds.
func serverMicros(t testing.TB, c redis.Cmdable) int64 {
	t.Helper()
	now, err := c.Time(context.Background()).Result()
	if err != nil {
		t.Fatalf("TIME: %v", err)
	}
	return now.UnixMicro()
}

// goroutinesRunning reports whether any goroutine's stack contains fn.
func goroutinesRunning(fn string) bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Contains(string(buf[:n]), fn)
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitFor polls cond every few milliseconds until it holds or timeout
// passes, and reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
