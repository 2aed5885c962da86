package reqbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// parseJSONFields reads a JSON body as JSON.parse would and returns its
// top-level string fields, refusing what Go and JavaScript could read
// differently: invalid UTF-8 (replaced by the app's decoder), lone
// surrogate escapes (kept by JavaScript, replaced by Go), and duplicate or
// case-variant keys at any depth (JavaScript keeps the last duplicate;
// case-insensitive readers pick another).
func parseJSONFields(raw []byte) (map[string]string, error) {
	if !utf8.Valid(raw) {
		return nil, &ambiguity{"the JSON body is not valid UTF-8"}
	}
	if err := checkSurrogates(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	w := &jsonWalker{dec: dec}
	fields, err := w.document()
	if err != nil {
		return nil, err
	}
	return fields, nil
}

// jsonWalker walks a JSON document token by token.
type jsonWalker struct {
	dec   *json.Decoder
	depth int
}

// maxDepth bounds nesting, as a body of a million '[' must not cost a
// million frames.
const maxDepth = 64

func (w *jsonWalker) document() (map[string]string, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return nil, fmt.Errorf("malformed JSON")
	}
	fields := map[string]string{}
	if d, ok := tok.(json.Delim); ok && d == '{' {
		if err := w.object(fields); err != nil {
			return nil, err
		}
	} else if err := w.rest(tok); err != nil {
		return nil, err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("malformed JSON: data after the top-level value")
	}
	return fields, nil
}

// object reads an object after its '{'; top-level string members go to
// fields when fields is not nil.
func (w *jsonWalker) object(fields map[string]string) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer w.leave()
	seen := map[string]string{} // lower-cased key → key
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return fmt.Errorf("malformed JSON")
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("malformed JSON")
		}
		if key == "__proto__" {
			return &ambiguity{`the JSON body has a "__proto__" key`}
		}
		lower := strings.ToLower(key)
		if prev, dup := seen[lower]; dup {
			if prev == key {
				return &ambiguity{fmt.Sprintf("the JSON body has the key %q twice", clipKey(key))}
			}
			return &ambiguity{fmt.Sprintf("the JSON body has the keys %q and %q, which differ only in case", clipKey(prev), clipKey(key))}
		}
		seen[lower] = key
		val, err := w.dec.Token()
		if err != nil {
			return fmt.Errorf("malformed JSON")
		}
		if s, isString := val.(string); isString && fields != nil {
			fields[key] = s
			continue
		}
		if err := w.rest(val); err != nil {
			return err
		}
	}
}

// enter goes one level deeper, refusing nesting past maxDepth; a failed
// enter ends the parse, so it needs no leave.
func (w *jsonWalker) enter() error {
	w.depth++
	if w.depth > maxDepth {
		return fmt.Errorf("malformed JSON: nested deeper than %d", maxDepth)
	}
	return nil
}

func (w *jsonWalker) leave() { w.depth-- }

// rest finishes the value that starts with tok.
func (w *jsonWalker) rest(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch d {
	case '{':
		return w.object(nil)
	case '[':
		if err := w.enter(); err != nil {
			return err
		}
		defer w.leave()
		for {
			t, err := w.dec.Token()
			if err != nil {
				return fmt.Errorf("malformed JSON")
			}
			if e, ok := t.(json.Delim); ok && e == ']' {
				return nil
			}
			if err := w.rest(t); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("malformed JSON")
}

// checkSurrogates refuses \uD800–\uDFFF escapes that do not form a
// high-low pair: JavaScript keeps such a lone surrogate in the string, Go
// turns it into U+FFFD, so the two would see different passwords.
func checkSurrogates(raw []byte) error {
	inString, pendingHigh := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch {
		case c == '"':
			if pendingHigh {
				return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
			}
			inString = false
		case c == '\\' && i+1 < len(raw):
			i++
			if raw[i] != 'u' {
				if pendingHigh {
					return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
				}
				continue
			}
			if i+4 >= len(raw) {
				return nil // malformed; the decoder reports it
			}
			unit, ok := hex4(raw[i+1 : i+5])
			i += 4
			if !ok {
				return nil
			}
			switch {
			case unit >= 0xD800 && unit <= 0xDBFF:
				if pendingHigh {
					return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
				}
				pendingHigh = true
			case unit >= 0xDC00 && unit <= 0xDFFF:
				if !pendingHigh {
					return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
				}
				pendingHigh = false
			default:
				if pendingHigh {
					return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
				}
			}
		default:
			if pendingHigh {
				return &ambiguity{"the JSON body has a lone UTF-16 surrogate escape"}
			}
		}
	}
	return nil
}

func hex4(b []byte) (uint16, bool) {
	var v uint16
	for _, c := range b {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= uint16(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

func clipKey(k string) string {
	if len(k) > 40 {
		return k[:40] + "…"
	}
	return k
}
