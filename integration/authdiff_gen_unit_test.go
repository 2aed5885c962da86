package integration

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestAuthGenIsDeterministicAndCoversItsMutations: one seed gives the same
// cases; a default run's worth of cases reaches every endpoint and every
// mutation family the differential test claims to try.
func TestAuthGenIsDeterministicAndCoversItsMutations(t *testing.T) {
	a, b := newAuthGen(42), newAuthGen(42)
	for i := range 200 {
		if ca, cb := a.next(i), b.next(i); !reflect.DeepEqual(ca, cb) {
			t.Fatalf("case %d differs between two generators of one seed:\n%+v\n%+v", i, ca, cb)
		}
	}
	g := newAuthGen(1)
	paths, labels := map[string]int{}, map[string]int{}
	ctHas := map[string]int{}
	for i := range defaultAuthDiffCases {
		c := g.next(i)
		paths[c.Path]++
		for _, k := range c.Kinds {
			labels[k]++
		}
		for _, h := range c.Headers {
			v := strings.ToLower(h)
			for _, s := range []string{"multipart/form-data", "x-www-form-urlencoded", "+json", "text/plain", "charset=", ","} {
				if strings.Contains(v, s) {
					ctHas[s]++
				}
			}
			for i := 0; i < len(h); i++ {
				if h[i] >= 0x80 {
					ctHas["non-ascii"]++
					break
				}
			}
		}
		if strings.Contains(strings.Join(c.Kinds, " "), "json-lone-surrogate") && !bytes.Contains(c.Body, []byte(`"\ud800`)) {
			t.Fatalf("case %d: a lone-surrogate body without one: %q", i, c.Body)
		}
	}
	for _, p := range []string{pathSignIn, pathSignUp, pathRequestReset, pathResetPassword, pathChangePass} {
		if paths[p] < defaultAuthDiffCases/20 {
			t.Errorf("%s: only %d cases", p, paths[p])
		}
	}
	for _, l := range []string{"ct:case", "ct:param", "ct:list", "ct:space", "ct:non-ascii", "ct:repeated", "ct:none",
		"ct:other-type", "chunked", "body:json-dup-key", "body:json-polyglot-form", "body:json-bom", "body:json-utf16",
		"body:form-dup-key", "body:form-polyglot-json", "body:multipart-preamble-form", "body:text-form"} {
		if labels[l] < 20 {
			t.Errorf("mutation %s: only %d cases", l, labels[l])
		}
	}
	for s, n := range ctHas {
		if n < 100 {
			t.Errorf("Content-Type with %q: only %d cases", s, n)
		}
	}
	if len(ctHas) < 7 {
		t.Errorf("Content-Type features seen: %v", ctHas)
	}
	t.Logf("Content-Type features %v", ctHas)
}
