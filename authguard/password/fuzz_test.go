package password

import (
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"github.com/trustelem/zxcvbn/match"
	"golang.org/x/text/unicode/norm"
)

// FuzzCheckPassword: any password and context, under the default policy
// and MinLength 1. Never a panic; the estimator never sees more than
// ScoreLength code points (the cost bound); every refusal is a known code
// whose message does not repeat the password; an accepted password meets
// the length rules and is not in the blocklist. It also picks a blocklist
// entry by idx, changes its case by mask, and demands PASSWORD_COMPROMISED.
// While fuzzing (-fuzz), a check taking over a second fails too.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{
		"", "password", "correct horse battery staple", strings.Repeat("!", 128),
		strings.Repeat("1", 128), strings.Repeat("😀", 64), "a\xffb", "\xed\xa0\x80",
		"alice.smith-jones@example.com", "Al1ce-Sm1th-Al1ce", strings.Repeat("qwertyuiop", 13),
		"ΟΔΟΣ İstanbul ǅ", strings.Repeat("é", 40), "ｐａｓｓｗｏｒｄ", strings.Repeat("\ufdfa", 128),
	} {
		f.Add(s, "alice.smith-jones@example.com", uint16(len(s)), uint64(0xa5))
	}
	def := newPolicy(f, PasswordOptions{Words: []string{"acmecorp"}})
	min1 := newPolicy(f, PasswordOptions{MinLength: 1})
	list := embeddedBlocklist(f)
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	codes := map[string]bool{"PASSWORD_TOO_SHORT": true, "PASSWORD_TOO_LONG": true, "PASSWORD_TOO_WEAK": true, "PASSWORD_COMPROMISED": true}

	f.Fuzz(func(t *testing.T, pw, ctx string, idx uint16, mask uint64) {
		var maxPrefix int
		scoreHook = func(prefix string) {
			if n := utf8.RuneCountInString(prefix); n > maxPrefix {
				maxPrefix = n
			}
		}
		defer func() { scoreHook = nil }()
		for _, p := range []*PasswordPolicy{def, min1} {
			start := time.Now()
			r := p.CheckPassword(pw, []string{ctx, "Alice Smith"})
			if d := time.Since(start); fuzzing && d > time.Second {
				t.Fatalf("check took %v", d)
			}
			if maxPrefix > p.opts.ScoreLength {
				t.Fatalf("estimator read %d code points, bound %d", maxPrefix, p.opts.ScoreLength)
			}
			if r != nil {
				if !codes[r.Code] || r.Status != 400 || r.Message == "" {
					t.Fatalf("refusal %+v", r)
				}
				if !knownMessage(r.Message) {
					t.Fatalf("message not built from the fixed texts: %q", r.Message)
				}
				continue
			}
			n := utf8.RuneCountInString(pw)
			if !utf8.ValidString(pw) || n < p.opts.MinLength || utf16Len(pw) > p.opts.MaxLength {
				t.Fatalf("accepted %q (%d code points)", pw, n)
			}
			if list.has(jscase.ToLower(pw)) || list.has(jscase.ToLower(norm.NFKC.String(pw))) {
				t.Fatalf("accepted the blocklisted %q", pw)
			}
		}
		// A listed password in any letter case is refused as compromised.
		entry := []byte(list.entry(int(idx) % list.Len()))
		for i := range entry {
			if mask&(1<<(i%64)) != 0 && entry[i] >= 'a' && entry[i] <= 'z' {
				entry[i] -= 'a' - 'A'
			}
		}
		if r := min1.CheckPassword(string(entry), []string{ctx}); r == nil || r.Code != "PASSWORD_COMPROMISED" {
			t.Fatalf("listed %q: %v", entry, r)
		}
	})
}

var digitsRE = regexp.MustCompile(`[0-9]+`)

// knownMessage reports whether msg is one of the policy's fixed texts,
// numbers aside, or a weak-password message made of known reasons: proof
// that no part of a password can be in it.
func knownMessage(msg string) bool {
	fixed := map[string]bool{
		compromisedMessage: true, contextMessage: true,
		"The password is not valid text.": true,
		"Use at least # characters; this password has #. A few unrelated words make a long password easy to remember.": true,
		"Use at most # characters.":                 true,
		"Add an upper-case letter to the password.": true, "Add a lower-case letter to the password.": true,
		"Add a digit to the password.": true, "Add a symbol to the password.": true,
	}
	if fixed[digitsRE.ReplaceAllString(msg, "#")] {
		return true
	}
	const pre = "This password is too easy to guess: "
	const post = ". Add two or three unrelated words: four or more random words make a password that is strong and easy to remember."
	if !strings.HasPrefix(msg, pre) || !strings.HasSuffix(msg, post) {
		return false
	}
	reasons := map[string]bool{reasonShort: true}
	for _, pat := range []string{"spatial", "repeat", "sequence", "date"} {
		reasons[reasonFor(&match.Match{Pattern: pat})] = true
	}
	for _, rx := range []string{"recent_year", "other"} {
		reasons[reasonFor(&match.Match{Pattern: "regex", RegexName: rx})] = true
	}
	for _, d := range []string{"passwords", "english_wikipedia", "us_tv_and_film", "male_names", "female_names", "surnames", "user_inputs", "other"} {
		for _, m := range []match.Match{{}, {L33t: true}, {Reversed: true}} {
			m.Pattern, m.DictionaryName = "dictionary", d
			reasons[reasonFor(&m)] = true
		}
	}
	for _, r := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(msg, pre), post), "; ") {
		if !reasons[r] {
			return false
		}
	}
	return true
}
