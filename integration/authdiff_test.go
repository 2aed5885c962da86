package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The differential test of the edge's reading of auth requests against the
// real better-auth/better-call: README "Proof against better-auth".
//
//	OCOMMS_AUTHDIFF_CASES  cases per run (default 10000)
//	OCOMMS_AUTHDIFF_SEED   generator seed (default 1; "random" for a fresh one)
//	OCOMMS_AUTHDIFF_SAVE   a directory to save failing cases into as
//	                       fixtures (make fuzz-auth: testdata/authdiff)
const (
	defaultAuthDiffCases = 10000
	authDiffWorkers      = 6
	authFixtureDir       = "testdata/authdiff"
)

func authDiffSettings(t *testing.T) (seed int64, cases int) {
	t.Helper()
	seed, cases = 1, defaultAuthDiffCases
	switch s := os.Getenv("OCOMMS_AUTHDIFF_SEED"); s {
	case "":
	case "random":
		seed = time.Now().UnixNano() & 0x7fffffff
	default:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			t.Fatalf("OCOMMS_AUTHDIFF_SEED=%q: want a non-negative number or random", s)
		}
		seed = v
	}
	if s := os.Getenv("OCOMMS_AUTHDIFF_CASES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("OCOMMS_AUTHDIFF_CASES=%q: want a positive number", s)
		}
		cases = v
	}
	return seed, cases
}

// TestAuthDiffAgainstBetterAuth sends thousands of generated auth requests
// (Content-Type and body mutations) through the edge to the real
// better-auth and requires every one to be refused by the edge or read by
// the app exactly as the edge counted it (see judgeCase).
func TestAuthDiffAgainstBetterAuth(t *testing.T) {
	seed, n := authDiffSettings(t)
	env := startAuthDiffEnv(t)
	gen := newAuthGen(seed)
	cases := make([]authCase, n)
	for i := range cases {
		cases[i] = gen.next(i)
	}
	start := time.Now()
	outs := env.runCases(cases, 0, authDiffWorkers)
	events := env.waitEvents(t)
	report := judgeAll(outs, events, env.fresh)
	t.Logf("seed %d: %d cases in %s\n%s", seed, n, time.Since(start).Round(time.Second), report)
	if dir := os.Getenv("OCOMMS_AUTHDIFF_SAVE"); dir != "" && len(report.failing) > 0 {
		saved := saveAuthFixtures(t, dir, seed, report)
		t.Logf("saved %d failing cases to %s", saved, dir)
	}
	if len(report.failing) > 0 {
		t.Errorf("seed %d: %d of %d cases let the edge and better-auth disagree (rerun with OCOMMS_AUTHDIFF_SEED=%d; "+
			"OCOMMS_AUTHDIFF_SAVE=%s keeps them as fixtures)", seed, len(report.failing), n, seed, authFixtureDir)
	}
}

// TestAuthDiffFixtures replays every saved failing case of the differential
// test (testdata/authdiff/*.json): each must now pass.
func TestAuthDiffFixtures(t *testing.T) {
	fixtures := loadAuthFixtures(t, authFixtureDir)
	if len(fixtures) == 0 {
		t.Fatalf("no fixtures in %s", authFixtureDir)
	}
	env := startAuthDiffEnv(t)
	cases := make([]authCase, len(fixtures))
	for i, f := range fixtures {
		cases[i] = f.authCase(t)
	}
	outs := env.runCases(cases, 0, 2)
	events := env.waitEvents(t)
	report := judgeAll(outs, events, env.fresh)
	for _, o := range report.failing {
		t.Errorf("fixture %s (%s) fails: %v\n%s", o.ID, fixtures[caseIndex(cases, o.ID)].Found,
			report.kindsOf[o.ID], describeOutcome(o))
	}
	t.Logf("%d fixtures\n%s", len(fixtures), report)
}

func caseIndex(cases []authCase, token string) int {
	for i, c := range cases {
		if c.Token == token {
			return i
		}
	}
	return 0
}

// authFixture is a saved case. Headers and Body hold the exact text when
// it is valid UTF-8; otherwise HeadersGo and BodyGo hold it as Go string
// literals without their quotes (strconv.Quote), so any byte survives JSON.
type authFixture struct {
	Token     string   `json:"token"`
	Found     string   `json:"found"`
	Method    string   `json:"method,omitempty"`
	Path      string   `json:"path"`
	Headers   []string `json:"headers,omitempty"`
	HeadersGo []string `json:"headers_go,omitempty"`
	Body      string   `json:"body,omitempty"`
	BodyGo    string   `json:"body_go,omitempty"`
	Chunked   bool     `json:"chunked,omitempty"`
	Kinds     []string `json:"kinds"`
}

func quoteBare(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }

func unquoteBare(t *testing.T, s string) string {
	t.Helper()
	v, err := strconv.Unquote(`"` + s + `"`)
	if err != nil {
		t.Fatalf("fixture string %q: %v", s, err)
	}
	return v
}

func newAuthFixture(c authCase, found string) authFixture {
	f := authFixture{Token: c.Token, Method: c.Method, Path: c.Path, Chunked: c.Chunked, Kinds: c.Kinds, Found: found}
	if utf8.Valid(c.Body) {
		f.Body = string(c.Body)
	} else {
		f.BodyGo = quoteBare(string(c.Body))
	}
	valid := true
	for _, h := range c.Headers {
		valid = valid && utf8.ValidString(h)
	}
	for _, h := range c.Headers {
		if valid {
			f.Headers = append(f.Headers, h)
		} else {
			f.HeadersGo = append(f.HeadersGo, quoteBare(h))
		}
	}
	return f
}

func (f authFixture) authCase(t *testing.T) authCase {
	c := authCase{Token: f.Token, Method: f.Method, Path: f.Path, Body: []byte(f.Body), Chunked: f.Chunked, Kinds: f.Kinds}
	if f.BodyGo != "" {
		c.Body = []byte(unquoteBare(t, f.BodyGo))
	}
	c.Headers = append(c.Headers, f.Headers...)
	for _, h := range f.HeadersGo {
		c.Headers = append(c.Headers, unquoteBare(t, h))
	}
	return c
}

// saveAuthFixtures writes failing cases to dir, one per endpoint, failure
// kinds and mutation set, at most eight per endpoint and failure kinds,
// and returns how many it wrote.
func saveAuthFixtures(t *testing.T, dir string, seed int64, r *authReport) int {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	perSig, perKind := map[string]bool{}, map[string]int{}
	saved := 0
	for _, o := range r.failing {
		kinds := r.kindsOf[o.ID]
		muts := append([]string(nil), o.Case.Kinds...)
		sort.Strings(muts)
		kind := o.Case.Path + "|" + strings.Join(kinds, ",")
		sig := kind + "|" + strings.Join(muts, ",")
		if perSig[sig] || perKind[kind] >= 8 {
			continue
		}
		perSig[sig] = true
		perKind[kind]++
		f := newAuthFixture(o.Case, fmt.Sprintf("seed %d: %s", seed, strings.Join(kinds, ", ")))
		var raw bytes.Buffer
		enc := json.NewEncoder(&raw)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, o.ID+".json"), raw.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		saved++
	}
	return saved
}

func loadAuthFixtures(t *testing.T, dir string) []authFixture {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	var out []authFixture
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var f authFixture
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, f)
	}
	return out
}
