package integration

// The differential auth test's request bodies and content types: JSON,
// form and multipart encodings of two field sets, one hidden in the other.

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
)

// body makes a body in one format carrying set a, often with set b
// hidden in it by a trick of that format or of another one.
func (g *authGen) body(a, b []bodyField, boundary string) ([]byte, string) {
	switch r := g.rnd.Intn(100); {
	case r < 45:
		return g.jsonBody(a, b)
	case r < 72:
		return g.formBody(a, b)
	case r < 90:
		return g.multipartBody(a, b, boundary)
	case r < 95:
		// text: a body in one format, declared as another by contentType.
		return []byte(formEncode(a)), "text-form"
	default:
		return []byte(g.randString(g.rnd.Intn(40))), "noise"
	}
}

// jsonString quotes s as JSON, sometimes escaping every character.
func (g *authGen) jsonString(s string, escapeAll bool) string {
	if !escapeAll {
		q, _ := json.Marshal(s)
		return string(q)
	}
	var sb strings.Builder
	sb.WriteByte('"')
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&sb, `\u%04x`, u)
	}
	sb.WriteByte('"')
	return sb.String()
}

func (g *authGen) jsonObject(fields []bodyField, escapeKeys, escapeValues bool) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			sb.WriteString(g.pick(",", ", ", ",\n", " ,\t"))
		}
		sb.WriteString(g.jsonString(f.name, escapeKeys))
		sb.WriteString(g.pick(":", ": ", " : "))
		sb.WriteString(g.jsonString(f.value, escapeValues))
	}
	sb.WriteByte('}')
	return sb.String()
}

