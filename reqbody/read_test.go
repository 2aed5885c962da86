package reqbody

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// corpus holds bodies that two readers could read differently. Each is
// either read one way (want), or refused (code).
var corpus = []struct {
	name, contentType, body string
	form                    bool // endpoint accepts forms (sign-in, sign-up)
	want                    map[string]string
	code                    string
}{
	{"plain json", "application/json", `{"email":"a@b.c","password":"pw"}`, true, map[string]string{"email": "a@b.c", "password": "pw"}, ""},
	{"json charset, upper case type", "Application/JSON; charset=UTF-8", `{"password":"pw"}`, false, map[string]string{"password": "pw"}, ""},
	{"quoted charset", `application/json;charset="utf-8"`, `{"password":"pw"}`, false, map[string]string{"password": "pw"}, ""},
	{"vendor +json refused", "application/vnd.x+json", `{"password":"pw"}`, false, nil, CodeUnsupportedMediaType},
	{"jsonp refused", "application/jsonp", `{"password":"pw"}`, false, nil, CodeUnsupportedMediaType},
	{"comma list form then multipart", "application/x-www-form-urlencoded, multipart/form-data; boundary=XYZ", "--XYZ--", true, nil, CodeUnsupportedMediaType},
	{"comma list form then json", "application/x-www-form-urlencoded, application/json", `{"email":"a@b.c"}`, true, nil, CodeUnsupportedMediaType},
	{"latin1 bytes in the type", "APPL\xC4\xB0CATION/JSON, application/x-www-form-urlencoded", `{"a":"&email=x@y.z&"}`, true, nil, CodeUnsupportedMediaType},
	{"dotless I is not i", "APPLİCATION/JSON", `{}`, true, nil, CodeUnsupportedMediaType},
	{"other parameter", "application/json; boundary=x", `{}`, false, nil, CodeUnsupportedMediaType},
	{"charset other than utf-8", "application/json; charset=iso-8859-1", `{}`, false, nil, CodeUnsupportedMediaType},
	{"two parameters", "application/json; charset=utf-8; charset=utf-8", `{}`, false, nil, CodeUnsupportedMediaType},
	{"empty parameter", "application/json;", `{}`, false, nil, CodeUnsupportedMediaType},
	{"control byte", "application/json\x01", `{}`, false, nil, CodeUnsupportedMediaType},
	{"space inside the type", "application/ json", `{}`, false, nil, CodeUnsupportedMediaType},
	{"no subtype", "application/", `{}`, false, nil, CodeUnsupportedMediaType},
	{"duplicate json key", "application/json", `{"password":"weak","password":"Strong-enough-1"}`, false, nil, CodeAmbiguousBody},
	{"case-variant json key", "application/json", `{"password":"weak","Password":"Strong-enough-1"}`, false, nil, CodeAmbiguousBody},
	{"escaped duplicate key", "application/json", `{"email":"a@b.c","em\u0061il":"d@e.f"}`, true, nil, CodeAmbiguousBody},
	{"nested duplicate", "application/json", `{"user":{"a":1,"a":2},"password":"pw"}`, false, nil, CodeAmbiguousBody},
	{"duplicate inside an array of objects", "application/json", `{"x":[{"k":1,"K":2}]}`, false, nil, CodeAmbiguousBody},
	{"lone high surrogate", "application/json", `{"password":"a\ud800b"}`, false, nil, CodeAmbiguousBody},
	{"lone low surrogate", "application/json", `{"password":"\udc00"}`, false, nil, CodeAmbiguousBody},
	{"high surrogate at end of string", "application/json", `{"password":"\ud83d"}`, false, nil, CodeAmbiguousBody},
	{"paired surrogates are fine", "application/json", `{"password":"\ud83d\ude00 x"}`, false, map[string]string{"password": "😀 x"}, ""},
	{"escaped backslash before u is not an escape", "application/json", `{"password":"\\ud800"}`, false, map[string]string{"password": `\ud800`}, ""},
	{"invalid utf-8 in json", "application/json", "{\"password\":\"\xff\xfe\"}", false, nil, CodeAmbiguousBody},
	{"json with a byte order mark", "application/json", "\xEF\xBB\xBF{\"email\":\"a@b.c\"}", true, nil, CodeAmbiguousBody},
	{"form with a byte order mark", "application/x-www-form-urlencoded", "\xEF\xBB\xBFemail=a%40b.c", true, nil, CodeAmbiguousBody},
	{"proto key", "application/json", `{"__proto__":{"admin":true},"password":"pw"}`, false, nil, CodeAmbiguousBody},
	{"trailing data", "application/json", `{"password":"pw"} {"password":"other"}`, false, nil, CodeInvalidBody},
	{"malformed json", "application/json", `{"password":`, false, nil, CodeInvalidBody},
	{"non-string values are not fields", "application/json", `{"password":123,"rememberMe":true,"email":"a@b.c"}`, false, map[string]string{"email": "a@b.c"}, ""},
	{"top-level array has no fields", "application/json", `[{"password":"pw"}]`, false, map[string]string{}, ""},
	{"unicode escapes decode like JSON.parse", "application/json", `{"email":"\u0041@b.c"}`, false, map[string]string{"email": "A@b.c"}, ""},
	{"whitespace around json", "application/json", " \n\t{\"password\":\"pw\"}\r\n", false, map[string]string{"password": "pw"}, ""},
	{"json value that looks like a form", "application/json", `{"a":"&email=x@y.z&password=p&"}`, true, map[string]string{"a": "&email=x@y.z&password=p&"}, ""},
	{"plain form", "application/x-www-form-urlencoded", "email=a%40b.c&password=p+w", true, map[string]string{"email": "a@b.c", "password": "p w"}, ""},
	{"form with charset", "application/x-www-form-urlencoded; charset=UTF-8", "password=pw", true, map[string]string{"password": "pw"}, ""},
	{"duplicate form field", "application/x-www-form-urlencoded", "password=Strong-enough-1&password=weak", true, nil, CodeAmbiguousBody},
	{"percent-encoded duplicate form field", "application/x-www-form-urlencoded", "email=a%40b.c&%65mail=d%40e.f", true, nil, CodeAmbiguousBody},
	{"case-variant form field", "application/x-www-form-urlencoded", "password=a&PASSWORD=b", true, nil, CodeAmbiguousBody},
	{"malformed percent escape", "application/x-www-form-urlencoded", "password=100%", true, nil, CodeAmbiguousBody},
	{"percent escape with non-hex", "application/x-www-form-urlencoded", "password=%zz", true, nil, CodeAmbiguousBody},
	{"percent-encoded invalid utf-8", "application/x-www-form-urlencoded", "password=%ff", true, nil, CodeAmbiguousBody},
	{"empty sequences are skipped", "application/x-www-form-urlencoded", "&&password=pw&", true, map[string]string{"password": "pw"}, ""},
	{"name without value", "application/x-www-form-urlencoded", "password", true, map[string]string{"password": ""}, ""},
	{"equals in value", "application/x-www-form-urlencoded", "password=a=b", true, map[string]string{"password": "a=b"}, ""},
	{"form on a JSON-only endpoint", "application/x-www-form-urlencoded", "newPassword=x", false, nil, CodeUnsupportedMediaType},
	{"text/plain", "text/plain", `{"password":"pw"}`, true, nil, CodeUnsupportedMediaType},
	{"multipart", "multipart/form-data; boundary=x", "--x--", true, nil, CodeUnsupportedMediaType},
	{"a body without a content type", "", `{"password":"pw"}`, true, nil, CodeUnsupportedMediaType},
	{"no content type and no body", "", ``, true, map[string]string{}, ""},
}

