package authguard

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// corpus is the differential corpus: bodies that a naive reader and
// better-call could read differently. Each is either read exactly as
// better-call hands it to the handler (want), or refused (code).
var corpus = []struct {
	name, contentType, body string
	form                    bool // endpoint accepts forms (sign-in, sign-up)
	want                    map[string]string
	code                    string
}{
	{"plain json", "application/json", `{"email":"a@b.c","password":"pw"}`, true, map[string]string{"email": "a@b.c", "password": "pw"}, ""},
	{"json charset, upper case type", "Application/JSON; charset=utf-8", `{"password":"pw"}`, false, map[string]string{"password": "pw"}, ""},
	{"vendor +json is json", "application/vnd.x+json", `{"password":"pw"}`, false, map[string]string{"password": "pw"}, ""},
	{"json suffix without plus is json (regexp has no end anchor)", "application/jsonp", `{"password":"pw"}`, false, map[string]string{"password": "pw"}, ""},
	{"duplicate json key", "application/json", `{"password":"weak","password":"Strong-enough-1"}`, false, nil, "AMBIGUOUS_BODY"},
	{"case-variant json key", "application/json", `{"password":"weak","Password":"Strong-enough-1"}`, false, nil, "AMBIGUOUS_BODY"},
	{"nested duplicate", "application/json", `{"user":{"a":1,"a":2},"password":"pw"}`, false, nil, "AMBIGUOUS_BODY"},
	{"duplicate inside an array of objects", "application/json", `{"x":[{"k":1,"K":2}]}`, false, nil, "AMBIGUOUS_BODY"},
	{"lone high surrogate", "application/json", `{"password":"a\ud800b"}`, false, nil, "AMBIGUOUS_BODY"},
	{"lone low surrogate", "application/json", `{"password":"\udc00"}`, false, nil, "AMBIGUOUS_BODY"},
	{"high surrogate at end of string", "application/json", `{"password":"\ud83d"}`, false, nil, "AMBIGUOUS_BODY"},
	{"paired surrogates are fine", "application/json", `{"password":"\ud83d\ude00 x"}`, false, map[string]string{"password": "😀 x"}, ""},
	{"escaped backslash before u is not an escape", "application/json", `{"password":"\\ud800"}`, false, map[string]string{"password": `\ud800`}, ""},
	{"invalid utf-8 in json", "application/json", "{\"password\":\"\xff\xfe\"}", false, nil, "AMBIGUOUS_BODY"},
	{"proto key", "application/json", `{"__proto__":{"admin":true},"password":"pw"}`, false, nil, "AMBIGUOUS_BODY"},
	{"trailing data", "application/json", `{"password":"pw"} {"password":"other"}`, false, nil, "INVALID_BODY"},
	{"malformed json", "application/json", `{"password":`, false, nil, "INVALID_BODY"},
	{"non-string values are not fields", "application/json", `{"password":123,"rememberMe":true,"email":"a@b.c"}`, false, map[string]string{"email": "a@b.c"}, ""},
	{"top-level array has no fields", "application/json", `[{"password":"pw"}]`, false, map[string]string{}, ""},
	{"unicode escapes decode like JSON.parse", "application/json", `{"email":"\u0041@b.c"}`, false, map[string]string{"email": "A@b.c"}, ""},
	{"whitespace around json", "application/json", " \n\t{\"password\":\"pw\"}\r\n", false, map[string]string{"password": "pw"}, ""},
	{"plain form", "application/x-www-form-urlencoded", "email=a%40b.c&password=p+w", true, map[string]string{"email": "a@b.c", "password": "p w"}, ""},
	{"form with charset", "application/x-www-form-urlencoded; charset=UTF-8", "password=pw", true, map[string]string{"password": "pw"}, ""},
	{"duplicate form field (app keeps last, Go first)", "application/x-www-form-urlencoded", "password=Strong-enough-1&password=weak", true, nil, "AMBIGUOUS_BODY"},
	{"case-variant form field", "application/x-www-form-urlencoded", "password=a&PASSWORD=b", true, nil, "AMBIGUOUS_BODY"},
	{"malformed percent escape", "application/x-www-form-urlencoded", "password=100%", true, nil, "AMBIGUOUS_BODY"},
	{"percent escape with non-hex", "application/x-www-form-urlencoded", "password=%zz", true, nil, "AMBIGUOUS_BODY"},
	{"percent-encoded invalid utf-8", "application/x-www-form-urlencoded", "password=%ff", true, nil, "AMBIGUOUS_BODY"},
	{"empty sequences are skipped", "application/x-www-form-urlencoded", "&&password=pw&", true, map[string]string{"password": "pw"}, ""},
	{"name without value", "application/x-www-form-urlencoded", "password", true, map[string]string{"password": ""}, ""},
	{"equals in value", "application/x-www-form-urlencoded", "password=a=b", true, map[string]string{"password": "a=b"}, ""},
	{"form on a JSON-only endpoint", "application/x-www-form-urlencoded", "newPassword=x", false, nil, "UNSUPPORTED_MEDIA_TYPE"},
	{"text/plain", "text/plain", `{"password":"pw"}`, true, nil, "UNSUPPORTED_MEDIA_TYPE"},
	{"multipart", "multipart/form-data; boundary=x", "--x--", true, nil, "UNSUPPORTED_MEDIA_TYPE"},
	{"no content type: the app sees no body", "", `{"password":"pw"}`, true, nil, ""},
}

func readCase(t *testing.T, contentType, body string, form bool) (*Body, *Refusal, *http.Request) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	b, ref := ReadBody(r, 0, form)
	return b, ref, r
}

func TestDifferentialCorpus(t *testing.T) {
	if len(corpus) < 30 {
		t.Fatalf("corpus has %d cases, want at least 30", len(corpus))
	}
	for _, tc := range corpus {
		b, ref, r := readCase(t, tc.contentType, tc.body, tc.form)
		got, _ := io.ReadAll(r.Body)
		if string(got) != tc.body {
			t.Errorf("%s: body not forwarded byte-identical", tc.name)
		}
		switch {
		case tc.code != "":
			if ref == nil || ref.Code != tc.code {
				t.Errorf("%s: refusal %v, want %s", tc.name, ref, tc.code)
			} else if ref.Message == "" || ref.Status < 400 {
				t.Errorf("%s: refusal without a message or error status: %+v", tc.name, ref)
			}
		case ref != nil:
			t.Errorf("%s: refused (%v), want read", tc.name, ref)
		case tc.want == nil:
			if b.Kind != BodyNone || len(b.Fields) != 0 {
				t.Errorf("%s: got %+v, want no body", tc.name, b)
			}
		case !maps.Equal(b.Fields, tc.want):
			t.Errorf("%s: fields %q, want %q", tc.name, b.Fields, tc.want)
		}
	}
}

func TestOversizedBodyRefusedAndRestored(t *testing.T) {
	body := `{"password":"` + strings.Repeat("x", DefaultMaxBody) + `"}`
	_, ref, r := readCase(t, "application/json", body, false)
	if ref == nil || ref.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("refusal %v, want 413", ref)
	}
	got, _ := io.ReadAll(r.Body)
	if !bytes.Equal(got, []byte(body)) {
		t.Fatal("oversized body not restored")
	}
}

func TestDeepNestingRefused(t *testing.T) {
	body := `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	if _, ref, _ := readCase(t, "application/json", body, false); ref == nil || ref.Code != "INVALID_BODY" {
		t.Fatalf("refusal %v, want INVALID_BODY for nesting past %d", ref, maxDepth)
	}
}
