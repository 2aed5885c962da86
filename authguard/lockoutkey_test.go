package authguard

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Expected values are what node's String.prototype.toLowerCase returns.
func TestJSToLower(t *testing.T) {
	for in, want := range map[string]string{
		"Alice@Example.COM": "alice@example.com",
		" Bob@x.io ":        " bob@x.io ",
		"İSTANBUL@x.tr":     "i\u0307stanbul@x.tr",
		"ΟΔΟΣ@x.gr":         "οδος@x.gr",
		"ΣΑΣ.ΣΑΣ@x.gr":      "σασ.σας@x.gr",
		"ΑΣ\u0301@x":        "ας\u0301@x",
		"Σ@x.gr":            "σ@x.gr",
		"AΣ'Σ@x":            "aσ'ς@x",
		"ÉCOLE@x.fr":        "école@x.fr",
		"ǅ@x":               "ǆ@x",
		"KELVIN\u212A@x":    "kelvink@x",
		"ẞ@x.de":            "ß@x.de",
		"MIXED\xffBYTES@x":  "mixed\xffbytes@x",
		"":                  "",
	} {
		if got := jsToLower(in); got != want {
			t.Errorf("jsToLower(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLockKeys(t *testing.T) {
	k := newLockKeyer(testSecret)
	if k.accountKey("A@x.io") != k.accountKey("a@x.io") || k.accountKey("a@x.io") == k.accountKey("a@x.io ") {
		t.Fatal("account keys do not follow toLowerCase, untrimmed")
	}
	if k.accountKey("a@x.io") == newLockKeyer([]byte("another-secret-123")).accountKey("a@x.io") {
		t.Fatal("account key does not depend on the secret")
	}
	same := [][2]string{
		{"2001:db8::1", "2001:db8::ffff:1"},
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"fe80::1%eth0", "fe80::2"},
	}
	for _, p := range same {
		if k.ipKey(netip.MustParseAddr(p[0])) != k.ipKey(netip.MustParseAddr(p[1])) {
			t.Errorf("%s and %s in different spray groups", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"2001:db8::1", "2001:db8:0:1::1"}, {"192.0.2.1", "192.0.2.2"}} {
		if k.ipKey(netip.MustParseAddr(p[0])) == k.ipKey(netip.MustParseAddr(p[1])) {
			t.Errorf("%s and %s in one spray group", p[0], p[1])
		}
	}
	if string(k.device) == string(k.recovery) || string(k.device) == string(testSecret) {
		t.Fatal("cookie keys are not separate derivations")
	}
}

// TestJSToLowerMatchesNode compares jsToLower with node's toLowerCase on
// random strings built from case-sensitive letters of many scripts,
// case-ignorables and arbitrary code points.
func TestJSToLowerMatchesNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []rune("AaZzİIıiΣσςΑΩΆΪ'.:·’\u0301\u0307\u200dǅǄ\u212AẞßÉ@ ДЖЯЁ\u0130\u03A3\u1E9EＡＺ\U00010400\U0001E900")
	inputs := make([]string, 3000)
	for i := range inputs {
		var b strings.Builder
		for n := rng.IntN(8) + 1; n > 0; n-- {
			if rng.IntN(4) == 0 {
				// Code points Go's Unicode tables know (node's may be
				// newer: README, the lockout's case folding).
				r := rune(rng.IntN(0x2FFFF))
				if utf8.ValidRune(r) && unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs) {
					b.WriteRune(r)
				}
			} else {
				b.WriteRune(pieces[rng.IntN(len(pieces))])
			}
		}
		inputs[i] = b.String()
	}
	in, _ := json.Marshal(inputs)
	cmd := exec.Command(node, "-e", `let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s).map(x=>x.toLowerCase()))))`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(inputs) {
		t.Fatalf("node output: %v", err)
	}
	bad := 0
	for i, s := range inputs {
		if got := jsToLower(s); got != want[i] {
			if bad++; bad <= 10 {
				t.Errorf("jsToLower(%+q) = %+q, node %+q", s, got, want[i])
			}
		}
	}
}
