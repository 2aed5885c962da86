//go:build !linux

package password

import "time"

// threadCPU is not measured off Linux; the cpu-* metrics read 0.
func threadCPU() time.Duration { return 0 }
