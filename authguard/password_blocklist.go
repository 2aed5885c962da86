package authguard

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the blocklist data
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// passwordBlocklistGz is 49 910 common and breached passwords, lower-cased
// (JavaScript toLowerCase), one a line, sorted by bytes, gzipped. Sources
// and licences: blocklist/NOTICE. Rebuilt by scripts/gen-blocklist.sh.
//
//go:embed blocklist/passwords.txt.gz
var passwordBlocklistGz []byte

// blocklist is the decompressed list: every entry in one string, entry i
// at data[offs[i]:offs[i+1]-1] (the -1 drops the newline). Sorted entries
// and a binary search keep it at about the size of the text (~0.6 MB)
// instead of a map's several MB.
type blocklist struct {
	data string
	offs []uint32
}

var (
	blocklistOnce sync.Once
	blocklistSet  *blocklist
	blocklistErr  error
)

// loadBlocklist decompresses the embedded list once, on first use.
func loadBlocklist() (*blocklist, error) {
	blocklistOnce.Do(func() {
		blocklistSet, blocklistErr = parseBlocklist(passwordBlocklistGz)
	})
	return blocklistSet, blocklistErr
}

func parseBlocklist(gz []byte) (*blocklist, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("password blocklist: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("password blocklist: %w", err)
	}
	if len(raw) == 0 || raw[len(raw)-1] != '\n' {
		return nil, fmt.Errorf("password blocklist: not newline-terminated")
	}
	data := string(raw)
	b := &blocklist{data: data, offs: make([]uint32, 0, strings.Count(data, "\n")+1)}
	prev := ""
	for i := 0; i < len(data); {
		j := strings.IndexByte(data[i:], '\n') + i
		entry := data[i:j]
		if entry == "" || entry <= prev {
			return nil, fmt.Errorf("password blocklist: entry %d empty or out of order", len(b.offs))
		}
		b.offs = append(b.offs, uint32(i))
		prev, i = entry, j+1
	}
	b.offs = append(b.offs, uint32(len(data)))
	return b, nil
}

// Len is the number of entries.
func (b *blocklist) Len() int { return len(b.offs) - 1 }

func (b *blocklist) entry(i int) string { return b.data[b.offs[i] : b.offs[i+1]-1] }

// has reports whether key, already folded with jsLower, is listed.
func (b *blocklist) has(key string) bool {
	n := b.Len()
	i := sort.Search(n, func(i int) bool { return b.entry(i) >= key })
	return i < n && b.entry(i) == key
}

// jsLower lower-cases s as JavaScript's String.prototype.toLowerCase does,
// the normalisation the list was built with: Unicode simple lower-case
// mappings, plus the two SpecialCasing rules that lower-casing uses
// without a locale: U+0130 (İ) becomes "i" + U+0307, and a capital sigma
// at the end of a word becomes the final form ς.
func jsLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i, r := range s {
		switch r {
		case 'İ':
			sb.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(s, i) {
				sb.WriteRune('ς')
			} else {
				sb.WriteRune('σ')
			}
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

// finalSigma is the Final_Sigma condition of Unicode SpecialCasing for the
// sigma at byte i: a cased letter before it and none after it, skipping
// case-ignorable characters either way.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + len("Σ"); j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', '\u00b7', '\u2018', '\u2019', '\u2024', '\u2027':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
