package modkit

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// settings is what the test table reads.
type settings struct {
	name    string
	mode    string
	allow   []string
	count   int
	verbose bool
}

// parseSettings reads `demo { ... }` with a table built the way the
// directives build theirs.
func parseSettings(input string) (settings, error) {
	var s settings
	d := caddyfile.NewTestDispenser(input)
	if err := NoArgs(d); err != nil {
		return s, err
	}
	table := Subdirectives{
		"name":    SetString(&s.name),
		"mode":    SetOneOf(&s.mode, "exact", "approximate"),
		"allow":   AppendStrings(&s.allow),
		"count":   SetPositiveInt(&s.count),
		"verbose": SetFlag(&s.verbose),
	}.Once("%s given twice", "allow")
	return s, table.Parse(d, "unknown subdirective %q")
}

func TestSubdirectivesReadABlock(t *testing.T) {
	s, err := parseSettings(`demo {
		name chat
		mode approximate
		allow 10.0.0.0/8
		allow 192.0.2.1 198.51.100.0/24
		count 3
		verbose
	}`)
	if err != nil {
		t.Fatal(err)
	}
	if s.name != "chat" || s.mode != "approximate" || strings.Join(s.allow, ",") != "10.0.0.0/8,192.0.2.1,198.51.100.0/24" ||
		s.count != 3 || !s.verbose {
		t.Fatalf("read %+v", s)
	}
}

func TestSubdirectivesRefuseWhatTheTableDoesNotAllow(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"demo stray", "wrong argument count"},
		{"demo {\n nope 1\n}", `unknown subdirective "nope"`},
		{"demo {\n name a\n name b\n}", "name given twice"},
		{"demo {\n mode fast\n}", "exact or approximate"},
		{"demo {\n count 0\n}", "at least 1"},
		{"demo {\n count many\n}", "whole number"},
		{"demo {\n name\n}", "wrong argument count"},
		{"demo {\n verbose yes\n}", "wrong argument count"},
	} {
		_, err := parseSettings(tc.input)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.input, err, tc.want)
		}
	}
}
