package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report collects a run's figures.
type report struct {
	opts   options
	cfgs   []config
	total  map[string][]result   // scenario → per configuration
	rounds map[string][][]result // scenario → configuration → round
	flood  []result              // per configuration
	paced  map[string][][]result // scenario → paced level → configuration, open loop
	// pacedRate is the rate each paced level offered, per scenario.
	pacedRate map[string][]float64
	machine   string
	caddyVer  string
	lockout   lockoutResult
}

// newReport prepares a report for cfgs.
func newReport(o options, cfgs []config, caddyBin string) *report {
	r := &report{opts: o, cfgs: cfgs, total: map[string][]result{}, rounds: map[string][][]result{}, flood: make([]result, len(cfgs)),
		paced: map[string][][]result{}, pacedRate: map[string][]float64{}}
	for _, sc := range scenarios {
		r.total[sc.name] = make([]result, len(cfgs))
		r.rounds[sc.name] = make([][]result, len(cfgs))
		r.paced[sc.name] = make([][]result, len(pacedFractions))
		for lvl := range pacedFractions {
			r.paced[sc.name][lvl] = make([]result, len(cfgs))
		}
	}
	r.machine = machine()
	if out, err := exec.Command(caddyBin, "version").Output(); err == nil {
		r.caddyVer = strings.Fields(string(out))[0]
	}
	return r
}

// add records one measurement.
func (r *report) add(sc string, cfg, round int, res result) {
	r.total[sc][cfg].merge(res)
	r.rounds[sc][cfg] = append(r.rounds[sc][cfg], res)
}

// addPaced records one paced measurement.
func (r *report) addPaced(sc string, level, cfg int, res result) {
	r.paced[sc][level][cfg].merge(res)
}

// slowestRate is the lowest closed-loop rate of any configuration.
func (r *report) slowestRate(sc string) float64 {
	lowest := 0.0
	for i, res := range r.total[sc] {
		if i == 0 || res.rate() < lowest {
			lowest = res.rate()
		}
	}
	return lowest
}

// pacedTable renders a scenario's open-loop latencies.
func (r *report) pacedTable(b *strings.Builder, sc string, level int) {
	fmt.Fprintf(b, "\nPaced at %.0f ops/s (%.0f%% of the slowest closed-loop rate) offered to each configuration:\n\n", r.pacedRate[sc][level], pacedFractions[level]*100)
	b.WriteString("| configuration | ops/s done | p50 ms | +p50 ms | p99 ms | +p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---:|\n")
	base := r.paced[sc][level][0]
	for i, c := range r.cfgs {
		res := r.paced[sc][level][i]
		dp50, dp99 := signedMS(res.percentile(50)-base.percentile(50)), signedMS(res.percentile(99)-base.percentile(99))
		if i == 0 {
			dp50, dp99 = "", ""
		}
		errs := fmt.Sprint(res.errs)
		if res.errs > 0 {
			errs += " (" + res.firstErr + ")"
		}
		fmt.Fprintf(b, "| `%s` | %.0f | %s | %s | %s | %s | %s |\n", c.name, res.rate(), ms(res.percentile(50)), dp50, ms(res.percentile(99)), dp99, errs)
	}
}

// fractionList renders pacedFractions as "10% and 50%".
func fractionList() string {
	parts := make([]string, len(pacedFractions))
	for i, f := range pacedFractions {
		parts[i] = fmt.Sprintf("%.0f%%", f*100)
	}
	return strings.Join(parts, " and ")
}

// machine describes the CPU and the Go toolchain.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average at the end " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s %s/%s%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d.Microseconds())/1000) }

// signedMS formats a latency difference in milliseconds.
func signedMS(d time.Duration) string { return fmt.Sprintf("%+.3f", float64(d.Microseconds())/1000) }

