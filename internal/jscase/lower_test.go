package jscase

import (
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Expected values are what node's String.prototype.toLowerCase returns.
func TestToLower(t *testing.T) {
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
		"PassWord":          "password",
		"İSTANBUL":          "i\u0307stanbul",
		"ΟΔΟΣ":              "οδος", // final sigma
		"ΣΑ":                "σα",
		"Σ":                 "σ",
		"AΣ.":               "aς.",
		"AΣb":               "aσb",
		"ǅ":                 "ǆ",
		"\u212a":            "k", // Kelvin sign
		"ẞ":                 "ß",
		"ＡＢＣ":               "ａｂｃ",
		"ÉCOLE ΣΑΣ":         "école σας",
		"":                  "",
	} {
		if got := ToLower(in); got != want {
			t.Errorf("ToLower(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestToLowerMatchesNode compares ToLower with node's toLowerCase on
// random strings built from case-sensitive letters of many scripts,
// case-ignorables and arbitrary code points.
func TestToLowerMatchesNode(t *testing.T) {
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
		if got := ToLower(s); got != want[i] {
			if bad++; bad <= 10 {
				t.Errorf("ToLower(%+q) = %+q, node %+q", s, got, want[i])
			}
		}
	}
}
