package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// edgeBinary builds cmd/ocomms-caddy once per test run and returns its path.
func edgeBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ocomms-caddy-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "ocomms-caddy")
		binaryOut, binaryErr = exec.Command("go", "build", "-o", binaryPath, "../cmd/ocomms-caddy").CombinedOutput()
	})
	if binaryErr != nil {
		t.Fatalf("building ocomms-caddy: %v\n%s", binaryErr, binaryOut)
	}
	return binaryPath
}

// skipInShort skips t in -short mode; why says what the test would start.
func skipInShort(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
}

// ocommsCLI runs `ocomms-caddy ocomms args...` and returns its combined
// output.
func ocommsCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(edgeBinary(t), append([]string{"ocomms"}, args...)...).CombinedOutput()
	return string(out), err
}

// freeAdminAddr returns a free loopback address for an edge's admin API
// and its port, for a Caddyfile's {ADMINPORT}.
func freeAdminAddr(t *testing.T) (addr, port string) {
	t.Helper()
	port = strconv.Itoa(testsupport.FreePort(t))
	return "127.0.0.1:" + port, port
}

// edgeProcess is one ocomms-caddy process started by a test.
type edgeProcess struct {
	Port int
	cmd  *exec.Cmd
	log  string
}

// startEdgeProcess runs the binary with caddyfile (after replacing {PORT}
// with a free port) and waits until it accepts connections. It is killed
// when the test ends.
func startEdgeProcess(t *testing.T, caddyfile string, env ...string) *edgeProcess {
	t.Helper()
	dir := t.TempDir()
	p := &edgeProcess{log: filepath.Join(dir, "caddy.log")}
	p.Port = testsupport.FreePort(t)
	cfgPath := filepath.Join(dir, "Caddyfile")
	cfg := []byte(strings.ReplaceAll(caddyfile, "{PORT}", strconv.Itoa(p.Port)))
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(edgeBinary(t), "run", "--config", cfgPath, "--adapter", "caddyfile")
	p.cmd.Env = append(os.Environ(), append([]string{"XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		logFile.Close()
		if t.Failed() {
			t.Logf("edge on %d log tail:\n%s", p.Port, tail(p.log, 20))
		}
	})
	if err := testsupport.WaitListening("127.0.0.1:"+strconv.Itoa(p.Port), 20*time.Second); err != nil {
		t.Fatalf("edge process did not listen on %d: %v\n%s", p.Port, err, tail(p.log, 30))
	}
	return p
}

// kill ends the process at once with SIGKILL: no clean shutdown, no
// closing checkpoint, no Unlock.
func (p *edgeProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing the edge on %d: %v", p.Port, err)
	}
	_ = p.cmd.Wait()
}

// terminate stops the process with SIGTERM (a clean shutdown, which
// flushes the audit pipeline) and waits for it to exit.
func (p *edgeProcess) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("edge did not stop on SIGTERM")
	}
}

// URL returns a URL on the process's plain-HTTP site.
func (p *edgeProcess) URL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", p.Port, path)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}
