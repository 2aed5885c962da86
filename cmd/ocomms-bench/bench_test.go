package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/ocomms/ocomms-edge/caddymodule"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
)

// TestQuickRun runs `go run ./cmd/ocomms-bench -quick` in process: every
// configuration answers every scenario and the flood, and the markdown
// has every table. It asserts nothing about speed.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ocomms-caddy and runs four Caddy processes")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	o := defaults(true)
	o.root = root
	o.duration = 200 * time.Millisecond
	o.concurrency = 4
	var logw io.Writer = io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := run(ctx, o, logw)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.cfgs) < 3 {
		t.Fatalf("only %d configurations ran", len(rep.cfgs))
	}
	for _, sc := range scenarios {
		for i, c := range rep.cfgs {
			res := rep.total[sc.name][i]
			if ok := res.ops - res.errs; ok <= 0 {
				t.Errorf("%s / %s: no successful operation (%d ops, %d errors: %s)", c.name, sc.name, res.ops, res.errs, res.firstErr)
			}
		}
	}
	for _, sc := range scenarios {
		for lvl := range pacedFractions {
			if rate := rep.pacedRate[sc.name][lvl]; rate <= 0 {
				t.Errorf("%s paced level %d: offered %.1f ops/s", sc.name, lvl, rate)
			}
			for i, c := range rep.cfgs {
				if res := rep.paced[sc.name][lvl][i]; res.ops-res.errs <= 0 {
					t.Errorf("%s / %s paced level %d: no successful operation (%d ops, %d errors: %s)", c.name, sc.name, lvl, res.ops, res.errs, res.firstErr)
				}
			}
		}
	}
	want := o.floodEmails * o.floodAttempts
	for i, c := range rep.cfgs {
		if f := rep.flood[i]; f.ops != want || f.errs > 0 {
			t.Errorf("%s flood: %d answers of %d, %d errors (%s)", c.name, f.ops, want, f.errs, f.firstErr)
		}
	}
	md := rep.markdown()
	for _, s := range append([]string{"### Login flood", "| `stock` |", "| `edge` |", "(10% of the slowest closed-loop rate)", "(50% of the slowest closed-loop rate)"}, scenarioTitles()...) {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func scenarioTitles() []string {
	var out []string
	for _, sc := range scenarios {
		out = append(out, "### "+sc.title)
	}
	return out
}

func TestConfigsFollowTheModules(t *testing.T) {
	mods := map[string]bool{"http.handlers.ocomms_headers": true, "http.handlers.ocomms_rate_limit": true}
	cfgs, err := buildConfigs(mods, "redis://127.0.0.1:1", "", "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 5 || cfgs[4].site != "ocomms_rate_limit ocomms" || strings.Contains(cfgs[2].site, "ocomms_auth_guard") || !strings.Contains(cfgs[2].site, "ocomms_rate_limit ocomms") {
		t.Fatalf("configs: %+v", cfgs)
	}
	mods["http.handlers.ocomms_auth_guard"], mods[auditModule] = true, true
	cfgs, _ = buildConfigs(mods, "redis://127.0.0.1:1", "postgres://u@127.0.0.1/db", "/tmp/x")
	edge := cfgs[3].caddyfile(8080, "127.0.0.1:3000")
	for _, want := range []string{"ocomms_auth_guard", "ocomms_audit {", "session_url http://127.0.0.1:3000/api/auth/get-session", "redis redis://127.0.0.1:1", "postgres postgres://u@127.0.0.1/db"} {
		if !strings.Contains(edge, want) {
			t.Errorf("edge+redis+pg lacks %q:\n%s", want, edge)
		}
	}
	if strings.Contains(cfgs[0].caddyfile(8080, "up"), "ocomms") {
		t.Error("stock config uses an ocomms directive")
	}
	// Every configuration is one the real adapter takes, with every edge
	// module this build has (a renamed option fails here, not mid-run).
	for _, c := range cfgs {
		if _, err := edgetest.AdaptRaw(c.caddyfile(8080, "127.0.0.1:3000")); err != nil {
			t.Errorf("%s does not adapt: %v", c.name, err)
		}
	}
}

// TestProcCPU: the CPU time read from /proc grows while this process
// works.
func TestProcCPU(t *testing.T) {
	pid := os.Getpid()
	start := procCPU(pid)
	if start <= 0 {
		t.Skip("no /proc/<pid>/stat here")
	}
	x := 0
	for i := 0; i < 1<<34 && procCPU(pid) < start+50*time.Millisecond; i++ {
		for j := 0; j < 1<<16; j++ {
			x += j ^ i
		}
	}
	if got := procCPU(pid); got < start+50*time.Millisecond {
		t.Fatalf("CPU time %v after busy work, started at %v (x=%d)", got, start, x)
	}
}
