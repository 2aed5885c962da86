package password

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the blocklist data
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
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

// has reports whether key, already folded with jscase.ToLower, is listed.
func (b *blocklist) has(key string) bool {
	n := b.Len()
	i := sort.Search(n, func(i int) bool { return b.entry(i) >= key })
	return i < n && b.entry(i) == key
}