func newRequest(contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/auth/sign-in/email", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestCorpus(t *testing.T) {
	for _, tc := range corpus {
		r := newRequest(tc.contentType, tc.body)
		b, ref := Read(nil, r, Options{AllowForm: tc.form})
		switch {
		case tc.code != "":
			if ref == nil || ref.Code != tc.code {
				t.Errorf("%s: refusal %v, want %s", tc.name, ref, tc.code)
			} else if ref.Message == "" || ref.Status < 400 || ref.Reason == "" {
				t.Errorf("%s: refusal without a message, reason or error status: %+v", tc.name, ref)
			}
			continue
		case ref != nil:
			t.Errorf("%s: refused (%v), want read", tc.name, ref)
			continue
		}
		got, _ := io.ReadAll(r.Body)
		if string(got) != tc.body {
			t.Errorf("%s: body not forwarded byte-identical", tc.name)
		}
		if !maps.Equal(b.fields, tc.want) && !(len(b.fields) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: fields %q, want %q", tc.name, b.fields, tc.want)
		}
		if ct := r.Header.Values("Content-Type"); b.Kind != None && (len(ct) != 1 || ct[0] != b.Kind.String()) {
			t.Errorf("%s: forwarded Content-Type %q, want the canonical %q", tc.name, ct, b.Kind.String())
		}
	}
}

