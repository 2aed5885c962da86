// Package jscase lower-cases text exactly as JavaScript's
// String.prototype.toLowerCase does, so the edge keys an email or a
// password the way better-auth (Node.js) does: the lockout's account keys,
// the password blocklist lookup and the guard's events all fold case
// through it. It is a leaf: it imports only the standard library (no
// Caddy, no audit log, no pgx).
package jscase

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ToLower lower-cases s as JavaScript's String.prototype.toLowerCase
// does (locale-independent Unicode default case conversion): simple
// lowercase mappings, plus the two unconditional and contextual rules of
// SpecialCasing.txt that toLowerCase applies: U+0130 becomes "i̇" (i and
// U+0307) and a capital sigma in final position becomes ς. Invalid UTF-8
// (which the body readers refuse before this point) is kept as is.
func ToLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ':
			if finalSigma(s, i, i+n) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += n
	}
	return b.String()
}

// finalSigma is the Final_Sigma condition of Unicode §3.13: a cased letter
// (skipping case-ignorables) before, and none after.
func finalSigma(s string, start, end int) bool {
	before := false
	for i := start; i > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		i -= n
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for i := end; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

// cased is the Unicode Cased property.
func cased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is the Unicode Case_Ignorable property: Mn, Me, Cf, Lm,
// Sk, and Word_Break MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
