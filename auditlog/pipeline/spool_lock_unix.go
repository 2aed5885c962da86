//go:build unix

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// excludeOthers takes an exclusive, non-blocking flock on the spool's LOCK
// file f so that two pipelines (two processes, or two in one process, e.g.
// across a Caddy reload that did not reuse the first) never write one
// chain at once.
func excludeOthers(f *os.File, dir string) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("audit spool %s is in use by another pipeline: share one pipeline per spool directory", dir)
		}
		return fmt.Errorf("lock audit spool: %w", err)
	}
	return nil
}
