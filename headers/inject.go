package headers

import (
	"bytes"
	"io"
)

// nonceInjector streams HTML through, adding nonce="…" right after the tag
// name of every <script>, <style> and <link> start tag. Because the
// attribute comes first, it wins over any stale nonce the markup carries
// (HTML keeps the first of duplicate attributes).
//
// It tokenizes just enough HTML to do that safely: comments, quoted
// attribute values and the raw text of script, style, textarea and title
// elements are skipped, so "<script" inside JavaScript or a comment is left
// alone. It never buffers the body: insertions happen at a byte of the
// current chunk, so streamed responses keep streaming.
//
// Trust note: injection trusts every tag in the rewritten HTML. It is meant
// for prerendered pages, whose HTML comes from the build, not from users.
type nonceInjector struct {
	w     io.Writer
	attr  []byte
	state injectState
	// name accumulates the lowercase tag name being read (first 8 bytes).
	name    [8]byte
	nameLen int
	endTag  bool
	// rawEnd is the end tag ("</script") that closes the current raw text
	// element; rawMatch counts how many of its bytes matched so far.
	rawEnd   string
	rawMatch int
	dashes   int
	quote    byte
	pendRaw  string // raw element entered when the current start tag closes
}

type injectState uint8

const (
	sData injectState = iota
	sTagOpen
	sTagName
	sAttrs
	sAttrQuoted
	sMarkupOpen
	sMarkupDash
	sComment
	sBogus
	sRaw
	sRawEndName
)

func newNonceInjector(w io.Writer, nonce string) *nonceInjector {
	return &nonceInjector{w: w, attr: []byte(` nonce="` + nonce + `"`)}
}

var (
	rawTags   = map[string]string{"script": "</script", "style": "</style", "textarea": "</textarea", "title": "</title"}
	nonceTags = map[string]bool{"script": true, "style": true, "link": true}
)

// Write rewrites p and writes it on. It reports len(p) on success, as the
// caller's bytes were all consumed.
func (in *nonceInjector) Write(p []byte) (int, error) {
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch in.state {
		case sData:
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			in.state = sTagOpen
		case sTagOpen:
			switch {
			case c == '!':
				in.state = sMarkupOpen
			case c == '/':
				in.endTag, in.nameLen, in.state = true, 0, sTagName
			case isASCIILetter(c):
				in.endTag, in.nameLen, in.state = false, 0, sTagName
				in.pushName(c)
			case c == '<':
				// stay: "<<script" opens a tag at the second '<'
			default:
				in.state = sData
			}
		case sTagName:
			if isASCIILetter(c) || (c >= '0' && c <= '9') || c == '-' {
				in.pushName(c)
				continue
			}
			name := in.tagName()
			if !in.endTag && nonceTags[string(name)] {
				if _, err := in.write(p[start:i], in.attr); err != nil {
					return 0, err
				}
				start = i
			}
			in.pendRaw = ""
			if !in.endTag {
				in.pendRaw = rawTags[string(name)]
			}
			in.state = sAttrs
			i-- // re-read the terminator in sAttrs
		case sAttrs:
			switch c {
			case '"', '\'':
				in.quote, in.state = c, sAttrQuoted
			case '>':
				in.closeTag()
			}
		case sAttrQuoted:
			j := bytes.IndexByte(p[i:], in.quote)
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			in.state = sAttrs
		case sMarkupOpen:
			if c == '-' {
				in.state = sMarkupDash
			} else {
				in.state = sBogus
				i--
			}
		case sMarkupDash:
			if c == '-' {
				in.state, in.dashes = sComment, 0
			} else {
				in.state = sBogus
				i--
			}
		case sComment:
			switch {
			case c == '-':
				in.dashes++
			case c == '>' && in.dashes >= 2:
				in.state = sData
			default:
				in.dashes = 0
			}
		case sBogus:
			if c == '>' {
				in.state = sData
			}
		case sRaw:
			in.stepRaw(c)
		case sRawEndName:
			// "</script" matched: the end tag needs a terminator.
			switch c {
			case '>':
				in.state = sData
			case ' ', '\t', '\n', '\f', '\r', '/':
				in.state, in.pendRaw = sAttrs, ""
			default:
				in.state, in.rawMatch = sRaw, 0
				i--
			}
		}
	}
	if _, err := in.write(p[start:], nil); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (in *nonceInjector) stepRaw(c byte) {
	want := in.rawEnd[in.rawMatch]
	if c == want || (want >= 'a' && want <= 'z' && c == want-'a'+'A') {
		in.rawMatch++
		if in.rawMatch == len(in.rawEnd) {
			in.state = sRawEndName
		}
		return
	}
	in.rawMatch = 0
	if c == '<' {
		in.rawMatch = 1
	}
}

func (in *nonceInjector) closeTag() {
	if in.pendRaw != "" {
		in.rawEnd, in.rawMatch, in.state = in.pendRaw, 0, sRaw
		in.pendRaw = ""
		return
	}
	in.state = sData
}

func (in *nonceInjector) pushName(c byte) {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if in.nameLen < len(in.name) {
		in.name[in.nameLen] = c
	}
	in.nameLen++
}

// tagName returns the lowercase tag name read, or nil when it is longer
// than any tag the injector cares about. Callers index maps with
// string(name), which does not allocate.
func (in *nonceInjector) tagName() []byte {
	if in.nameLen > len(in.name) {
		return nil
	}
	return in.name[:in.nameLen]
}

func (in *nonceInjector) write(a, b []byte) (int, error) {
	n := 0
	if len(a) > 0 {
		m, err := in.w.Write(a)
		n += m
		if err != nil {
			return n, err
		}
	}
	if len(b) > 0 {
		m, err := in.w.Write(b)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
