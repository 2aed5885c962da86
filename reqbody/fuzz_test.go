package reqbody

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseMediaType: no panic; whatever is accepted is one of the two
// canonical types, and the canonical string parses to the same kind
// (accept ⇒ canonical round-trips).
func FuzzParseMediaType(f *testing.F) {
	for _, c := range corpus {
		f.Add(c.contentType, c.form)
	}
	f.Fuzz(func(t *testing.T, v string, form bool) {
		k, ref := ParseMediaType([]string{v}, form)
		if ref != nil {
			if ref.Status != http.StatusUnsupportedMediaType || ref.Message == "" {
				t.Fatalf("refusal %+v", ref)
			}
			return
		}
		if k != JSON && !(k == Form && form) {
			t.Fatalf("%q accepted as %v (form allowed: %v)", v, k, form)
		}
		for i := 0; i < len(v); i++ {
			if v[i] > 0x7e || (v[i] < 0x20 && v[i] != '\t') || v[i] == ',' {
				t.Fatalf("%q accepted with byte %#x", v, v[i])
			}
		}
		if k2, ref := ParseMediaType([]string{k.String()}, form); ref != nil || k2 != k {
			t.Fatalf("canonical %q of %q reads as %v, %v", k.String(), v, k2, ref)
		}
	})
}

// FuzzRead: no panic; an accepted body goes upstream byte-identical under
// its canonical Content-Type; a refusal is a 4xx with a message; an
// accepted JSON body's string fields are what encoding/json reads from it
// (which, with duplicates refused, is what JSON.parse reads).
func FuzzRead(f *testing.F) {
	for _, c := range corpus {
		f.Add(c.contentType, c.body, c.form)
	}
	f.Fuzz(func(t *testing.T, contentType, body string, form bool) {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-up/email", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		b, ref := Read(nil, r, Options{MaxBody: 4096, AllowForm: form})
		if ref != nil {
			if ref.Message == "" || ref.Status < 400 || ref.Status > 499 || ref.Reason == "" {
				t.Fatalf("refusal without message, reason or 4xx status: %+v", ref)
			}
			return
		}
		got, _ := io.ReadAll(r.Body)
		if string(got) != body {
			t.Fatalf("body not restored: %q, want %q", got, body)
		}
		if b.Kind == None {
			if body != "" && contentType != "" {
				t.Fatalf("a body read as none: %q %q", contentType, body)
			}
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != b.Kind.String() {
			t.Fatalf("forwarded Content-Type %q, want %q", ct, b.Kind.String())
		}
		if b.Kind != JSON {
			return
		}
		var obj map[string]any
		if json.Unmarshal([]byte(body), &obj) != nil {
			return // a non-object: no fields expected
		}
		for k, v := range obj {
			s, isString := v.(string)
			if got, ok := b.fields[k]; isString && (!ok || got != s) {
				t.Fatalf("field %q: read %q, encoding/json reads %q", k, got, s)
			}
		}
	})
}
