package caddymodule

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// caddyfileBlocks returns the fenced ```caddyfile blocks of a Markdown
// document with the line each starts on. Blocks fenced ```caddy are
// syntax synopses (placeholders in <>, alternatives with |, aligned
// comments), not input, and are left alone.
func caddyfileBlocks(md string) (blocks []string, lines []int) {
	var cur []string
	in, start := false, 0
	for i, l := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(l) == "```caddyfile":
			in, start, cur = true, i+2, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			lines = append(lines, start)
		case in:
			cur = append(cur, l)
		}
	}
	return blocks, lines
}

// fmtDiff is a short line diff of a Caddyfile against `caddy fmt`'s
// output, for the failure message.
func fmtDiff(in []byte) string {
	want := strings.Split(string(caddyfile.Format(in)), "\n")
	got := strings.Split(strings.TrimRight(string(in), "\n"), "\n")
	var b strings.Builder
	for i := 0; i < max(len(want), len(got)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "  line %d:\n  - %q\n  + %q\n", i+1, g, w)
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}

// TestCaddyfilesFormatted is `caddy fmt --diff` over Caddyfile.example and
// every ```caddyfile snippet of the docs: Caddy logs "Caddyfile input is
// not formatted" at start for any difference (FormattingDifference is the
// very check its adapter makes), and a copied snippet should not.
func TestCaddyfilesFormatted(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	if w, diff := caddyfile.FormattingDifference("Caddyfile.example", example); diff {
		t.Errorf("%s:%d: %s\n%s", w.File, w.Line, w.Message, fmtDiff(example))
	}
	docs, err := filepath.Glob(filepath.Join("..", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	docs = append(docs, more...)
	n := 0
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks, lines := caddyfileBlocks(string(raw))
		for i, b := range blocks {
			n++
			if w, diff := caddyfile.FormattingDifference(doc, []byte(b)); diff {
				t.Errorf("%s: the caddyfile block at line %d is not formatted (its line %d):\n%s", filepath.Base(doc), lines[i], w.Line, fmtDiff([]byte(b)))
			}
		}
	}
	if n < 3 {
		t.Fatalf("only %d ```caddyfile blocks found in %v: the docs' runnable snippets are fenced ```caddyfile", n, docs)
	}
}

// TestCaddyfileBlocksFound: the extraction sees a block, its start line
// and nothing of a ```caddy synopsis; and the check can fail.
func TestCaddyfileBlocksFound(t *testing.T) {
	md := "x\n```caddy\nsyn   <a>|<b>\n```\n```caddyfile\nlocalhost {\n\trespond ok\n}\n```\n"
	blocks, lines := caddyfileBlocks(md)
	if len(blocks) != 1 || lines[0] != 6 || blocks[0] != "localhost {\n\trespond ok\n}\n" {
		t.Fatalf("blocks %q at %v", blocks, lines)
	}
	bad := []byte("localhost {\n    respond ok\n}\n")
	if _, diff := caddyfile.FormattingDifference("x", bad); !diff || !bytes.Contains([]byte(fmtDiff(bad)), []byte(`"\trespond ok"`)) {
		t.Fatalf("a space-indented Caddyfile passes: %s", fmtDiff(bad))
	}
}
