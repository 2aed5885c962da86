package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockSpool opens dir/LOCK and holds it open for the spool's life. Where
// the platform allows it, excludeOthers also keeps a second pipeline off
// the same spool.
func lockSpool(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock audit spool: %w", err)
	}
	if err := excludeOthers(f, dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