func (g *authGen) jsonBody(a, b []bodyField) ([]byte, string) {
	kind := g.pick("plain", "dup-key", "case-key", "escaped-key", "nested-decoy", "proto", "bom",
		"trailing", "non-string", "polyglot-form", "key-polyglot", "utf16", "bad-utf8", "lone-surrogate",
		"escaped-values", "array", "deep", "null-byte")
	fields := append([]bodyField(nil), a...)
	switch kind {
	case "dup-key":
		if len(b) > 0 {
			fields = append(fields, b[0]) // the same name again, last wins in JavaScript
			if g.chance(0.5) {
				fields = append([]bodyField{b[0]}, a...)
			}
		}
	case "case-key":
		if len(b) > 0 {
			fields = append(fields, bodyField{strings.ToUpper(b[0].name[:1]) + b[0].name[1:], b[0].value})
		}
	case "proto":
		inner := g.jsonObject(b, false, false)
		s := g.jsonObject(fields, false, false)
		return []byte(s[:len(s)-1] + `,"__proto__":` + inner + "}"), "json-" + kind
	case "nested-decoy":
		inner := g.jsonObject(b, false, false)
		s := g.jsonObject(fields, false, false)
		key := g.pick("user", "data", "body", "email")
		return []byte(`{"` + key + `":` + inner + "," + s[1:]), "json-" + kind
	case "bom":
		return append([]byte(g.pick("\xEF\xBB\xBF", "\xEF\xBB\xBF\r\n ", " \t\r\n")), g.jsonObject(fields, false, false)...), "json-" + kind
	case "trailing":
		return []byte(g.jsonObject(fields, false, false) + g.pick(" x", "&"+formEncode(b), "{}", "\x00", "\n\n")), "json-" + kind
	case "non-string":
		if len(fields) > 0 {
			v := g.pick(`123`, `true`, `null`, `["`+fields[0].value+`"]`, `{"value":"`+fields[0].value+`"}`)
			s := g.jsonObject(fields[1:], false, false)
			return []byte(`{"` + fields[0].name + `":` + v + strings.Replace(s, "{", ",", 1)), "json-" + kind
		}
	case "polyglot-form":
		// A JSON string value that a form reader splits on '&'.
		fields = append(fields, bodyField{g.pick("x", "note", "callbackURL"), "&" + formEncode(b) + "&"})
	case "key-polyglot":
		s := g.jsonObject(fields, false, false)
		return []byte(`{"&` + formEncode(b) + `&":1,` + s[1:]), "json-" + kind
	case "utf16":
		s := g.jsonObject(fields, false, false)
		u := utf16.Encode([]rune(s))
		out := []byte{0xFF, 0xFE}
		if g.chance(0.5) {
			out = out[:0]
		}
		for _, c := range u {
			out = append(out, byte(c), byte(c>>8))
		}
		return out, "json-" + kind
	case "bad-utf8":
		if len(fields) > 0 {
			fields[0].value += "\xC3"
			s := "{"
			for i, f := range fields {
				if i > 0 {
					s += ","
				}
				s += `"` + f.name + `":"` + f.value + `"`
			}
			return []byte(s + "}"), "json-" + kind
		}
	case "lone-surrogate":
		if len(fields) > 0 {
			fields[0].value = `\ud800` + fields[0].value // JSON-escaped to \\ud800, then made a lone \ud800
			s := g.jsonObject(fields, false, false)
			return []byte(strings.Replace(s, `\\ud800`, `\ud800`, 1)), "json-" + kind
		}
	case "escaped-values":
		return []byte(g.jsonObject(fields, g.chance(0.5), true)), "json-" + kind
	case "array":
		return []byte("[" + g.jsonObject(fields, false, false) + "]"), "json-" + kind
	case "deep":
		depth := 60 + g.rnd.Intn(10)
		s := g.jsonObject(fields, false, false)
		return []byte(s[:len(s)-1] + `,"d":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}"), "json-" + kind
	case "null-byte":
		if len(fields) > 0 {
			fields[0].name += "\x00"
		}
		return []byte(g.jsonObject(fields, false, false)), "json-" + kind
	case "escaped-key":
		return []byte(g.jsonObject(fields, true, false)), "json-" + kind
	}
	return []byte(g.jsonObject(fields, false, false)), "json-" + kind
}

// formEncode writes fields as application/x-www-form-urlencoded.
func formEncode(fields []bodyField) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = formEscape(f.name) + "=" + formEscape(f.value)
	}
	return strings.Join(parts, "&")
}

func formEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '*':
			sb.WriteByte(c)
		case c == ' ':
			sb.WriteByte('+')
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func (g *authGen) formBody(a, b []bodyField) ([]byte, string) {
	kind := g.pick("plain", "dup-key", "case-key", "pct-name", "semicolon", "bad-pct", "polyglot-json",
		"latin1", "bracket-name", "leading-amp", "null-name", "plus-space", "json-looking", "lf", "bom")
	s := formEncode(a)
	switch kind {
	case "dup-key":
		if len(b) > 0 {
			if g.chance(0.5) {
				s = s + "&" + formEncode(b[:1])
			} else {
				s = formEncode(b[:1]) + "&" + s
			}
		}
	case "case-key":
		if len(b) > 0 {
			s += "&" + strings.ToUpper(b[0].name[:1]) + b[0].name[1:] + "=" + formEscape(b[0].value)
		}
	case "pct-name":
		if len(a) > 0 {
			name := a[0].name
			s = strings.Replace(s, name+"=", fmt.Sprintf("%%%02X", name[0])+name[1:]+"=", 1)
		}
	case "semicolon":
		s = strings.ReplaceAll(s, "&", ";")
		if len(b) > 0 {
			s += ";" + formEncode(b[:1])
		}
	case "bad-pct":
		s += "&x=%" + g.pick("", "g1", "4", "%41")
		if g.chance(0.5) && len(b) > 0 {
			s += "&" + formEncode(b[:1])
		}
	case "polyglot-json":
		// JSON carrying set b, whose string value a form reader splits
		// into set a.
		obj := g.jsonObject(b, false, false)
		s = obj[:len(obj)-1] + `,"z":"&` + formEncode(a) + `&"}`
	case "latin1":
		s += "&name=%E9t%E9"
		if len(a) > 0 {
			s = strings.Replace(s, "=", "=\xE9", 1)
		}
	case "bracket-name":
		if len(b) > 0 {
			s += "&" + b[0].name + "[]=" + formEscape(b[0].value)
		}
	case "leading-amp":
		s = "&&" + s + "&"
	case "null-name":
		if len(b) > 0 {
			s += "&" + b[0].name + "%00=" + formEscape(b[0].value)
		}
	case "plus-space":
		s = strings.ReplaceAll(s, "-", "+")
	case "json-looking":
		s = s + "&" + g.jsonObject(b, false, false)
	case "lf":
		s = strings.ReplaceAll(s, "&", "\n&")
	case "bom":
		// A UTF-8 BOM, which the Fetch body reader strips before parsing
		// and a byte-wise reader keeps in the first name; decoys after.
		s = "\xEF\xBB\xBF" + s
		if len(b) > 0 && g.chance(0.5) {
			s += "&" + formEncode(b[:1])
		}
	}
	return []byte(s), "form-" + kind
}

func (g *authGen) multipartBody(a, b []bodyField, boundary string) ([]byte, string) {
	kind := g.pick("plain", "dup-field", "preamble-form", "preamble-json", "lf-only", "filename",
		"quoted-name", "no-close", "other-boundary", "charset-field", "name-star")
	nl := "\r\n"
	if kind == "lf-only" {
		nl = "\n"
	}
	var sb strings.Builder
	switch kind {
	case "preamble-form":
		sb.WriteString("&" + formEncode(b) + "&" + nl)
	case "preamble-json":
		sb.WriteString(g.jsonObject(b, false, false) + nl)
	}
	bnd := boundary
	if kind == "other-boundary" {
		bnd = boundary + "x"
	}
	part := func(name, value, extra string) {
		sb.WriteString("--" + bnd + nl)
		sb.WriteString(`Content-Disposition: form-data; name="` + name + `"` + extra + nl)
		if kind == "charset-field" {
			sb.WriteString("Content-Type: text/plain; charset=iso-8859-1" + nl)
		}
		sb.WriteString(nl + value + nl)
	}
	for i, f := range a {
		extra := ""
		if kind == "filename" && i == 0 {
			extra = `; filename="x.txt"`
		}
		if kind == "quoted-name" && i == 0 {
			part(strings.ToUpper(f.name[:1])+f.name[1:], f.value, "")
			continue
		}
		if kind == "name-star" && i == 0 {
			sb.WriteString("--" + bnd + nl)
			sb.WriteString(`Content-Disposition: form-data; name="decoy"; name*=UTF-8''` + f.name + nl + nl + f.value + nl)
			continue
		}
		part(f.name, f.value, extra)
	}
	if kind == "dup-field" && len(b) > 0 {
		part(b[0].name, b[0].value, "")
	}
	if kind != "no-close" {
		sb.WriteString("--" + bnd + "--" + nl)
	}
	return []byte(sb.String()), "multipart-" + kind
}

// contentType returns the Content-Type header lines for a body of kind,
// usually a variant of its own type, often of another.
func (g *authGen) contentType(bodyKind, boundary string) ([]string, []string) {
	own := "application/json"
	switch {
	case strings.HasPrefix(bodyKind, "form"), bodyKind == "text-form":
		own = "application/x-www-form-urlencoded"
	case strings.HasPrefix(bodyKind, "multipart"):
		own = "multipart/form-data; boundary=" + boundary
	}
	others := []string{
		"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + boundary,
		"text/plain", "application/vnd.api+json", "application/ld+json", "application/json-patch+json",
		"application/jsonx", "application/json5", "application/octet-stream", "application/xml",
		"text/json", "*/*", "application/*", "json", "application/x-www-form-urlencoded-x",
	}
	// The types better-call itself tells apart come up more often than the
	// rest, as another type and in lists.
	core := []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + boundary}
	other := func() string {
		if g.chance(0.6) {
			return g.pick(core...)
		}
		return g.pick(others...)
	}
	base := own
	var kinds []string
	if g.chance(0.35) {
		base = other()
		kinds = append(kinds, "ct:other-type")
	}
	if g.chance(0.04) {
		return nil, append(kinds, "ct:none")
	}
	if len(kinds) == 0 && g.chance(0.3) {
		// A share of clean types, so that many bodies get read at all.
		return []string{"Content-Type: " + own}, []string{"ct:own"}
	}
	v := base
	// Mutations, each with its own chance; several may apply.
	if g.chance(0.15) {
		v = g.pick(strings.ToUpper(v), mixCase(g, v))
		kinds = append(kinds, "ct:case")
	}
	if g.chance(0.2) {
		v += g.pick("; charset=utf-8", ";charset=UTF-8", `; charset="utf-8"`, "; charset=latin1",
			"; charset=iso-8859-1", "; charset=utf-16", "; charset=utf-16le", "; charset=us-ascii",
			"; charset=utf-8; charset=latin1", "; foo=bar", ";", "; boundary="+boundary,
			"; charset=utf-8 ; q=1", "; charset*=UTF-8''utf-8")
		kinds = append(kinds, "ct:param")
	}
	if g.chance(0.2) {
		o := other()
		if g.chance(0.5) {
			v = v + g.pick(", ", ",", " , ", ";") + o
		} else {
			v = o + g.pick(", ", ",", " , ", ";") + v
		}
		kinds = append(kinds, "ct:list")
	}
	if g.chance(0.1) {
		v = g.pick(" "+v, v+" ", "\t"+v+"\t", strings.Replace(v, "/", " / ", 1), v+"\xA0", "\xEF\xBB\xBF"+v)
		kinds = append(kinds, "ct:space")
	}
	if g.chance(0.1) {
		v = nonASCII(g, v)
		kinds = append(kinds, "ct:non-ascii")
	}
	lines := []string{"Content-Type: " + v}
	if g.chance(0.08) {
		second := "Content-Type: " + other()
		if g.chance(0.5) {
			lines = append(lines, second)
		} else {
			lines = append([]string{second}, lines...)
		}
		kinds = append(kinds, "ct:repeated")
	}
	if g.chance(0.05) {
		lines[0] = g.pick("content-type: ", "CONTENT-TYPE: ", "Content-type:") + strings.TrimPrefix(lines[0], "Content-Type: ")
		kinds = append(kinds, "ct:name-case")
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "ct:own")
	}
	return lines, kinds
}

func mixCase(g *authGen, s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' && g.chance(0.5) {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// nonASCII swaps one letter of s for a look-alike outside ASCII: UTF-8
// letters that lower-case to ASCII in Go or JavaScript, or single latin1
// bytes (Node reads header bytes as latin1).
func nonASCII(g *authGen, s string) string {
	type swap struct{ from, to string }
	swaps := []swap{
		{"I", "\xC4\xB0"}, {"i", "\xC4\xB0"}, {"i", "\xC4\xB1"}, {"k", "\xE2\x84\xAA"}, {"K", "\xE2\x84\xAA"},
		{"s", "\xC5\xBF"}, {"a", "\xE0"}, {"o", "\xF6"}, {"n", "\xF1"}, {"/", "\xEF\xBC\x8F"},
	}
	for range 4 {
		sw := swaps[g.rnd.Intn(len(swaps))]
		if strings.Contains(s, sw.from) {
			return strings.Replace(s, sw.from, sw.to, 1)
		}
	}
	return s + "\xE9"
}
