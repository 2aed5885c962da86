package password

import (
	"strings"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"golang.org/x/text/unicode/norm"
)

// SiteWord is the site's own name, always a context word.
const SiteWord = "ocomms"

// minContextWord is the shortest context word the coverage rule looks
// for, in code points. Shorter parts ("al", "jo", "de") turn up in
// unrelated passwords by chance; they still go to the strength estimator.
const minContextWord = 4

// maxContextWords caps the words taken from one request, so a long name
// cannot make the check expensive.
const maxContextWords = 32

// maxContextInput caps the code points read from each context string.
const maxContextInput = 256

// contextWords derives the words a password must not be built on from the
// request's context strings (the email, the name, ...) and the configured
// words: each string whole, and its parts split at "@", white space and
// . _ - +. All are lower-cased (jscase.ToLower) and distinct. SiteWord and the
// configured words come first so the cap never drops them.
func contextWords(configured, request []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		if w == "" || seen[w] || len(out) >= maxContextWords+len(configured)+1 {
			return
		}
		seen[w] = true
		out = append(out, w)
	}
	add(SiteWord)
	for _, w := range configured {
		add(jscase.ToLower(norm.NFKC.String(w)))
	}
	for _, s := range request {
		s = jscase.ToLower(norm.NFKC.String(truncateRunes(s, maxContextInput)))
		add(strings.TrimSpace(s))
		if at := strings.LastIndexByte(s, '@'); at >= 0 {
			add(s[:at]) // the local part
		}
		for _, part := range strings.FieldsFunc(s, isContextSeparator) {
			add(part)
		}
	}
	return out
}

func isContextSeparator(r rune) bool {
	switch r {
	case '@', '.', '_', '-', '+', ' ', '\t', '\n', '\r', '\u00a0':
		return true
	}
	return false
}

// leetSubs are the look-alike characters the coverage rule accepts for a
// letter of a context word, as zxcvbn's l33t table has them.
var leetSubs = [128]string{
	'a': "4@", 'b': "8", 'c': "({[<", 'e': "3", 'g': "69", 'i': "1!|",
	'l': "1|7", 'o': "0", 's': "$5", 't': "+7", 'x': "%", 'z': "2",
}

// leetMatch reports whether password character p stands for word letter c.
func leetMatch(p, c rune) bool {
	return p == c || (c < 128 && p < 128 && strings.IndexByte(leetSubs[c], byte(p)) >= 0)
}

// builtOnContext is the context rule. The password, lower-cased, is
// searched for every context word of at least minContextWord code points,
// forwards and reversed, letting each letter also match its l33t
// look-alikes (so "Al1ce" matches "alice"). The password is refused when
// the characters inside such matches make up half of it or more: what is
// left over is then too little to protect it once an attacker tries the
// user's own words, which targeted guessing does first. A password that
// only contains a context word among enough unrelated material passes
// this rule and is left to the strength estimate, which knows the same
// words as user inputs.
func builtOnContext(password string, words []string) bool {
	pw := []rune(jscase.ToLower(password))
	covered := make([]bool, len(pw))
	for _, w := range words {
		wr := []rune(w)
		if len(wr) < minContextWord || len(wr) > len(pw) {
			continue
		}
		markMatches(pw, wr, covered)
		markMatches(pw, reversed(wr), covered)
	}
	n := 0
	for _, c := range covered {
		if c {
			n++
		}
	}
	return len(pw) > 0 && 2*n >= len(pw)
}

func markMatches(pw, word []rune, covered []bool) {
	for i := 0; i+len(word) <= len(pw); i++ {
		ok := true
		for k, c := range word {
			if !leetMatch(pw[i+k], c) {
				ok = false
				break
			}
		}
		if ok {
			for k := range word {
				covered[i+k] = true
			}
		}
	}
}

func reversed(r []rune) []rune {
	out := make([]rune, len(r))
	for i, c := range r {
		out[len(r)-1-i] = c
	}
	return out
}

// truncateRunes returns the first n code points of s.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}
