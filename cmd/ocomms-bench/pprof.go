package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profileAll loads each configuration with the api scenario while its
// admin API records a CPU profile and the allocations made meanwhile (a
// delta of the allocs profile), one configuration at a time, and writes
// <dir>/<configuration>.pprof and <dir>/<configuration>.allocs.pprof. Read
// them with `go tool pprof -top <binary> <file>` (for allocations, add
// -sample_index=alloc_objects).
func profileAll(ctx context.Context, o options, e *env, cfgs []config, gens []generator, bases []string, logf func(string, ...any)) error {
	if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
		return err
	}
	api := scenarios[0]
	for _, sc := range scenarios {
		if sc.name == "api" {
			api = sc
		}
	}
	secs := max(int(o.duration/time.Second), 1) * 2
	for i, c := range cfgs {
		admin := e.admin[c.name]
		if admin == "" {
			continue
		}
		file := filepath.Join(o.pprofDir, c.name+".pprof")
		allocsFile := filepath.Join(o.pprofDir, c.name+".allocs.pprof")
		done := make(chan error, 2)
		go func() {
			done <- fetchProfile(ctx, "http://"+admin+fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), file)
		}()
		go func() {
			done <- fetchProfile(ctx, "http://"+admin+fmt.Sprintf("/debug/pprof/allocs?seconds=%d", secs), allocsFile)
		}()
		cpu0 := e.cpuOf(c)
		res := measure(ctx, gens[i], bases[i], api, o.concurrency, time.Duration(secs)*time.Second+500*time.Millisecond)
		cpu := e.cpuOf(c) - cpu0
		for range 2 {
			if err := <-done; err != nil {
				return fmt.Errorf("profiling %s: %w", c.name, err)
			}
		}
		perReq := time.Duration(0)
		if res.ops > 0 {
			perReq = cpu / time.Duration(res.ops)
		}
		logf("CPU and allocation profiles of %s under the api scenario: %s, %s (%d requests, %.0f/s, %v CPU per request while profiled)",
			c.name, file, allocsFile, res.ops, res.rate(), perReq)
	}
	return nil
}

// fetchProfile saves the profile at url to file.
func fetchProfile(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
