package stockheader

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms-edge/headers"
)

// TestBlockMatchesPreset: the block sets every header of the ocomms preset
// with its value, a CSP with the fixed nonce, and removes what the edge
// removes.
func TestBlockMatchesPreset(t *testing.T) {
	b, err := Block()
	if err != nil {
		t.Fatal(err)
	}
	o, err := headers.Preset("ocomms")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Content-Security-Policy", "'nonce-" + Nonce + "'", "Strict-Transport-Security " + strconv.Quote(o.HSTS), "-Server", "-X-Powered-By"}
	for _, f := range o.Set {
		want = append(want, f.Name+" "+strconv.Quote(f.Value))
	}
	for _, w := range want {
		if !strings.Contains(b, w) {
			t.Errorf("header block lacks %q:\n%s", w, b)
		}
	}
	if strings.Contains(b, headers.NonceToken) || strings.Contains(b, headers.HostToken) {
		t.Errorf("header block keeps a placeholder:\n%s", b)
	}
	if !strings.HasPrefix(b, "header {\n") || !strings.HasSuffix(b, "\n\t}") {
		t.Errorf("not one header directive:\n%s", b)
	}
	f, err := Fields()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b, "\n"+f) {
		t.Errorf("the block does not carry Fields:\n%s", b)
	}
	for _, l := range strings.SplitAfter(f, "\n") {
		if l != "" && (!strings.HasPrefix(l, "\t\t") || !strings.HasSuffix(l, "\n")) {
			t.Errorf("field line %q: want two tabs in, one newline at the end", l)
		}
	}
}
