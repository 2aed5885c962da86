package headers

import (
	"bytes"
	"io"
)

// nonceInjector streams HTML through, adding nonce="…" right after the tag
// name of every <script>, <style> and <link> start tag, and dropping any
// nonce attribute the tag already carried. Dropping matters: a browser
// treats an element with a duplicate attribute as not nonceable (CSP 3,
// "is element nonceable"), and Next.js bakes the nonce of whichever
// request triggered an ISR regeneration into the cached HTML.
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
	// nonceTag is set while reading the attributes of a tag that gets the
	// nonce, whose stale nonce attribute is dropped.
	nonceTag bool
	// attrMatch counts how many bytes of the current attribute name match
	// "nonce" so far; -1 once it cannot be nonce.
	attrMatch int
	// carry holds the start of an attribute name that was cut by the end
	// of a chunk and may still turn out to be "nonce": written only once
	// it is known not to be.
	carry    [5]byte
	carryLen int
	// dropping is set while skipping a stale nonce attribute.
	dropping bool
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
	// Attribute states: names, values quoted or not, as HTML reads them.
	sAttrName
	sAfterAttrName
	sBeforeAttrValue
	sAttrUnquoted
)

const nonceAttrName = "nonce"

func newNonceInjector(w io.Writer, nonce string) *nonceInjector {
	return &nonceInjector{w: w, attr: []byte(` nonce="` + nonce + `"`)}
}

var (
	// rawTags are the elements whose content HTML reads as text up to their
	// end tag (noscript too: browsers run scripts).
	rawTags = map[string]string{
		"script": "</script", "style": "</style", "textarea": "</textarea", "title": "</title",
		"xmp": "</xmp", "iframe": "</iframe", "noembed": "</noembed", "noframes": "</noframes", "noscript": "</noscript",
	}
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
			// As in HTML, a tag name runs to whitespace, '/' or '>'.
			if !isHTMLSpace(c) && c != '/' && c != '>' {
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
			in.nonceTag = false
			if !in.endTag {
				in.pendRaw = rawTags[string(name)]
				in.nonceTag = nonceTags[string(name)]
			}
			in.state = sAttrs
			i-- // re-read the terminator in sAttrs
		case sAttrs:
			switch {
			case c == '>':
				in.closeTag()
			case isHTMLSpace(c) || c == '/':
			default:
				in.state, in.attrMatch = sAttrName, -1
				if in.nonceTag {
					// The name may be a stale nonce, to be dropped.
					in.attrMatch = 0
					if err := in.flushBefore(p, &start, i); err != nil {
						return 0, err
					}
				}
				i-- // read the first name byte in sAttrName
			}
		case sAttrName:
			if in.attrMatch < 0 {
				// Not a name to drop: skip to its end in one loop.
				for i < len(p) && !isAttrNameEnd(p[i]) {
					i++
				}
				if i == len(p) {
					continue
				}
				c = p[i]
			}
			if isAttrNameEnd(c) {
				if in.attrMatch == len(nonceAttrName) {
					in.dropping, in.carryLen = true, 0 // a stale nonce: skip it
				} else if err := in.keepName(); err != nil {
					return 0, err
				}
				switch {
				case c == '=':
					in.state = sBeforeAttrValue
				case isHTMLSpace(c):
					in.state = sAfterAttrName
				default:
					in.endAttr(&start, i)
					in.state = sAttrs
					i--
				}
				continue
			}
			if in.attrMatch >= 0 {
				if in.attrMatch < len(nonceAttrName) && lower(c) == nonceAttrName[in.attrMatch] {
					in.attrMatch++
				} else if err := in.keepName(); err != nil {
					return 0, err
				}
			}
		case sAfterAttrName:
			switch {
			case isHTMLSpace(c):
			case c == '=':
				in.state = sBeforeAttrValue
			default:
				in.endAttr(&start, i)
				in.state = sAttrs
				i--
			}
		case sBeforeAttrValue:
			switch {
			case isHTMLSpace(c):
			case c == '"' || c == '\'':
				in.quote, in.state = c, sAttrQuoted
			case c == '>':
				in.endAttr(&start, i)
				in.state = sAttrs
				i--
			default:
				in.state = sAttrUnquoted
			}
		case sAttrUnquoted:
			for i < len(p) && !isHTMLSpace(p[i]) && p[i] != '>' {
				i++
			}
			if i < len(p) {
				in.endAttr(&start, i)
				in.state = sAttrs
				i--
			}
		case sAttrQuoted:
			j := bytes.IndexByte(p[i:], in.quote)
			if j < 0 {
				i = len(p)
				continue
			}
			i += j
			in.state = sAttrs
			in.endAttr(&start, i+1)
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
				in.state, in.pendRaw, in.nonceTag = sAttrs, "", false
			default:
				in.state, in.rawMatch = sRaw, 0
				i--
			}
		}
	}
	end := len(p)
	if in.state == sAttrName && in.attrMatch > 0 {
		// The name so far may be "nonce": hold it for the next chunk.
		n := in.attrMatch - in.carryLen // name bytes of this chunk
		copy(in.carry[in.carryLen:], p[end-n:])
		in.carryLen = in.attrMatch
		end -= n
	}
	if !in.dropping {
		if _, err := in.write(p[start:end], nil); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close writes what is still held back when the body ends inside a tag: the
// start of an attribute name that could have been "nonce".
func (in *nonceInjector) Close() error {
	if in.dropping {
		return nil
	}
	return in.keepName()
}

// flushBefore writes the bytes of p before index i (the start of an
// attribute name), so that the name can still be dropped.
func (in *nonceInjector) flushBefore(p []byte, start *int, i int) error {
	if _, err := in.write(p[*start:i], nil); err != nil {
		return err
	}
	*start = i
	return nil
}

// keepName marks the attribute name being read as not "nonce", writing
// any part of it held back from the previous chunk.
func (in *nonceInjector) keepName() error {
	in.attrMatch = -1
	if in.carryLen == 0 {
		return nil
	}
	n := in.carryLen
	in.carryLen = 0
	// Byte by byte from a package table: slicing in.carry for the writer
	// would move every injector to the heap, for a path that is rare
	// (a name starting like "nonce" cut by a chunk boundary).
	for _, c := range in.carry[:n] {
		if _, err := in.w.Write(singleByte[c][:]); err != nil {
			return err
		}
	}
	return nil
}

// singleByte holds every byte value as a one-byte slice source.
var singleByte = func() (t [256][1]byte) {
	for i := range t {
		t[i][0] = byte(i)
	}
	return t
}()

// endAttr ends the current attribute at index i of this chunk: when it was
// a stale nonce being dropped, output resumes at i.
func (in *nonceInjector) endAttr(start *int, i int) {
	if in.dropping {
		in.dropping = false
		*start = i
	}
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

func isAttrNameEnd(c byte) bool { return isHTMLSpace(c) || c == '/' || c == '>' || c == '=' }

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
