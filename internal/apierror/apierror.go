// Package apierror writes the JSON error the edge answers with when it
// refuses a request itself. The OComms UI shows "message" (better-auth's
// shape) and the app's own API callers read "error", so both carry the same
// text; "code" is a stable machine-readable name.
package apierror

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Body is the JSON error body.
type Body struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Error   string `json:"error"`
	// RetryAfter is the wait in seconds, for refusals that end.
	RetryAfter int64 `json:"retryAfter,omitempty"`
}

// Write answers with status and the error body. Message is also used as
// Error. A positive retryAfter (seconds) is sent in the body and as the
// Retry-After and X-Retry-After headers (the latter is what better-auth's
// client reads).
func Write(w http.ResponseWriter, status int, code, message string, retryAfter int64) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if retryAfter > 0 {
		s := strconv.FormatInt(retryAfter, 10)
		h.Set("Retry-After", s)
		h.Set("X-Retry-After", s)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Body{Code: code, Message: message, Error: message, RetryAfter: retryAfter})
}