func TestRepeatedContentTypeRefused(t *testing.T) {
	r := newRequest("application/x-www-form-urlencoded", "email=a%40b.c")
	r.Header.Add("Content-Type", "application/json")
	if _, ref := Read(nil, r, Options{AllowForm: true}); ref == nil || ref.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("refusal %v, want 415 for two Content-Type lines", ref)
	}
}

func TestCompressedBodyRefused(t *testing.T) {
	r := newRequest("application/json", `{"email":"a@b.c"}`)
	r.Header.Set("Content-Encoding", "gzip")
	if _, ref := Read(nil, r, Options{}); ref == nil || ref.Reason != ReasonEncoding {
		t.Fatalf("refusal %v, want a content_encoding refusal", ref)
	}
	r = newRequest("application/json", `{"email":"a@b.c"}`)
	r.Header.Set("Content-Encoding", "identity")
	if _, ref := Read(nil, r, Options{}); ref != nil {
		t.Fatalf("identity encoding refused: %v", ref)
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	body := `{"password":"` + strings.Repeat("x", DefaultMaxBody) + `"}`
	r := newRequest("application/json", body)
	if _, ref := Read(nil, r, Options{}); ref == nil || ref.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("refusal %v, want 413", ref)
	}
	// Without a Content-Length the cap holds while reading.
	r = newRequest("application/json", body)
	r.ContentLength = -1
	if _, ref := Read(nil, r, Options{}); ref == nil || ref.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("refusal %v, want 413 for a chunked body", ref)
	}
}

func TestDeepNestingRefused(t *testing.T) {
	body := `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	if _, ref := Read(nil, newRequest("application/json", body), Options{}); ref == nil || ref.Code != CodeInvalidBody {
		t.Fatalf("refusal %v, want INVALID_BODY for nesting past %d", ref, maxDepth)
	}
}

// TestSecondReadReusesTheFirst: the rate limiter reads first (forms
// allowed), the guard second; the guard gets the same reading, and its
// own media type rule still applies.
func TestSecondReadReusesTheFirst(t *testing.T) {
	r := newRequest("application/json", `{"email":"a@b.c"}`)
	first, ref := Read(nil, r, Options{AllowForm: true})
	if ref != nil {
		t.Fatal(ref)
	}
	second, ref := Read(nil, r, Options{})
	if ref != nil || second != first {
		t.Fatalf("second read %p %v, want the first %p", second, ref, first)
	}
	r = newRequest("application/x-www-form-urlencoded", "email=a%40b.c")
	if _, ref := Read(nil, r, Options{AllowForm: true}); ref != nil {
		t.Fatal(ref)
	}
	if _, ref := Read(nil, r, Options{}); ref == nil || ref.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("a form read by a form-accepting zone passed a JSON-only reader: %v", ref)
	}
	// Once something read the restored body, it is read afresh.
	r = newRequest("application/json", `{"email":"a@b.c"}`)
	first, _ = Read(nil, r, Options{})
	_, _ = io.ReadAll(r.Body)
	if second, _ := Read(nil, r, Options{}); second == first {
		t.Fatal("a consumed body's reading was reused")
	}
}

func TestRequire(t *testing.T) {
	r := newRequest("application/json", `{"email":"a@b.c","n":1,"e":""}`)
	b, _ := Read(nil, r, Options{})
	if v, ref := b.Require("email"); ref != nil || v != "a@b.c" {
		t.Fatalf("Require(email) = %q, %v", v, ref)
	}
	for _, name := range []string{"n", "e", "missing"} {
		if _, ref := b.Require(name); ref == nil || ref.Code != CodeMissingField || ref.Status != http.StatusBadRequest {
			t.Fatalf("Require(%s) = %v, want MISSING_FIELD", name, ref)
		}
	}
}

func TestRefusalWrite(t *testing.T) {
	w := httptest.NewRecorder()
	MissingField("email").Write(w)
	if w.Code != http.StatusBadRequest || !bytes.Contains(w.Body.Bytes(), []byte(`"message":"The request body must have a \"email\" string field."`)) ||
		!bytes.Contains(w.Body.Bytes(), []byte(`"error":`)) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	Refuse(http.StatusRequestTimeout, CodeRequestTimeout, ReasonTimeout, "late").Write(w)
	if w.Header().Get("Connection") != "close" {
		t.Fatal("a timed-out body must close the connection")
	}
}
