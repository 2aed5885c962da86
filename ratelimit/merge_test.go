package ratelimit

import (
	"strings"
	"testing"
)

// TestMerge: removals drop preset zones, configured zones replace the
// preset zone of their name or are appended, and mistakes are named.
func TestMerge(t *testing.T) {
	preset, _ := Preset("ocomms")
	if len(preset) < 2 {
		t.Fatalf("ocomms preset has %d zones, want at least 2", len(preset))
	}
	first, second := preset[0].Name, preset[1].Name
	replaced := Zone{Name: second, Rate: mustRate("1/1m"), Key: []KeySource{{Kind: KeyClientIP}}}
	added := Zone{Name: "extra", Rate: mustRate("2/1m"), Key: []KeySource{{Kind: KeyClientIP}}}
	got, err := Merge("", []string{first}, []Zone{replaced, added})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(preset) {
		t.Fatalf("%d zones, want %d (one removed, one added)", len(got), len(preset))
	}
	if got[0].Name != second || got[0].Rate != replaced.Rate {
		t.Errorf("first zone %s %v, want the replaced %s", got[0].Name, got[0].Rate, second)
	}
	if got[len(got)-1].Name != "extra" {
		t.Errorf("last zone %s, want the added extra", got[len(got)-1].Name)
	}
	for _, tc := range []struct {
		preset string
		remove []string
		zones  []Zone
		want   string
	}{
		{"ocomms", []string{"nope"}, nil, "remove_zone nope: the ocomms preset has no such zone"},
		{"none", nil, []Zone{added, added}, "zone extra is defined twice"},
		{"strict", nil, nil, "unknown rate limit preset"},
	} {
		if _, err := Merge(tc.preset, tc.remove, tc.zones); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Merge(%q, %v): error %v, want %q", tc.preset, tc.remove, err, tc.want)
		}
	}
}
