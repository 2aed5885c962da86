// Package nodeapp starts the real Node.js upstreams the tests put behind the
// edge (better-auth from npm, a Next.js app, a Socket.IO server), each from
// a folder under testapps/ with a committed package-lock.json.
//
// It owns only process lifetime: find node, check the folder's packages are
// installed (`npm ci` there; .ci/run does it for CI), start a script with a
// free port in its environment, wait until it listens, stop it when the test
// ends. A missing node or missing node_modules ends the test through
// testsupport.ServiceUnavailable: a skip locally, a failure in CI.
package nodeapp

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// App is a running Node process.
type App struct {
	// Port is where it listens on 127.0.0.1.
	Port int
	cmd  *exec.Cmd
	out  *testsupport.LockedBuffer
}

// Addr is host:port of the app.
func (a *App) Addr() string { return "127.0.0.1:" + strconv.Itoa(a.Port) }

// URL is http://host:port of the app.
func (a *App) URL() string { return "http://" + a.Addr() }

// Output is what the process printed so far (stdout and stderr).
func (a *App) Output() string { return a.out.String() }

// Dir returns the absolute path of testapps/<name> in this repository.
func Dir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testapps", name)
}

// Options are how an app is started.
type Options struct {
	// Args are node's arguments, the script first (relative to the app's
	// folder), e.g. []string{"server.mjs"}.
	Args []string
	// Env is added to the process environment; PORT is set to the chosen
	// port unless Env sets it.
	Env []string
	// Ready is how long to wait for the port to accept connections.
	// Default: 60s.
	Ready time.Duration
}

// Start runs node in testapps/<name> and stops it when the test ends.
func Start(t testing.TB, name string, opt Options) *App {
	t.Helper()
	node, dir := installed(t, name)
	port := testsupport.FreePort(t)
	out := &testsupport.LockedBuffer{}
	cmd := exec.Command(node, opt.Args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "HOSTNAME=127.0.0.1")
	cmd.Env = append(cmd.Env, opt.Env...)
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node %v in %s: %v", opt.Args, dir, err)
	}
	app := &App{Port: port, cmd: cmd, out: out}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("testapps/%s output:\n%s", name, out.String())
		}
	})
	ready := opt.Ready
	if ready <= 0 {
		ready = 60 * time.Second
	}
	deadline := time.Now().Add(ready)
	for {
		conn, err := net.DialTimeout("tcp", app.Addr(), time.Second)
		if err == nil {
			_ = conn.Close()
			return app
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("testapps/%s exited before listening (%v):\n%s", name, err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("testapps/%s did not listen on %s within %s:\n%s", name, app.Addr(), ready, out.String())
		}
	}
}
