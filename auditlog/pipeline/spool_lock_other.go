//go:build !unix

package auditlog

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockSpool holds dir/LOCK open; without flock on this platform it does
// not exclude a second pipeline.
func lockSpool(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock audit spool: %w", err)
	}
	return f, nil
}
