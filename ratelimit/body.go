package ratelimit

import (
	"net/http"
	"time"

	"github.com/ocomms/ocomms-edge/reqbody"
)

// bodyFields reads a request body once, on demand, with the edge's one
// canonical reader (reqbody), which puts it back byte for byte.
type bodyFields struct {
	w        http.ResponseWriter
	max      int64
	deadline time.Duration
	read     bool
	body     *reqbody.Body
	refusal  *reqbody.Refusal
}

// get returns a top-level string field of the body, or the refusal to
// answer the request with: a body the reader refuses, or one without the
// field as a non-empty string. A zone keyed on a body field never falls
// back to no key.
func (b *bodyFields) get(r *http.Request, name string) (string, *reqbody.Refusal) {
	if !b.read {
		b.read = true
		// Forms are read wherever a zone keys on a body: the zone does not
		// know the endpoint; the auth guard, reading the same request
		// after it, applies the endpoint's own media type rule.
		b.body, b.refusal = reqbody.Read(b.w, r, reqbody.Options{MaxBody: b.max, AllowForm: true, Deadline: b.deadline})
	}
	if b.refusal != nil {
		return "", b.refusal
	}
	return b.body.Require(name)
}
