package headers

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzInjectorVersusTokenizer reads the injector's output with the Go
// project's HTML tokenizer (golang.org/x/net/html, as a browser would read
// it): every script, style and link start tag must carry exactly one nonce
// attribute, this response's, and every other token must be what the
// tokenizer read from the input.
func FuzzInjectorVersusTokenizer(f *testing.F) {
	for _, s := range []string{
		`<script nonce=a src=x></script><style>b</style><link rel=x>`,
		`<div title="<script>"><script>x</script>`,
		`<A"><sCript>`, `<title!><script>`, `<noscript><script>x</script></noscript><script>`,
		`<script src=a NONCE='b' nonce="c"></script>`, `<xmp><link></xmp><link>`,
	} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, in string, chunk int) {
		out := inject(t, in, (chunk%17+17)%17+1)
		want := tokens(t, in, false)
		got := tokens(t, out, true)
		if len(got) != len(want) {
			t.Fatalf("%d tokens out, %d in\n in %q\nout %q", len(got), len(want), in, out)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("token %d: %q, want %q\n in %q\nout %q", i, got[i], want[i], in, out)
			}
		}
	})
}

// tokens tokenizes s. For output, a nonce tag must carry exactly one
// nonce, "N"; nonce attributes are then left out of every nonce tag, so
// input and output compare equal.
func tokens(t *testing.T, s string, output bool) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			return out
		}
		tok := z.Token()
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && nonceTags[tok.Data] {
			attrs := tok.Attr[:0:0]
			n := 0
			for _, a := range tok.Attr {
				if a.Key == "nonce" {
					n++
					if output && a.Val != "N" {
						t.Fatalf("%s tag with nonce %q in %q", tok.Data, a.Val, s)
					}
					continue
				}
				attrs = append(attrs, a)
			}
			if output && n != 1 {
				t.Fatalf("%s tag with %d nonce attributes in %q", tok.Data, n, s)
			}
			tok.Attr = attrs
		}
		out = append(out, tok.String())
	}
}
