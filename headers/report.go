package headers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Violation is one CSP violation report, normalized from either wire
// format. URLs are reduced to scheme, host and path: query strings can
// carry secrets such as password-reset tokens.
type Violation struct {
	DocumentURL        string `json:"document_url"`
	Referrer           string `json:"referrer,omitempty"`
	BlockedURL         string `json:"blocked_url,omitempty"`
	EffectiveDirective string `json:"effective_directive"`
	Disposition        string `json:"disposition,omitempty"`
	SourceFile         string `json:"source_file,omitempty"`
	Line               int    `json:"line,omitempty"`
	Column             int    `json:"column,omitempty"`
	Sample             string `json:"sample,omitempty"`
	StatusCode         int    `json:"status_code,omitempty"`
	UserAgent          string `json:"user_agent,omitempty"`
}

// maxFieldLen bounds every string field of a parsed violation.
const maxFieldLen = 512

// legacyReport is the body of application/csp-report (report-uri).
type legacyReport struct {
	Report *struct {
		DocumentURI        string      `json:"document-uri"`
		Referrer           string      `json:"referrer"`
		ViolatedDirective  string      `json:"violated-directive"`
		EffectiveDirective string      `json:"effective-directive"`
		Disposition        string      `json:"disposition"`
		BlockedURI         string      `json:"blocked-uri"`
		StatusCode         json.Number `json:"status-code"`
		SourceFile         string      `json:"source-file"`
		LineNumber         json.Number `json:"line-number"`
		ColumnNumber       json.Number `json:"column-number"`
		ScriptSample       string      `json:"script-sample"`
	} `json:"csp-report"`
}

// reportingAPIReport is one entry of application/reports+json (report-to).
type reportingAPIReport struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	UserAgent string `json:"user_agent"`
	Body      *struct {
		DocumentURL        string      `json:"documentURL"`
		Referrer           string      `json:"referrer"`
		BlockedURL         string      `json:"blockedURL"`
		EffectiveDirective string      `json:"effectiveDirective"`
		Disposition        string      `json:"disposition"`
		SourceFile         string      `json:"sourceFile"`
		Sample             string      `json:"sample"`
		StatusCode         json.Number `json:"statusCode"`
		LineNumber         json.Number `json:"lineNumber"`
		ColumnNumber       json.Number `json:"columnNumber"`
	} `json:"body"`
}

// ParseReports parses a CSP report body. contentType selects the format:
// application/csp-report (one legacy report) or application/reports+json
// (a batch from the Reporting API, of which only csp-violation entries are
// kept). application/json is accepted for either shape.
func ParseReports(contentType string, body []byte) ([]Violation, error) {
	mediaType, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	mediaType = strings.TrimSpace(mediaType)
	trimmed := strings.TrimLeft(string(body), " \t\r\n")
	switch {
	case mediaType == "application/csp-report",
		mediaType == "application/json" && strings.HasPrefix(trimmed, "{"):
		return parseLegacy(body)
	case mediaType == "application/reports+json",
		mediaType == "application/json" && strings.HasPrefix(trimmed, "["):
		return parseReportingAPI(body)
	default:
		return nil, fmt.Errorf("unsupported report content type %q: browsers send application/csp-report or application/reports+json", contentType)
	}
}

func parseLegacy(body []byte) ([]Violation, error) {
	var lr legacyReport
	if err := json.Unmarshal(body, &lr); err != nil {
		return nil, fmt.Errorf("parsing csp-report: %w", err)
	}
	if lr.Report == nil {
		return nil, fmt.Errorf("parsing csp-report: no \"csp-report\" object")
	}
	r := lr.Report
	directive := r.EffectiveDirective
	if directive == "" {
		directive, _, _ = strings.Cut(r.ViolatedDirective, " ")
	}
	return []Violation{normalize(Violation{
		DocumentURL:        r.DocumentURI,
		Referrer:           r.Referrer,
		BlockedURL:         r.BlockedURI,
		EffectiveDirective: directive,
		Disposition:        r.Disposition,
		SourceFile:         r.SourceFile,
		Line:               number(r.LineNumber),
		Column:             number(r.ColumnNumber),
		Sample:             r.ScriptSample,
		StatusCode:         number(r.StatusCode),
	})}, nil
}

// maxBatch bounds how many reports one Reporting API batch may carry.
const maxBatch = 100

func parseReportingAPI(body []byte) ([]Violation, error) {
	var batch []reportingAPIReport
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil, fmt.Errorf("parsing reports+json: %w", err)
	}
	if len(batch) > maxBatch {
		return nil, fmt.Errorf("parsing reports+json: %d reports in one batch, at most %d accepted", len(batch), maxBatch)
	}
	var out []Violation
	for _, r := range batch {
		if r.Type != "csp-violation" || r.Body == nil {
			continue
		}
		b := r.Body
		doc := b.DocumentURL
		if doc == "" {
			doc = r.URL
		}
		out = append(out, normalize(Violation{
			DocumentURL:        doc,
			Referrer:           b.Referrer,
			BlockedURL:         b.BlockedURL,
			EffectiveDirective: b.EffectiveDirective,
			Disposition:        b.Disposition,
			SourceFile:         b.SourceFile,
			Line:               number(b.LineNumber),
			Column:             number(b.ColumnNumber),
			Sample:             b.Sample,
			StatusCode:         number(b.StatusCode),
			UserAgent:          r.UserAgent,
		}))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parsing reports+json: no csp-violation report in the batch")
	}
	return out, nil
}

func number(n json.Number) int {
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<31 {
		return 0
	}
	return int(i)
}

func normalize(v Violation) Violation {
	v.DocumentURL = redactURL(v.DocumentURL)
	v.Referrer = redactURL(v.Referrer)
	v.BlockedURL = redactURL(v.BlockedURL)
	v.SourceFile = redactURL(v.SourceFile)
	v.EffectiveDirective = clip(v.EffectiveDirective, 64)
	v.Disposition = clip(v.Disposition, 16)
	v.Sample = clip(v.Sample, 80)
	v.UserAgent = clip(v.UserAgent, maxFieldLen)
	return v
}

// redactURL keeps scheme, host and path of an absolute URL; keywords that
// browsers report instead of URLs ("inline", "eval", "data") pass as they are.
func redactURL(s string) string {
	s = clip(s, maxFieldLen)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if !strings.Contains(s, ":") && !strings.HasPrefix(s, "/") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	if u.Scheme == "data" || u.Scheme == "blob" {
		return u.Scheme
	}
	u.RawQuery, u.Fragment, u.User, u.RawFragment = "", "", nil, ""
	return u.String()
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
