package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// env holds the processes and resources of one run.
type env struct {
	dir      string
	caddyBin string
	upBin    string
	procs    []*proc
	dropDB   func()
	// admin maps a configuration to its admin API address (-pprof).
	admin map[string]string
	// pids maps a configuration to its Caddy's process id; redisPid is
	// the redis-server's.
	pids     map[string]int
	redisPid int
}

// proc is a started process; done receives its exit.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

// close stops every process (SIGKILL, then wait) and drops the database.
func (e *env) close() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	e.procs = nil
	if e.dropDB != nil {
		e.dropDB()
		e.dropDB = nil
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections, or p exits.
func waitTCP(p *proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("%s exited before listening on %s: %v", p.name, addr, err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections: %w", addr, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// build compiles cmd/ocomms-caddy and cmd/ocomms-demo-upstream from the
// module at root into the run's directory.
func (e *env) build(root string) error {
	e.caddyBin = filepath.Join(e.dir, "ocomms-caddy")
	e.upBin = filepath.Join(e.dir, "ocomms-demo-upstream")
	for bin, pkg := range map[string]string{e.caddyBin: "./cmd/ocomms-caddy", e.upBin: "./cmd/ocomms-demo-upstream"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return nil
}

// start runs a process with its output in the run directory.
func (e *env) start(name string, cmd *exec.Cmd) (*proc, error) {
	log, err := os.Create(filepath.Join(e.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		log.Close()
		p.done <- err
	}()
	e.procs = append(e.procs, p)
	return p, nil
}

// startUpstream runs the demo OComms and returns its address.
func (e *env) startUpstream() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := e.start("upstream", exec.Command(e.upBin, "-listen", addr))
	if err != nil {
		return "", err
	}
	return addr, waitTCP(p, addr, 20*time.Second)
}

// startRedis runs a fresh, non-persistent redis-server and returns its
// URL, or "" when redis-server is not installed.
func (e *env) startRedis() (string, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return "", nil
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	p, err := e.start("redis", cmd)
	if err != nil {
		return "", err
	}
	e.redisPid = cmd.Process.Pid
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return "redis://" + addr, waitTCP(p, addr, 10*time.Second)
}

// createDatabase makes a uniquely named database on the shared PostgreSQL
// and returns its URL, or "" when the server is unreachable. It is dropped
// by close.
func (e *env) createDatabase(adminURL string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return ""
	}
	defer conn.Close(context.Background())
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "ocomms_bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return ""
	}
	e.dropDB = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: could not drop database %s: %v\n", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: could not drop database %s: %v\n", name, err)
		}
	}
	cfg := conn.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// startCaddy runs one configuration on a free port and returns its base URL.
func (e *env) startCaddy(c config, up string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	if c.admin == -1 {
		if c.admin, err = freePort(); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(e.dir, c.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(c.caddyfile(port, up)), 0o600); err != nil {
		return "", err
	}
	cmd := exec.Command(e.caddyBin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	p, err := e.start("caddy-"+c.name, cmd)
	if err != nil {
		return "", err
	}
	e.pids[c.name] = cmd.Process.Pid
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitTCP(p, addr, 30*time.Second); err != nil {
		return "", fmt.Errorf("%s: %w (see %s)", c.name, err, filepath.Join(e.dir, "caddy-"+c.name+".log"))
	}
	if c.admin > 0 {
		e.admin[c.name] = "127.0.0.1:" + strconv.Itoa(c.admin)
	}
	return "http://" + addr, nil
}
