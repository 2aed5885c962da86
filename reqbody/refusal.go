package reqbody

import (
	"net/http"

	"github.com/ocomms/ocomms-edge/internal/apierror"
)

// Codes of the edge's answers to bodies it will not forward (the JSON
// error's "code").
const (
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodeRequestTimeout       = "REQUEST_TIMEOUT"
	CodeAmbiguousBody        = "AMBIGUOUS_BODY"
	CodeInvalidBody          = "INVALID_BODY"
	CodeMissingField         = "MISSING_FIELD"
)

// Reasons name a refusal for metrics and audit labels: a short, bounded
// set.
const (
	ReasonMediaType    = "media_type"
	ReasonEncoding     = "content_encoding"
	ReasonTooLarge     = "too_large"
	ReasonTimeout      = "timeout"
	ReasonReadError    = "read_error"
	ReasonAmbiguous    = "ambiguous"
	ReasonMalformed    = "malformed"
	ReasonMissingField = "missing_field"
	ReasonMethod       = "method"
)

// Reasons lists every reason, for metrics set-up.
func Reasons() []string {
	return []string{ReasonMediaType, ReasonEncoding, ReasonTooLarge, ReasonTimeout, ReasonReadError,
		ReasonAmbiguous, ReasonMalformed, ReasonMissingField, ReasonMethod}
}

// Refusal is why the edge answers a request itself instead of forwarding
// it. Message never quotes the body.
type Refusal struct {
	Status  int
	Code    string
	Reason  string
	Message string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// Refuse makes a refusal; reason is one of the Reason constants.
func Refuse(status int, code, reason, message string) *Refusal {
	return &Refusal{Status: status, Code: code, Reason: reason, Message: message}
}

// MissingField refuses a request whose body lacks a string field the edge
// keys on: it is never forwarded uncounted.
func MissingField(name string) *Refusal {
	return Refuse(http.StatusBadRequest, CodeMissingField, ReasonMissingField,
		"The request body must have a \""+name+"\" string field.")
}

// Write answers with the refusal as the edge's JSON error. A timed-out
// body closes the connection: its unread rest cannot be skipped.
func (r *Refusal) Write(w http.ResponseWriter) {
	if r.Status == http.StatusRequestTimeout || r.Status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close")
	}
	apierror.Write(w, r.Status, r.Code, r.Message, 0)
}
