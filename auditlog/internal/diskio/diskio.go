package diskio

import (
	"fmt"
	"io/fs"
	"os"
)

// PrivateDir creates dir with mode 0700, or tightens an existing directory
// that group or others may enter to 0700: audit files, the spool and the
// signing key live there. It returns the mode it replaced (0 when nothing
// changed), for the caller to log. When the directory cannot be tightened
// (another owner), it refuses with the command that fixes it.
func PrivateDir(dir string) (fs.FileMode, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("create %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", dir, err)
	}
	if !st.IsDir() {
		return 0, fmt.Errorf("%s is not a directory", dir)
	}
	perm := st.Mode().Perm()
	if perm&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(dir, perm&^0o077|0o700); err != nil {
		return 0, fmt.Errorf("%s has mode %v, open to group or others, and could not be tightened (run chmod 700 %s as its owner): %w", dir, perm, dir, err)
	}
	return perm, nil
}

// SyncDir fsyncs a directory so a rename or create in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
