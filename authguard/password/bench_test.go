package password

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/trustelem/zxcvbn"
)

// benchInputs are normal and adversarial passwords, the adversarial ones
// at the maximum length (128 UTF-16 units).
func benchInputs() []struct{ name, pw string } {
	cycle := func(s string, n int) string { return strings.Repeat(s, n/len(s)+1)[:n] }
	rng := rand.New(rand.NewPCG(7, 7))
	digits := make([]byte, 128)
	for i := range digits {
		digits[i] = byte('0' + rng.IntN(10))
	}
	return []struct{ name, pw string }{
		{"normal/passphrase-24", "plum ferry lantern quota"},
		{"normal/passphrase-128", passphraseOf(128)},
		{"normal/leaked", "1qaz2wsx3edc4rfv"},
		{"normal/too-short", "hunter2"},
		{"max/punctuation-same", strings.Repeat("!", 128)},
		{"max/punctuation-row", cycle("!@#$%^&*()_+", 128)},
		{"max/punctuation-mixed", cycle(`!"#$%&'()*+,-./:;<=>?@[\]^_{|}~`, 128)},
		{"max/digits-same", strings.Repeat("1", 128)},
		{"max/digits-seq", cycle("0123456789", 128)},
		{"max/digits-random", string(digits)},
		{"max/dates", cycle("19851986198719881989", 128)},
		{"max/keyboard-row", cycle("qwertyuiopasdfghjklzxcvbnm", 128)},
		{"max/keyboard-diagonal", cycle("1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", 128)},
		{"max/keyboard-shifted", cycle("!QAZ@WSX#EDC$RFV%TGB^YHN&UJM*IK<(OL>)P:?", 128)},
		{"max/l33t-password", cycle("p@55w0rd", 128)},
		{"max/l33t-words", cycle("Tr0ub4dor&3m0nk3y$h@d0w", 128)},
		{"max/emoji", distinctEmoji(64)},
		{"max/emoji-same", strings.Repeat("😀", 64)},
		{"max/accented-same", strings.Repeat("é", 128)},
		{"max/nfkc-expanding", strings.Repeat("\ufdfa", 128)}, // NFKC: 18 code points each
	}
}

// runTimed runs f b.N times on one locked OS thread and reports the
// p50, p99 and max of the single-call latencies in milliseconds (wall
// clock, what a user waits on this machine as loaded as it is) and the
// p50 and p99 of each call's thread CPU time (cpu-*: what a call costs,
// apart from waiting for a core while other work runs).
func runTimed(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, t0 := threadCPU(), time.Now()
		f()
		wall = append(wall, time.Since(t0))
		cpu = append(cpu, threadCPU()-c0)
	}
	b.StopTimer()
	reportLatency(b, wall)
	sortDurations(cpu)
	b.ReportMetric(millis(cpu[len(cpu)/2]), "cpu-p50-ms")
	b.ReportMetric(millis(cpu[(len(cpu)*99)/100]), "cpu-p99-ms")
}

func millis(x time.Duration) float64 { return float64(x) / 1e6 }

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sortDurations(d)
	b.ReportMetric(millis(d[len(d)/2]), "p50-ms")
	b.ReportMetric(millis(d[(len(d)*99)/100]), "p99-ms")
	b.ReportMetric(millis(d[len(d)-1]), "max-ms")
}

// BenchmarkCheckPassword: one check at a time, default policy, with the
// context of a sign-up.
func BenchmarkCheckPassword(b *testing.B) {
	p := newPolicy(b, PasswordOptions{})
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			runTimed(b, func() { p.CheckPassword(in.pw, alice) })
		})
	}
}

// BenchmarkScoreLength shows why the estimate reads only a prefix: the
// worst inputs above, scored on 32, 48 and 64 code points.
func BenchmarkScoreLength(b *testing.B) {
	for _, n := range []int{32, 48, 64} {
		for _, in := range benchInputs() {
			if !strings.HasPrefix(in.name, "max/punctuation") && !strings.HasPrefix(in.name, "max/keyboard") {
				continue
			}
			b.Run(in.name+"/"+itoa(n), func(b *testing.B) {
				runTimed(b, func() { strength(in.pw, n, nil) })
			})
		}
	}
}

// BenchmarkCheckPasswordConcurrent: 200 goroutines check the worst input
// at once. "bounded" is CheckPassword (GOMAXPROCS score slots); "unbounded"
// calls zxcvbn directly with no semaphore; "serial" is one at a time. Each
// reports the most estimates ever running at once (peak-inflight), CPU time
// per check (cpu-ms/op, from getrusage) and latency per check including
// any wait for a slot.
func BenchmarkCheckPasswordConcurrent(b *testing.B) {
	pw := strings.Repeat("!@#$%^&*()_+", 3)[:32]
	p := newPolicy(b, PasswordOptions{NoBlocklist: true})
	var now, peak atomic.Int64
	unbounded := func() {
		n := now.Add(1)
		for pk := peak.Load(); n > pk && !peak.CompareAndSwap(pk, n); pk = peak.Load() {
		}
		zxcvbn.PasswordStrength(pw, nil)
		now.Add(-1)
	}
	cases := []struct {
		name       string
		goroutines int
		f          func()
		peak       func() int64
	}{
		{"serial", 1, func() { p.CheckPassword(pw, nil) }, scoringPeak.Load},
		{"bounded-200", 200, func() { p.CheckPassword(pw, nil) }, scoringPeak.Load},
		{"unbounded-200", 200, unbounded, peak.Load},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			scoringPeak.Store(0)
			peak.Store(0)
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			var next atomic.Int64
			cpu0 := cpuTime()
			b.ResetTimer()
			var wg sync.WaitGroup
			for g := 0; g < c.goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						c.f()
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(c.peak()), "peak-inflight")
			reportLatency(b, lat)
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBlocklistLoad parses the embedded list and reports the heap it
// keeps (heap-bytes) next to the time and allocation of one parse.
func BenchmarkBlocklistLoad(b *testing.B) {
	var kept *blocklist
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		if kept, err = parseBlocklist(passwordBlocklistGz); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)), "heap-bytes")
	b.ReportMetric(float64(kept.Len()), "entries")
	runtime.KeepAlive(kept)
}

func BenchmarkBlocklistLookup(b *testing.B) {
	list := embeddedBlocklist(b)
	keys := []string{"password", "zzzzzzzz", "plum ferry lantern quota", "1qaz2wsx3edc4rfv"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list.has(jscase.ToLower(keys[i%len(keys)]))
	}
}

func itoa(n int) string {
	return strings.TrimLeft(string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}), "0")
}
