package authguard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReadBody: no panic, the body always goes upstream byte-identical, and
// an accepted JSON body's string fields are what encoding/json (last
// duplicate wins, like JSON.parse) reads from it.
func FuzzReadBody(f *testing.F) {
	for _, c := range corpus {
		f.Add(c.contentType, c.body, c.form)
	}
	f.Fuzz(func(t *testing.T, contentType, body string, form bool) {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-up/email", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		b, ref := ReadBody(r, 4096, form)
		got, _ := io.ReadAll(r.Body)
		if string(got) != body {
			t.Fatalf("body not restored: %q, want %q", got, body)
		}
		if ref != nil {
			if ref.Message == "" || ref.Status < 400 || ref.Status > 499 {
				t.Fatalf("refusal without message or 4xx status: %+v", ref)
			}
			return
		}
		if b.Kind != BodyJSON {
			return
		}
		var obj map[string]any
		if json.Unmarshal([]byte(body), &obj) != nil {
			return // a non-object: no fields expected
		}
		for k, v := range obj {
			s, isString := v.(string)
			if got, ok := b.Fields[k]; isString && (!ok || got != s) {
				t.Fatalf("field %q: read %q, encoding/json reads %q", k, got, s)
			}
		}
	})
}
