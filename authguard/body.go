package authguard

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// DefaultMaxBody is the largest auth request body the guard reads.
const DefaultMaxBody = 64 << 10

// BodyKind is how better-call parses a body, by its Content-Type.
type BodyKind int

const (
	// BodyNone: no body, or no Content-Type (Node's adapter then hands the
	// handler no body at all).
	BodyNone BodyKind = iota
	// BodyJSON: JSON.parse.
	BodyJSON
	// BodyForm: URLSearchParams, the last duplicate winning.
	BodyForm
)

// Body is an auth request body as the app will read it.
type Body struct {
	Kind BodyKind
	// Fields are the top-level string fields. Other values (numbers,
	// booleans, objects) are left out: the guard only reads strings.
	Fields map[string]string
}

// Field returns a top-level string field.
func (b *Body) Field(name string) (string, bool) {
	v, ok := b.Fields[name]
	return v, ok
}

// Refusal is why the guard answers a body itself instead of forwarding it.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

func refuse(status int, code, message string) *Refusal {
	return &Refusal{Status: status, Code: code, Message: message}
}

// jsonMediaType is better-call's JSON test, on the lower-cased header.
var jsonMediaType = regexp.MustCompile(`^application/([a-z0-9.+-]*\+)?json`)

// classify maps a Content-Type header as better-call does: lower-cased,
// JSON by its regexp, form by substring. allowForm is whether the endpoint
// accepts forms (sign-in and sign-up do).
func classify(contentType string, allowForm bool) (BodyKind, *Refusal) {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	switch {
	case ct == "":
		return BodyNone, nil
	case jsonMediaType.MatchString(ct):
		return BodyJSON, nil
	case allowForm && strings.Contains(ct, "application/x-www-form-urlencoded"):
		return BodyForm, nil
	}
	allowed := "application/json"
	if allowForm {
		allowed = "application/x-www-form-urlencoded, application/json"
	}
	return BodyNone, refuse(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
		"Content-Type \""+clipHeader(contentType)+"\" is not allowed. Allowed types: "+allowed)
}

func clipHeader(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, s)
}

// ReadBody reads r's body up to max bytes (0 means DefaultMaxBody) the way
// better-auth will, and puts it back byte for byte so the upstream gets
// exactly what the client sent. It refuses (and the caller answers without
// forwarding) a body over the cap (413), a content type better-auth would
// refuse (415), and any body the edge and the app could read differently
// (400): duplicate or case-variant keys, invalid UTF-8, lone UTF-16
// surrogates, malformed JSON or percent-encoding.
func ReadBody(r *http.Request, max int64, allowForm bool) (*Body, *Refusal) {
	if max <= 0 {
		max = DefaultMaxBody
	}
	kind, refusal := classify(r.Header.Get("Content-Type"), allowForm)
	if refusal != nil {
		return nil, refusal
	}
	if r.Body == nil || r.Body == http.NoBody {
		return &Body{Kind: BodyNone}, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	rest := r.Body
	r.Body = restored{io.MultiReader(bytes.NewReader(raw), rest), rest}
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "INVALID_BODY", "The request body could not be read.")
	}
	if int64(len(raw)) > max {
		return nil, refuse(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "The request body is too large.")
	}
	var fields map[string]string
	switch kind {
	case BodyNone:
		return &Body{Kind: BodyNone}, nil
	case BodyJSON:
		fields, err = parseJSONFields(raw)
	case BodyForm:
		fields, err = parseFormFields(raw)
	}
	if err != nil {
		var amb *ambiguity
		if errors.As(err, &amb) {
			return nil, refuse(http.StatusBadRequest, "AMBIGUOUS_BODY", amb.msg)
		}
		return nil, refuse(http.StatusBadRequest, "INVALID_BODY", "The request body is not valid: "+err.Error()+".")
	}
	return &Body{Kind: kind, Fields: fields}, nil
}

// ambiguity is a body the edge and the app could read differently.
type ambiguity struct{ msg string }

func (a *ambiguity) Error() string { return a.msg }

// restored reads the bytes already read, then the rest of the original
// body, and closes the original.
type restored struct {
	io.Reader
	closer io.Closer
}

func (b restored) Close() error { return b.closer.Close() }