// ratios returns the median, minimum and maximum over rounds of the
// configuration's rate divided by stock's in the same round.
func (r *report) ratios(sc string, cfg int) (med, lo, hi float64) {
	var rs []float64
	for i, res := range r.rounds[sc][cfg] {
		base := r.rounds[sc][0][i].rate()
		if base > 0 {
			rs = append(rs, res.rate()/base)
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	sort.Float64s(rs)
	return rs[len(rs)/2], rs[0], rs[len(rs)-1]
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	cmd := "go run ./cmd/ocomms-bench"
	if r.opts.quick {
		cmd += " -quick"
	}
	fmt.Fprintf(&b, "## End-to-end benchmark (`%s`)\n\n", cmd)
	fmt.Fprintf(&b, "- Machine: %s; Caddy %s.\n", r.machine, r.caddyVer)
	gen := "a minimal HTTP/1.1 client (`-client raw`: one buffer per request, only the framing headers of an answer read, like wrk)"
	if r.opts.client == "nethttp" {
		gen = "Go's net/http client (`-client nethttp`: every answer's headers parsed into a map)"
	}
	fmt.Fprintf(&b, "- Load generator: %s in the bench process, %d keep-alive connections, sharing the machine with the servers under test.\n", gen, r.opts.concurrency)
	fmt.Fprintf(&b, "- Closed loop: %d rounds × %v per configuration and scenario, configurations interleaved in a rotating order; then the same rounds paced (open loop) at %s of the slowest configuration's closed-loop rate, latency counted from when each request was due.\n", r.opts.rounds, r.opts.duration, fractionList())
	b.WriteString("- Each configuration is its own `ocomms-caddy` process on plain HTTP (loopback), in front of one `ocomms-demo-upstream` process.\n")
	b.WriteString("- Configurations:\n")
	for _, c := range r.cfgs {
		mods := ""
		if len(c.modules) > 0 {
			mods = ": " + strings.Join(c.modules, ", ")
		}
		fmt.Fprintf(&b, "  - `%s` — %s%s\n", c.name, c.note, mods)
	}
	b.WriteString("\nThroughput is closed-loop (every connection sends its next request when the answer arrives): ratios are per round against `stock` in the same round, median (min–max); its latencies are mostly the queue in front of a saturated server. Added latency is read from the paced run below each table, where every configuration gets the same offered load. Deltas are against `stock`.\n")
	for _, sc := range scenarios {
		fmt.Fprintf(&b, "\n### %s\n\n", sc.title)
		b.WriteString("| configuration | ops/s | × stock | p50 ms | +p50 ms | p99 ms | +p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		base := r.total[sc.name][0]
		for i, c := range r.cfgs {
			res := r.total[sc.name][i]
			med, lo, hi := r.ratios(sc.name, i)
			ratio := fmt.Sprintf("%.2f (%.2f–%.2f)", med, lo, hi)
			dp50, dp99 := signedMS(res.percentile(50)-base.percentile(50)), signedMS(res.percentile(99)-base.percentile(99))
			if i == 0 {
				ratio, dp50, dp99 = "1", "", ""
			}
			errs := fmt.Sprint(res.errs)
			if res.errs > 0 {
				errs += " (" + res.firstErr + ")"
			}
			fmt.Fprintf(&b, "| `%s` | %.0f | %s | %s | %s | %s | %s | %s |\n", c.name, res.rate(), ratio, ms(res.percentile(50)), dp50, ms(res.percentile(99)), dp99, errs)
		}
		for lvl := range pacedFractions {
			r.pacedTable(&b, sc.name, lvl)
		}
	}
	r.goalsTable(&b)
	fmt.Fprintf(&b, "\n### Login flood: %d emails × %d failing sign-ins each (10× the per-email limit of 10 per 15 min), one client address per email\n\n", r.opts.floodEmails, r.opts.floodAttempts)
	b.WriteString("Answers by status and JSON `code`: `401 INVALID_EMAIL_OR_PASSWORD` is the app's (or the guard's identical) wrong-password answer, `429 RATE_LIMITED` the rate limiter's; other codes come from the auth guard's lockout.\n\n")
	b.WriteString("| configuration | attempts | 401 wrong password | refused (non-401) | answers | p50 ms | p99 ms |\n|---|---:|---:|---:|---|---:|---:|\n")
	for i, c := range r.cfgs {
		f := r.flood[i]
		var parts []string
		for k, n := range f.codes {
			parts = append(parts, fmt.Sprintf("%d× `%s`", n, strings.TrimSpace(k)))
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %s | %s | %s |\n", c.name, f.ops, f.statuses[401], f.ops-f.statuses[401], strings.Join(parts, ", "), ms(f.percentile(50)), ms(f.percentile(99)))
	}
	return b.String()
}
