//go:build unix

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockSpool takes an exclusive, non-blocking flock on dir/LOCK so that two
// pipelines (two processes, or two in one process, e.g. across a Caddy
// reload that did not reuse the first) never write one chain at once.
func lockSpool(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock audit spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("audit spool %s is in use by another pipeline: share one pipeline per spool directory", dir)
		}
		return nil, fmt.Errorf("lock audit spool: %w", err)
	}
	return f, nil
}
