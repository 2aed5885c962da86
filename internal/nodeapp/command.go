package nodeapp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// installed returns node's path and testapps/<name>, ending the test
// through testsupport.ServiceUnavailable when node or the folder's packages
// are missing.
func installed(t testing.TB, name string) (node, dir string) {
	t.Helper()
	dir = Dir(name)
	node, err := exec.LookPath("node")
	if err != nil {
		testsupport.ServiceUnavailable(t, "node", errors.New("no node on PATH"))
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		testsupport.ServiceUnavailable(t, "npm packages of testapps/"+name,
			fmt.Errorf("run `npm ci` in %s: %w", dir, err))
	}
	return node, dir
}

// Command returns node running args (the script first) in testapps/<name>,
// for one-shot scripts such as a client that reports and exits. The
// caller runs it; it is killed when the test ends if still running.
func Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	node, dir := installed(t, name)
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}
