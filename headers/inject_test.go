package headers

import (
	"bytes"
	"strings"
	"testing"
)

const testAttr = ` nonce="N"`

func inject(t testing.TB, html string, chunk int) string {
	t.Helper()
	var out bytes.Buffer
	in := newNonceInjector(&out, "N")
	b := []byte(html)
	for len(b) > 0 {
		n := chunk
		if n <= 0 || n > len(b) {
			n = len(b)
		}
		if w, err := in.Write(b[:n]); err != nil || w != n {
			t.Fatalf("Write = %d, %v", w, err)
		}
		b = b[n:]
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestInjectorTable(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"inline script", `<script>a()</script>`, `<script nonce="N">a()</script>`},
		{"external script", `<script src="/a.js" async></script>`, `<script nonce="N" src="/a.js" async></script>`},
		{"style and link", `<style>b{}</style><link rel="stylesheet" href="/a.css">`, `<style nonce="N">b{}</style><link nonce="N" rel="stylesheet" href="/a.css">`},
		{"uppercase", `<SCRIPT>x</SCRIPT>`, `<SCRIPT nonce="N">x</SCRIPT>`},
		{"stale nonce dropped", `<script nonce="old">x</script>`, `<script nonce="N" >x</script>`},
		{"stale nonce among attributes", `<script src=a nonce="old" async></script>`, `<script nonce="N" src=a  async></script>`},
		{"stale nonce unquoted, upper case", `<link rel=preload NONCE=old>`, `<link nonce="N" rel=preload >`},
		{"bare nonce", `<script nonce>x</script>`, `<script nonce="N" >x</script>`},
		{"nonce with spaces", `<style nonce = 'x' media=all>a{}</style>`, `<style nonce="N"  media=all>a{}</style>`},
		{"unquoted nonce takes the slash", `<script src=a nonce=x/>`, `<script nonce="N" src=a >`},
		{"similar attribute names kept", `<script noncex="1" nonc=2 data-nonce=3>`, `<script nonce="N" noncex="1" nonc=2 data-nonce=3>`},
		{"nonce on other tags kept", `<div nonce="x"><script>y</script>`, `<div nonce="x"><script nonce="N">y</script>`},
		{"nonce in end tag of raw text", `<script>a</script nonce=x><script>b</script>`, `<script nonce="N">a</script nonce=x><script nonce="N">b</script>`},
		{"Next.js ISR page", `<script src="/_next/static/chunks/a.js" async="" nonce="Rr2WxqiRdWJO3jv97Ekxbw"></script>`, `<script nonce="N" src="/_next/static/chunks/a.js" async="" ></script>`},
		{"script text mentioning script", `<script>document.write("<script>x<\/script>")</script><script>y</script>`, `<script nonce="N">document.write("<script>x<\/script>")</script><script nonce="N">y</script>`},
		{"comment", `<!-- <script>no</script> --><script>y</script>`, `<!-- <script>no</script> --><script nonce="N">y</script>`},
		{"quoted gt", `<div title="a>b<script>"></div><script>y</script>`, `<div title="a>b<script>"></div><script nonce="N">y</script>`},
		{"textarea", `<textarea><script>no</script></textarea>`, `<textarea><script>no</script></textarea>`},
		{"similar names", `<scripts></scripts><stylex></stylex><linked>`, `<scripts></scripts><stylex></stylex><linked>`},
		{"doctype", `<!DOCTYPE html><html><script>y</script>`, `<!DOCTYPE html><html><script nonce="N">y</script>`},
		{"end tag with space", `<script>a</script ><script>b</script>`, `<script nonce="N">a</script ><script nonce="N">b</script>`},
		{"self-closing", `<script/>`, `<script nonce="N"/>`},
		{"lt in text", `a < b <script>y</script>`, `a < b <script nonce="N">y</script>`},
		{"style content with tag", `<style>a::after{content:"<script>"}</style>`, `<style nonce="N">a::after{content:"<script>"}</style>`},
	} {
		got := inject(t, tc.in, 0)
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		for chunk := 1; chunk < len(tc.in); chunk++ {
			if g := inject(t, tc.in, chunk); g != got {
				t.Errorf("%s: chunks of %d give %s, whole gives %s", tc.name, chunk, g, got)
				break
			}
		}
	}
}

func TestInjectorOnlyInserts(t *testing.T) {
	page := strings.Repeat(`<p>hi</p><script>self.__next_f.push([1,"<div>"])</script><link rel=preload as=script href=/a.js>`, 50)
	got := inject(t, page, 7)
	if strings.ReplaceAll(got, testAttr, "") != page {
		t.Fatal("injector changed bytes other than by inserting the nonce attribute")
	}
	if n := strings.Count(got, testAttr); n != 100 {
		t.Fatalf("inserted %d attributes, want 100", n)
	}
}

// isSubsequence reports whether a can be made from b by deleting bytes.
func isSubsequence(a, b string) bool {
	j := 0
	for i := 0; i < len(b) && j < len(a); i++ {
		if a[j] == b[i] {
			j++
		}
	}
	return j == len(a)
}

func FuzzInjector(f *testing.F) {
	for _, s := range []string{
		`<script>a</script>`, `<!-- x --><style>`, `<a href="<script>">`, `<textarea></textarea><script>`,
		`<script>"</script>"</script>`, `<<script`, `<!x>`, `<SCRIPT SRC=x>`,
		`<script nonce="a" src=x>`, `<link NONCE=b>`, `<style nonce>`, `<script nonce = 'q'/>`,
	} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, html string, chunk int) {
		if chunk < 0 {
			chunk = -chunk
		}
		whole := inject(t, html, 0)
		stripped := strings.ReplaceAll(whole, testAttr, "")
		if !strings.Contains(strings.ToLower(html), "nonce") {
			if stripped != html {
				t.Fatalf("output is not the input plus nonce attributes:\n in %q\nout %q", html, whole)
			}
		} else if !isSubsequence(stripped, strings.ReplaceAll(html, testAttr, "")) {
			// Stale nonce attributes may go; nothing else may change.
			t.Fatalf("output is not the input plus nonce attributes, minus stale ones:\n in %q\nout %q", html, whole)
		}
		if chunked := inject(t, html, chunk%17+1); chunked != whole {
			t.Fatalf("chunked output differs:\nwhole %q\nchunk %q", whole, chunked)
		}
	})
}
