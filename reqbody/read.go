package reqbody

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultMaxBody is the largest body the edge reads: 64 KiB.
const DefaultMaxBody = 64 << 10

// DefaultDeadline is how long a client may take to send a whole inspected
// body: 10 s.
const DefaultDeadline = 10 * time.Second

// Options say how a body is read.
type Options struct {
	// MaxBody caps the body; a larger one gets 413. Default: 64 KiB.
	MaxBody int64
	// AllowForm accepts application/x-www-form-urlencoded besides JSON.
	AllowForm bool
	// Deadline bounds the time to receive the whole body; a client that
	// dribbles it gets 408 and the connection is closed. Default: 10 s;
	// negative: none.
	Deadline time.Duration
}

// Body is an accepted request body as the edge read it.
type Body struct {
	// Kind is how it was read; the request's Content-Type is now
	// Kind.String().
	Kind Kind
	// fields are the top-level string members.
	fields map[string]string
}

// Field returns a top-level string member.
func (b *Body) Field(name string) (string, bool) {
	v, ok := b.fields[name]
	return v, ok
}

// Require returns a top-level string member that must be present and not
// empty, or the refusal to answer with.
func (b *Body) Require(name string) (string, *Refusal) {
	if v, ok := b.fields[name]; ok && v != "" {
		return v, nil
	}
	return "", MissingField(name)
}

// Read reads r's body in the edge's one strict form (see the package
// doc), rewrites r's Content-Type to the canonical media type it read,
// and puts the body back byte for byte. w, when not nil, is used to bound
// the read with Options.Deadline. A second Read of the same request (the
// guard after a body-keyed rate-limit zone) reuses the first result,
// checking it against its own AllowForm. It never panics on any input.
func Read(w http.ResponseWriter, r *http.Request, o Options) (*Body, *Refusal) {
	if prev, ok := r.Body.(*readBody); ok && prev.untouched() {
		if prev.body.Kind == Form && !o.AllowForm {
			return nil, unsupported("Content-Type \""+MediaForm+"\" is not allowed.", false)
		}
		return prev.body, nil
	}
	kind, ref := ParseMediaType(r.Header.Values("Content-Type"), o.AllowForm)
	if ref != nil {
		return nil, ref
	}
	if ce := r.Header.Values("Content-Encoding"); len(ce) > 0 && !(len(ce) == 1 && equalFoldASCII(trimOWS(ce[0]), "identity")) {
		return nil, Refuse(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, ReasonEncoding,
			"The request body must not be compressed (Content-Encoding).")
	}
	max := o.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	if r.ContentLength > max {
		if w != nil {
			// Nothing of it is read: make the server's discard of the
			// body fail at once, so the connection closes.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}
		return nil, tooLarge()
	}
	raw, ref := readAll(w, r, max, o.Deadline)
	if ref != nil {
		return nil, ref
	}
	if kind == None {
		if len(raw) > 0 {
			return nil, Refuse(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, ReasonMediaType,
				"A request body needs a Content-Type. Allowed types: "+allowedTypes(o.AllowForm)+".")
		}
		b := &Body{Kind: None}
		r.Body = &readBody{Reader: bytes.NewReader(raw), closer: r.Body, body: b}
		return b, nil
	}
	if bytes.HasPrefix(raw, utf8BOM) {
		return nil, ambiguous("the request body starts with a byte order mark")
	}
	b := &Body{Kind: kind}
	var err error
	switch kind {
	case JSON:
		b.fields, err = parseJSONFields(raw)
	case Form:
		b.fields, err = parseFormFields(raw)
	}
	if err != nil {
		var amb *ambiguity
		if errors.As(err, &amb) {
			return nil, ambiguous(amb.msg)
		}
		return nil, Refuse(http.StatusBadRequest, CodeInvalidBody, ReasonMalformed,
			"The request body is not valid: "+err.Error()+".")
	}
	r.Header["Content-Type"] = []string{kind.String()}
	r.Body = &readBody{Reader: bytes.NewReader(raw), closer: r.Body, body: b}
	return b, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func allowedTypes(allowForm bool) string {
	if allowForm {
		return MediaJSON + ", " + MediaForm
	}
	return MediaJSON
}

func ambiguous(msg string) *Refusal {
	return Refuse(http.StatusBadRequest, CodeAmbiguousBody, ReasonAmbiguous,
		"The request body could be read in more than one way: "+msg+".")
}

func tooLarge() *Refusal {
	return Refuse(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, ReasonTooLarge, "The request body is too large.")
}

// readAll reads at most max bytes of the body within deadline. The body
// is consumed: callers put back what they accept.
func readAll(w http.ResponseWriter, r *http.Request, max int64, deadline time.Duration) ([]byte, *Refusal) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if deadline == 0 {
		deadline = DefaultDeadline
	}
	var rc *http.ResponseController
	if deadline > 0 && w != nil {
		rc = http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(deadline)) != nil {
			rc = nil // HTTP/3 and test recorders have no read deadline
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err == nil && rc != nil && int64(len(raw)) <= max {
		// Lift the deadline only after a whole body: after a failed read
		// it stays past, so that the server's discard of the unread rest
		// fails at once and the connection closes.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		if isTimeout(err) {
			return nil, Refuse(http.StatusRequestTimeout, CodeRequestTimeout, ReasonTimeout,
				"The request body was not received in time.")
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		return nil, Refuse(http.StatusBadRequest, CodeInvalidBody, ReasonReadError, "The request body could not be read.")
	}
	if int64(len(raw)) > max {
		return nil, tooLarge()
	}
	return raw, nil
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readBody is an accepted body put back for the upstream, carrying the
// edge's reading of it for a second Read of the same request.
type readBody struct {
	*bytes.Reader
	closer io.Closer
	body   *Body
}

func (b *readBody) untouched() bool { return int64(b.Len()) == b.Size() }

// Close closes the original body.
func (b *readBody) Close() error { return b.closer.Close() }

// ambiguity is a body the edge and the app could read differently.
type ambiguity struct{ msg string }

func (a *ambiguity) Error() string { return a.msg }
