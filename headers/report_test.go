package headers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const legacyReportBody = `{"csp-report":{"document-uri":"https://chat.example/reset-password?token=SECRET","referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"script-src 'nonce-x'","disposition":"enforce","blocked-uri":"inline","line-number":12,"column-number":3,"source-file":"https://chat.example/login?x=1","status-code":200,"script-sample":"alert(1)"}}`

const reportingAPIBody = `[{"type":"csp-violation","age":10,"url":"https://chat.example/chat","user_agent":"Mozilla/5.0","body":{"documentURL":"https://chat.example/chat?room=1","referrer":"","blockedURL":"https://evil.example/x.js?k=v","effectiveDirective":"script-src-elem","originalPolicy":"…","sourceFile":"https://chat.example/chat","sample":"","disposition":"enforce","statusCode":200,"lineNumber":1,"columnNumber":2}},{"type":"deprecation","body":{}}]`

func TestParseReports(t *testing.T) {
	v, err := ParseReports("application/csp-report", []byte(legacyReportBody))
	if err != nil || len(v) != 1 {
		t.Fatalf("legacy: %v, %d", err, len(v))
	}
	want := Violation{DocumentURL: "https://chat.example/reset-password", BlockedURL: "inline", EffectiveDirective: "script-src-elem",
		Disposition: "enforce", SourceFile: "https://chat.example/login", Line: 12, Column: 3, Sample: "alert(1)", StatusCode: 200}
	if v[0] != want {
		t.Fatalf("legacy:\n got %+v\nwant %+v", v[0], want)
	}
	v, err = ParseReports("application/reports+json", []byte(reportingAPIBody))
	if err != nil || len(v) != 1 {
		t.Fatalf("reports+json: %v, %d", err, len(v))
	}
	if v[0].DocumentURL != "https://chat.example/chat" || v[0].BlockedURL != "https://evil.example/x.js" || v[0].Line != 1 || v[0].UserAgent != "Mozilla/5.0" {
		t.Fatalf("reports+json: %+v", v[0])
	}
	for _, tc := range []struct{ ct, body, wantErr string }{
		{"text/plain", legacyReportBody, "unsupported report content type"},
		{"application/csp-report", `{"nope":1}`, "no \"csp-report\" object"},
		{"application/csp-report", `{`, "parsing csp-report"},
		{"application/reports+json", `[{"type":"deprecation"}]`, "no csp-violation"},
		{"application/reports+json", "[" + strings.Repeat(`{"type":"x"},`, 100) + `{"type":"x"}]`, "at most 100"},
	} {
		if _, err := ParseReports(tc.ct, []byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s %.30s: error %v, want %q", tc.ct, tc.body, err, tc.wantErr)
		}
	}
}

func FuzzParseReports(f *testing.F) {
	f.Add("application/csp-report", []byte(legacyReportBody))
	f.Add("application/reports+json", []byte(reportingAPIBody))
	f.Add("application/json", []byte(`[{"type":"csp-violation","body":{"lineNumber":-1}}]`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		vs, err := ParseReports(ct, body)
		if err != nil {
			return
		}
		for _, v := range vs {
			for _, s := range []string{v.DocumentURL, v.BlockedURL, v.SourceFile, v.Referrer} {
				if len(s) > maxFieldLen+64 || strings.ContainsAny(s, "?#\n") {
					t.Fatalf("field not bounded or redacted: %q", s)
				}
			}
			if v.Line < 0 || v.Column < 0 {
				t.Fatalf("negative position: %+v", v)
			}
		}
	})
}

func postReport(c *ReportCollector, ip, ct, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/csp-report", strings.NewReader(body))
	r.RemoteAddr = ip + ":1234"
	r.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w
}

func TestReportCollectorLimitsAndDeduplicates(t *testing.T) {
	var got []Violation
	c := NewReportCollector(ReportLimits{PerClient: 3, Window: time.Minute}, func(v Violation, _ string) { got = append(got, v) })
	c.ClientIP = func(r *http.Request) string { return strings.Split(r.RemoteAddr, ":")[0] }
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }

	for i, want := range []int{204, 204, 204, 429} {
		if w := postReport(c, "1.2.3.4", "application/csp-report", legacyReportBody); w.Code != want {
			t.Fatalf("report %d: status %d, want %d", i, w.Code, want)
		}
	}
	if len(got) != 1 {
		t.Fatalf("3 equal reports gave %d violations, want 1 (duplicates suppressed)", len(got))
	}
	if w := postReport(c, "5.6.7.8", "application/csp-report", legacyReportBody); w.Code != 204 {
		t.Fatalf("another client was limited: %d", w.Code)
	}
	now = now.Add(time.Minute)
	if w := postReport(c, "1.2.3.4", "application/csp-report", legacyReportBody); w.Code != 204 {
		t.Fatalf("client still limited after the window: %d", w.Code)
	}
	if len(got) != 2 {
		t.Fatalf("after the window the violation should be reported again, got %d", len(got))
	}
	st := c.Stats()
	if st.Accepted != 2 || st.Duplicate != 3 || st.Limited != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestReportCollectorRejectsBadInput(t *testing.T) {
	c := NewReportCollector(ReportLimits{MaxBody: 1024, PerClient: 100}, nil)
	if w := postReport(c, "1.1.1.1", "application/csp-report", `{"csp-report":{"x":"`+strings.Repeat("a", 2000)+`"}}`); w.Code != 413 || !strings.Contains(w.Body.String(), `"message"`) {
		t.Errorf("oversized report: %d %s", w.Code, w.Body)
	}
	if w := postReport(c, "1.1.1.1", "text/plain", "hi"); w.Code != 400 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("bad content type: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest(http.MethodGet, "/csp-report", nil)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	if w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d", w.Code)
	}
}
