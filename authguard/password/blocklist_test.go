package password

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/internal/jscase"
)

func embeddedBlocklist(t testing.TB) *blocklist {
	t.Helper()
	b, err := loadBlocklist()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlocklistEmbedded(t *testing.T) {
	b := embeddedBlocklist(t)
	if b.Len() < 49000 {
		t.Fatalf("%d entries, want at least 49 000", b.Len())
	}
	for _, w := range []string{"123456", "password", "qwerty", "iloveyou", "trustno1", "1qaz2wsx3edc4rfv"} {
		if !b.has(w) {
			t.Errorf("%q missing", w)
		}
	}
	for _, w := range []string{"", "plum ferry lantern quota", "PASSWORD"} {
		if b.has(w) {
			t.Errorf("%q listed", w)
		}
	}
	// Every entry is in the form lookups fold to, or it could never match.
	for i := 0; i < b.Len(); i++ {
		if e := b.entry(i); jscase.ToLower(e) != e || !utf8.ValidString(e) {
			t.Fatalf("entry %d %q is not its own lower case", i, e)
		}
	}
}

// sampleBlocklist draws n entries with at least minRunes code points,
// seeded so a failure can be reproduced.
func sampleBlocklist(t *testing.T, n, minRunes int) []string {
	b := embeddedBlocklist(t)
	var pool []string
	for i := 0; i < b.Len(); i++ {
		if e := b.entry(i); utf8.RuneCountInString(e) >= minRunes {
			pool = append(pool, e)
		}
	}
	if len(pool) < n {
		t.Fatalf("only %d entries of %d+ characters", len(pool), minRunes)
	}
	rng := rand.New(rand.NewPCG(0x5ec04, 1))
	out := make([]string, n)
	for i, j := range rng.Perm(len(pool))[:n] {
		out[i] = pool[j]
	}
	return out
}

// TestBlocklistSampleRefused: with the default minimum most listed
// passwords are already too short, so the sample is taken among entries
// of 8+ characters and checked with MinLength 8: each must be refused as
// PASSWORD_COMPROMISED specifically, in its listed form, upper-cased and
// capitalised.
func TestBlocklistSampleRefused(t *testing.T) {
	p := newPolicy(t, PasswordOptions{MinLength: 8})
	for _, pw := range sampleBlocklist(t, 1000, 8) {
		for _, v := range []string{pw, strings.ToUpper(pw), strings.ToUpper(pw[:1]) + pw[1:]} {
			r := p.CheckPassword(v, nil)
			if r == nil || r.Code != "PASSWORD_COMPROMISED" {
				t.Fatalf("%q: %v, want PASSWORD_COMPROMISED", v, r)
			}
			noEcho(t, v, r)
		}
	}
	// The default policy refuses the same sample too (most as too short).
	d := newPolicy(t, PasswordOptions{})
	for _, pw := range sampleBlocklist(t, 1000, 8) {
		if r := d.CheckPassword(pw, nil); r == nil {
			t.Fatalf("%q accepted by the default policy", pw)
		}
	}
}

// TestBlocklistEveryEntryRefused runs the whole list at MinLength 1.
func TestBlocklistEveryEntryRefused(t *testing.T) {
	p := newPolicy(t, PasswordOptions{MinLength: 1})
	b := embeddedBlocklist(t)
	for i := 0; i < b.Len(); i++ {
		if r := p.CheckPassword(b.entry(i), nil); r == nil || r.Code != "PASSWORD_COMPROMISED" {
			t.Fatalf("%q: %v", b.entry(i), r)
		}
	}
}

func TestBlocklistMessageAndOff(t *testing.T) {
	long := "1qaz2wsx3edc4rfv" // listed, 16 characters
	r := wantRefusal(t, newPolicy(t, PasswordOptions{}), long, nil, "PASSWORD_COMPROMISED", "lists of leaked passwords that attackers try first")
	if !strings.Contains(r.Message, "unrelated words") {
		t.Errorf("no suggestion: %q", r.Message)
	}
	// With the blocklist off nothing is PASSWORD_COMPROMISED (the strength
	// estimate still refuses this one: zxcvbn has it as a common password).
	off := newPolicy(t, PasswordOptions{NoBlocklist: true})
	if off.block != nil {
		t.Fatal("blocklist loaded although off")
	}
	wantRefusal(t, off, long, nil, "PASSWORD_TOO_WEAK", "commonly used password")
	for _, pw := range sampleBlocklist(t, 200, 8) {
		if r := newPolicy(t, PasswordOptions{MinLength: 8, NoBlocklist: true}).CheckPassword(pw, nil); r != nil && r.Code == "PASSWORD_COMPROMISED" {
			t.Fatalf("%q: PASSWORD_COMPROMISED with the blocklist off", pw)
		}
	}
}

func TestParseBlocklistRejectsBadData(t *testing.T) {
	gz := func(s string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(s))
		zw.Close()
		return buf.Bytes()
	}
	for name, data := range map[string][]byte{
		"not gzip":       []byte("123456\n"),
		"truncated gzip": gz("abc\nabd\n")[:10],
		"empty":          gz(""),
		"no final break": gz("abc\nabd"),
		"unsorted":       gz("abd\nabc\n"),
		"duplicate":      gz("abc\nabc\n"),
		"empty line":     gz("\nabc\n"),
	} {
		if _, err := parseBlocklist(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	b, err := parseBlocklist(gz("abc\nabd\nb\n"))
	if err != nil || b.Len() != 3 || !b.has("abd") || b.has("ab") || b.has("abdd") || !b.has("b") {
		t.Fatalf("small list: %v %+v", err, b)
	}
}

// TestBlocklistFoldsCase: the lookup folds case as toLowerCase does, so
// the Kelvin sign K plus "ILLER" is the listed "killer".
func TestBlocklistFoldsCase(t *testing.T) {
	if r := newPolicy(t, PasswordOptions{MinLength: 6}).CheckPassword("\u212aILLER", nil); r == nil || r.Code != "PASSWORD_COMPROMISED" {
		t.Fatalf("Kelvin-sign KILLER: %v", r)
	}
}
