//go:build !unix

package pipeline

import "os"

// excludeOthers does nothing: without flock on this platform the LOCK file
// does not exclude a second pipeline.
func excludeOthers(*os.File, string) error { return nil }
