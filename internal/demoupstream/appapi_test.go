package demoupstream

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/health", nil))
	var got struct{ Status, Timestamp string }
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	ts, err := time.Parse(time.RFC3339Nano, got.Timestamp)
	if got.Status != "healthy" || err != nil || time.Since(ts) > time.Minute {
		t.Errorf("body %s", rec.Body)
	}
}

func TestAdminExport(t *testing.T) {
	h := NewHandler(Options{})
	cookie, err := h.NewSessionCookie(DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cookie string
		status int
		want   string
	}{
		{"no cookie", "", http.StatusUnauthorized, `{"error":"unauthorized"}`},
		{"bad signature", cookie.Name + "=tok." + strings.Repeat("A", 43) + "%3D", http.StatusUnauthorized, `{"error":"unauthorized"}`},
		{"session", cookie.String(), http.StatusOK, `"requestedBy":{"id":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/admin/export", nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", tt.cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d with %s", rec.Code, rec.Body, tt.status, tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("content-type %q", ct)
			}
		})
	}
}

// multipartBody builds a form with one part named field.
func multipartBody(t *testing.T, field, filename, contentType string, size int) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "hello")
	hdr := textproto.MIMEHeader{}
	disposition := `form-data; name="` + field + `"`
	if filename != "" {
		disposition += `; filename="` + filename + `"`
	}
	hdr.Set("Content-Disposition", disposition)
	if contentType != "" {
		hdr.Set("Content-Type", contentType)
	}
	part, err := mw.CreatePart(hdr)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(bytes.Repeat([]byte{0x89}, size))
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestAvatarUpload(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		name                         string
		field, filename, contentType string
		size                         int
		status                       int
		want                         string
	}{
		{"png", "file", "me.png", "image/png", 1000, http.StatusOK, `^\{"avatarPath":"/uploads/avatars/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.png"\}$`},
		{"exactly 2 MB", "file", "me.jpg", "image/jpeg", 2 << 20, http.StatusOK, `\.jpg"\}$`},
		{"client extension kept", "file", "x.html", "image/png", 10, http.StatusOK, `\.html"\}$`},
		{"no extension", "file", "avatar", "image/gif", 10, http.StatusOK, `\.avatar"\}$`},
		{"too large", "file", "big.png", "image/png", 2<<20 + 1, http.StatusRequestEntityTooLarge, `^\{"error":"File too large. Maximum size: 2MB"\}$`},
		{"body over 10 MB", "file", "huge.png", "image/png", 11 << 20, http.StatusRequestEntityTooLarge, `"error":"File too large`},
		{"wrong type", "file", "a.svg", "image/svg+xml", 10, http.StatusBadRequest, `^\{"error":"Invalid file type. Allowed: JPEG, PNG, WebP, GIF"\}$`},
		{"no file field", "avatar", "a.png", "image/png", 10, http.StatusBadRequest, `^\{"error":"No file provided"\}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(t, tt.field, tt.filename, tt.contentType, tt.size)
			r := httptest.NewRequest(http.MethodPost, "/api/upload/avatar", body)
			r.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status || !regexp.MustCompile(tt.want).MatchString(rec.Body.String()) {
				t.Errorf("%d %s, want %d matching %s", rec.Code, rec.Body, tt.status, tt.want)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("content-type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/upload/avatar", strings.NewReader("{}")))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("non-multipart upload: %d", rec.Code)
	}
}

func TestMiscRoutes(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		method, path string
		status       int
		header, want string
		body         string
	}{
		{http.MethodGet, "/boom", http.StatusInternalServerError, "Content-Type", "text/html; charset=utf-8", "<h1>500</h1>"},
		{http.MethodGet, "/redirect", http.StatusTemporaryRedirect, "Location", "/login", ""},
		{http.MethodGet, "/no/such/page", http.StatusNotFound, "Content-Type", "text/html; charset=utf-8", "could not be found"},
		{http.MethodGet, "/api/health", http.StatusOK, "X-Powered-By", "Next.js", "healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status || rec.Header().Get(tt.header) != tt.want || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%d %s=%q body %q", rec.Code, tt.header, rec.Header().Get(tt.header), rec.Body)
			}
		})
	}
}
