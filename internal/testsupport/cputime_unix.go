//go:build unix

package testsupport

import (
	"syscall"
	"testing"
	"time"
)

// ReportCPU returns a function that, called at the end of a benchmark,
// reports the process's CPU time (user + system, garbage collection
// included) per operation as cpu-ns/op. On a machine shared with other
// work, wall-clock ns/op counts the time this process waited for a core;
// CPU time mostly does not.
func ReportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
