package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options configure a run.
type options struct {
	quick         bool
	rounds        int
	duration      time.Duration // per configuration, scenario and round
	concurrency   int
	floodEmails   int
	floodAttempts int
	postgres      string // admin URL of the PostgreSQL to create the audit database on
	root          string // the module's root directory
	keep          bool   // keep the run directory (Caddyfiles, logs)
	client        string // load generator: "raw" (minimal HTTP/1.1) or "nethttp"
	pprofDir      string // write CPU profiles of the api scenario here
	pprofOnly     bool   // stop after the profiles (no measured rounds)
	configs       string // comma-separated configuration names to run ("" for all)
}

// defaults returns the options of a full run, or of -quick.
func defaults(quick bool) options {
	o := options{rounds: 3, duration: 3 * time.Second, concurrency: 16, floodEmails: 20, floodAttempts: 100,
		postgres: "postgres://postgres@127.0.0.1:5432/test", client: "raw"}
	if quick {
		o.quick, o.rounds, o.duration, o.floodEmails = true, 1, 300*time.Millisecond, 2
	}
	return o
}

func main() {
	quick := flag.Bool("quick", false, "a smoke run: one short round, a small flood")
	o := defaults(false)
	flag.IntVar(&o.rounds, "rounds", 0, "rounds of every configuration and scenario (default 3, -quick 1)")
	flag.DurationVar(&o.duration, "duration", 0, "measurement per configuration, scenario and round (default 3s, -quick 300ms)")
	flag.IntVar(&o.concurrency, "c", o.concurrency, "concurrent connections of the load generator")
	flag.IntVar(&o.floodAttempts, "flood-attempts", o.floodAttempts, "failing sign-ins per email in the login flood (the per-email limit is 10)")
	flag.StringVar(&o.postgres, "postgres", o.postgres, "PostgreSQL to create the audit database on (edge+redis+pg)")
	flag.BoolVar(&o.keep, "keep", false, "keep the run directory with the Caddyfiles and logs")
	flag.StringVar(&o.client, "client", o.client, `load generator: "raw" (a minimal HTTP/1.1 client, like wrk) or "nethttp" (Go's net/http client)`)
	flag.StringVar(&o.pprofDir, "pprof", "", "write CPU and allocation profiles of every configuration under the api scenario to this directory (an extra unmeasured phase)")
	flag.BoolVar(&o.pprofOnly, "pprof-only", false, "with -pprof: stop after the profiles, without the measured rounds")
	flag.StringVar(&o.configs, "configs", "", "comma-separated configurations to run (default all: stock, stock+header, edge, edge+redis+pg, ratelimit)")
	out := flag.String("o", "", "also write the markdown report to this file")
	flag.Parse()

	d := defaults(*quick)
	if o.rounds == 0 {
		o.rounds = d.rounds
	}
	if o.duration == 0 {
		o.duration = d.duration
	}
	o.quick, o.floodEmails = d.quick, d.floodEmails
	if o.pprofOnly && o.pprofDir == "" {
		fmt.Fprintln(os.Stderr, "bench: -pprof-only needs -pprof DIR")
		os.Exit(2)
	}
	if o.client != "raw" && o.client != "nethttp" {
		fmt.Fprintf(os.Stderr, "bench: -client %q: want raw or nethttp\n", o.client)
		os.Exit(2)
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	o.root = root

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if rep == nil { // -pprof-only
		return
	}
	md := rep.markdown()
	fmt.Print(md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ocomms/ocomms-edge\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the ocomms-edge checkout (no go.mod found)")
		}
		dir = parent
	}
}

// run performs one benchmark run and returns its report. Progress goes
// to logw.
func run(ctx context.Context, o options, logw io.Writer) (*report, error) {
	dir, err := os.MkdirTemp("", "ocomms-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, admin: map[string]string{}, pids: map[string]int{}}
	defer func() {
		e.close()
		if o.keep {
			fmt.Fprintln(logw, "bench: run directory kept:", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "bench: "+format+"\n", args...) }

	logf("building ocomms-caddy and ocomms-demo-upstream")
	if err := e.build(o.root); err != nil {
		return nil, err
	}
	mods, err := listModules(e.caddyBin)
	if err != nil {
		return nil, err
	}
	up, err := e.startUpstream()
	if err != nil {
		return nil, err
	}
	redisURL, err := e.startRedis()
	if err != nil {
		return nil, err
	}
	pgURL := ""
	if mods[auditModule] {
		pgURL = e.createDatabase(o.postgres)
	}
	cfgs, err := buildConfigs(mods, redisURL, pgURL, filepath.Join(dir, "audit"))
	if err != nil {
		return nil, err
	}
	if cfgs, err = selectConfigs(cfgs, o.configs); err != nil {
		return nil, err
	}
	rep := newReport(o, cfgs, e.caddyBin)
	bases := make([]string, len(cfgs))
	gens := make([]generator, len(cfgs))
	for i, c := range cfgs {
		if o.pprofDir != "" {
			c.admin = -1 // a free port
		}
		if bases[i], err = e.startCaddy(c, up); err != nil {
			return nil, err
		}
		gens[i] = generator{raw: o.client == "raw", shared: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 4 * o.concurrency, MaxIdleConnsPerHost: 4 * o.concurrency, DisableCompression: true,
		}}}
		logf("%s on %s: %s", c.name, bases[i], c.note)
	}
	// Warm up every process and scenario once, unmeasured.
	for i := range cfgs {
		for _, sc := range scenarios {
			w := measure(ctx, gens[i], bases[i], sc, o.concurrency, min(o.duration/3+50*time.Millisecond, time.Second))
			if w.ops == 0 || w.errs == w.ops {
				return nil, fmt.Errorf("%s, %s: no successful response while warming up: %s", cfgs[i].name, sc.name, w.firstErr)
			}
		}
	}
	if o.pprofDir != "" {
		if err := profileAll(ctx, o, e, cfgs, gens, bases, logf); err != nil {
			return nil, err
		}
		if o.pprofOnly {
			return nil, nil
		}
	}
	for r := 0; r < o.rounds; r++ {
		for si, sc := range scenarios {
			for k := range cfgs {
				i := (k + r + si) % len(cfgs) // rotate the order every round and scenario
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				cpu0 := e.cpuOf(cfgs[i])
				res := measure(ctx, gens[i], bases[i], sc, o.concurrency, o.duration)
				res.cpu = e.cpuOf(cfgs[i]) - cpu0
				rep.add(sc.name, i, r, res)
			}
		}
		logf("round %d/%d done", r+1, o.rounds)
	}
	for _, sc := range scenarios {
		for _, f := range pacedFractions {
			rep.pacedRate[sc.name] = append(rep.pacedRate[sc.name], f*rep.slowestRate(sc.name))
		}
	}
	for r := 0; r < o.rounds; r++ {
		for si, sc := range scenarios {
			for lvl := range pacedFractions {
				for k := range cfgs {
					i := (k + r + si) % len(cfgs)
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					rep.addPaced(sc.name, lvl, i, paced(ctx, gens[i], bases[i], sc, o.concurrency, rep.pacedRate[sc.name][lvl], o.duration))
				}
			}
		}
		logf("paced round %d/%d done", r+1, o.rounds)
	}
	for i, c := range cfgs {
		rep.flood[i] = flood(ctx, gens[i], bases[i], c.name+"-"+filepath.Base(dir), o.floodEmails, o.floodAttempts, o.concurrency)
	}
	logf("login flood done")
	if redisURL != "" {
		rep.lockout = measureLockout(ctx, redisURL, 2000)
		logf("lockout sign-ins done")
	}
	return rep, nil
}
