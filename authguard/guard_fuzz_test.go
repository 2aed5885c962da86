package authguard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzGuard sends random bodies and content types to the guarded
// endpoints: no panic; either the app receives exactly the bytes sent, or
// the guard answers itself with a JSON refusal (4xx, code and message).
func FuzzGuard(f *testing.F) {
	for _, ct := range []string{"application/json", "Application/JSON; charset=utf-8", "application/vnd.x+json",
		"application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ", "text/plain", ""} {
		f.Add("/sign-in/email", ct, `{"email":"a@b.test","password":"x"}`)
	}
	f.Add("/sign-in/email", "application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ",
		"--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.test\r\n--XYZ--\r\n")
	f.Add("/sign-up/email", "application/json", `{"name":"a","email":"a@b.test","password":"x"}`)
	f.Add("/change-password", "application/json", `{"newPassword":"a long enough one","currentPassword":"x"}`)
	f.Add("/reset-password", "application/json", `{"newPassword":"a long enough one","token":"t"}`)
	f.Add("/sign-in/email", "application/x-www-form-urlencoded", "email=a%40b.test&password=x")
	f.Add("/organization/create", "application/json", `{"name":"x","slug":"x"}`)
	f.Fuzz(func(t *testing.T, path, contentType, body string) {
		tg := newTestGuard(t, func(c *GuardConfig) { c.MaxBody = 2048 })
		var got []byte
		var reached bool
		next := nextFunc(func(w http.ResponseWriter, r *http.Request) error {
			reached = true
			got, _ = io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"code":"INVALID_EMAIL_OR_PASSWORD"}`))
			return nil
		})
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.URL.Path = "/api/auth" + path
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		if err := tg.g.Serve(w, r, next); err != nil {
			t.Fatal(err)
		}
		if reached {
			if string(got) != body {
				t.Fatalf("forwarded %q, sent %q", got, body)
			}
			if ct := r.Header.Get("Content-Type"); body != "" && ct != "application/json" && ct != "application/x-www-form-urlencoded" {
				t.Fatalf("forwarded with Content-Type %q, not a canonical one", ct)
			}
			return
		}
		var b struct{ Code, Message string }
		if w.Code < 400 || w.Code > 599 || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code == "" || b.Message == "" {
			t.Fatalf("not forwarded and no JSON refusal: %d %q", w.Code, w.Body)
		}
	})
}
