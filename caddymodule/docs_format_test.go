package caddymodule

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard" // the directives the snippets use beside ours
)

// caddyfileBlocks returns the fenced ```caddyfile blocks of a Markdown
// document with the line each starts on. Blocks fenced ```caddy are
// syntax synopses (placeholders in <>, alternatives with |, aligned
// comments), not input, and are left alone. A ```caddyfile fence left
// open is an error: the rest of the page would go unchecked.
func caddyfileBlocks(md string) (blocks []string, lines []int, err error) {
	var cur []string
	in, start := false, 0
	for i, l := range strings.Split(md, "\n") {
		switch {
		case !in && strings.EqualFold(strings.TrimSpace(l), "```caddyfile"):
			in, start, cur = true, i+2, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			lines = append(lines, start)
		case in:
			cur = append(cur, l)
		}
	}
	if in {
		return nil, nil, fmt.Errorf("the ```caddyfile block at line %d is never closed", start-1)
	}
	return blocks, lines, nil
}

// docSnippet is one ```caddyfile block of a Markdown page.
type docSnippet struct {
	file string // path relative to the repository root, e.g. docs/headers.md
	line int    // line of the page where the block's first line is
	text string
}

// docSnippets collects every ```caddyfile block of README.md (and the
// other top-level pages) and docs/*.md.
func docSnippets(t *testing.T) []docSnippet {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join("..", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, more...)
	var out []docSnippet
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel("..", doc)
		blocks, lines, err := caddyfileBlocks(string(raw))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		for i, b := range blocks {
			out = append(out, docSnippet{file: filepath.ToSlash(rel), line: lines[i], text: b})
		}
	}
	// README, every docs page and their examples: far more than this. Fewer
	// means the pages moved or the fence changed, and nothing is checked.
	if len(out) < 20 {
		t.Fatalf("only %d ```caddyfile blocks found in %v: the docs' runnable snippets are fenced ```caddyfile", len(out), docs)
	}
	return out
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

// adaptAt runs Caddy's Caddyfile adapter (as `caddy adapt` does, with this
// package's modules and Caddy's standard ones registered) over a Caddyfile
// that starts on line `line` of file `name`, so that the adapter's own
// error messages name the page's line. Adapter warnings fail too, except
// the formatting one, which TestCaddyfilesFormatted reports with a diff.
func adaptAt(name string, line int, text string) error {
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return fmt.Errorf("caddyfile adapter not registered")
	}
	padded := strings.Repeat("\n", line-1) + text
	_, warnings, err := adapter.Adapt([]byte(padded), map[string]any{"filename": name})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		if strings.Contains(w.Message, "not formatted") {
			continue
		}
		return fmt.Errorf("adapter warning: %s:%d: %s", w.File, w.Line, w.Message)
	}
	return nil
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
	for _, s := range docSnippets(t) {
		if w, diff := caddyfile.FormattingDifference(s.file, []byte(s.text)); diff {
			t.Errorf("%s:%d: the caddyfile block is not formatted (at %s:%d):\n%s", s.file, s.line, s.file, s.line+w.Line-1, fmtDiff([]byte(s.text)))
		}
	}
}

// TestCaddyfilesAdapt is `caddy adapt` over Caddyfile.example and every
// ```caddyfile snippet of README.md and docs/*.md: each must be a complete
// Caddyfile that the adapter accepts with the edge's modules, so that the
// documentation cannot drift from the code. A fragment (one directive, one
// subdirective block) belongs in a site block; a syntax synopsis is fenced
// ```caddy and is not input. Environment placeholders without a default
// ({$OCOMMS_X}) adapt to what they are set to here, usually empty, as they
// would for an operator who did not set them; snippets prefer
// {$OCOMMS_X:default} or the runtime {env.OCOMMS_X}.
func TestCaddyfilesAdapt(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := adaptAt("Caddyfile.example", 1, string(example)); err != nil {
		t.Errorf("Caddyfile.example: %v", err)
	}
	for _, s := range docSnippets(t) {
		if err := adaptAt(s.file, s.line, s.text); err != nil {
			t.Errorf("%s:%d: the caddyfile block does not adapt: %v", s.file, s.line, err)
		}
	}
}

// TestCaddyfileBlocksFound: the extraction sees a block, its start line
// and nothing of a ```caddy synopsis; and both checks can fail.
func TestCaddyfileBlocksFound(t *testing.T) {
	md := "x\n```caddy\nsyn   <a>|<b>\n```\n```caddyfile\nlocalhost {\n\trespond ok\n}\n```\n"
	blocks, lines, err := caddyfileBlocks(md)
	if err != nil || len(blocks) != 1 || lines[0] != 6 || blocks[0] != "localhost {\n\trespond ok\n}\n" {
		t.Fatalf("blocks %q at %v, %v", blocks, lines, err)
	}
	if _, _, err := caddyfileBlocks("```caddyfile\nlocalhost\n"); err == nil {
		t.Fatal("an unclosed ```caddyfile fence passes")
	}
	bad := []byte("localhost {\n    respond ok\n}\n")
	if _, diff := caddyfile.FormattingDifference("x", bad); !diff || !bytes.Contains([]byte(fmtDiff(bad)), []byte(`"\trespond ok"`)) {
		t.Fatalf("a space-indented Caddyfile passes: %s", fmtDiff(bad))
	}
	if err := adaptAt("docs/x.md", 6, blocks[0]); err != nil {
		t.Fatalf("a complete site block does not adapt: %v", err)
	}
	// A bare directive outside a site block, and a subdirective the
	// directive does not know, are refused, named by the page's line.
	for text, want := range map[string]string{
		"ocomms_headers ocomms\n":                              "docs/x.md:",
		"localhost {\n\tocomms_headers {\n\t\tcsq x\n\t}\n}\n": "docs/x.md:8",
	} {
		err := adaptAt("docs/x.md", 6, text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("adapting %q: %v, want an error naming %s", text, err, want)
		}
	}
}
