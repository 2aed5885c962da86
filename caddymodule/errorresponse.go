package caddymodule

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/internal/apierror"
)

func init() {
	caddy.RegisterModule(ErrorResponse{})
}

// ErrorResponse is the ocomms_error handler: it answers with the edge's
// JSON error shape (code, message, error). In handle_errors it answers the
// error being handled with that error's status (413 from request_body,
// 502 from reverse_proxy, ...); with a status of its own it answers that
// status, e.g. 421 for host names the configuration does not serve. It
// writes only a generic message per status, never the error's text, which
// may name upstream addresses or internals. Put ocomms_headers before it
// so the answer carries the security headers.
type ErrorResponse struct {
	// Status is the status to answer with. Default: the status of the
	// error being handled (500 when it has none, or outside handle_errors).
	Status int `json:"status,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (ErrorResponse) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[ErrorResponse]("http.handlers.ocomms_error")
}

// ServeHTTP writes the JSON error and ends the chain.
func (e *ErrorResponse) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if err, ok := r.Context().Value(caddyhttp.ErrorCtxKey).(error); ok {
			var he caddyhttp.HandlerError
			if errors.As(err, &he) && he.StatusCode >= 400 && he.StatusCode <= 599 {
				status = he.StatusCode
			}
		}
	}
	code, message := errorText(status)
	// No Connection: close for a 413 over HTTP/1.1: net/http closes such
	// a connection itself, after a lingering close that lets a client
	// still sending its body read the answer; a handler's Connection:
	// close skips that and the client gets a reset instead.
	apierror.Write(w, status, code, message, 0)
	return nil
}

// errorTexts are the stable code and message of each status the edge
// answers with a named error.
var errorTexts = map[int]struct{ code, message string }{
	http.StatusBadRequest:            {"BAD_REQUEST", "The request could not be read."},
	http.StatusForbidden:             {"FORBIDDEN", "This request is not allowed."},
	http.StatusNotFound:              {"NOT_FOUND", "Not found."},
	http.StatusMethodNotAllowed:      {"METHOD_NOT_ALLOWED", "This method is not allowed here."},
	http.StatusRequestTimeout:        {"REQUEST_TIMEOUT", "The request took too long to arrive."},
	http.StatusRequestEntityTooLarge: {"PAYLOAD_TOO_LARGE", "The request body is too large."},
	http.StatusMisdirectedRequest:    {"MISDIRECTED_REQUEST", "This server does not serve that host name."},
	http.StatusTooManyRequests:       {"RATE_LIMITED", "Too many requests. Please try again later."},
	http.StatusBadGateway:            {"BAD_GATEWAY", "The app is not reachable. Please try again in a moment."},
	http.StatusServiceUnavailable:    {"SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again in a moment."},
	http.StatusGatewayTimeout:        {"GATEWAY_TIMEOUT", "The app did not answer in time. Please try again in a moment."},
}

// errorText returns a stable code and a message for a status.
func errorText(status int) (code, message string) {
	if t, ok := errorTexts[status]; ok {
		return t.code, t.message
	}
	if status >= 500 {
		return "INTERNAL_ERROR", "Something went wrong on our side. Please try again in a moment."
	}
	return "HTTP_" + strconv.Itoa(status), "The request could not be served."
}

// Interface guard
var _ caddyhttp.MiddlewareHandler = (*ErrorResponse)(nil)
