package caddymodule

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

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
	return caddy.ModuleInfo{
		ID:  "http.handlers.ocomms_error",
		New: func() caddy.Module { return new(ErrorResponse) },
	}
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

// errorText returns a stable code and a message for a status.
func errorText(status int) (code, message string) {
	switch status {
	case http.StatusBadRequest:
		return "BAD_REQUEST", "The request could not be read."
	case http.StatusForbidden:
		return "FORBIDDEN", "This request is not allowed."
	case http.StatusNotFound:
		return "NOT_FOUND", "Not found."
	case http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED", "This method is not allowed here."
	case http.StatusRequestTimeout:
		return "REQUEST_TIMEOUT", "The request took too long to arrive."
	case http.StatusRequestEntityTooLarge:
		return "PAYLOAD_TOO_LARGE", "The request body is too large."
	case http.StatusMisdirectedRequest:
		return "MISDIRECTED_REQUEST", "This server does not serve that host name."
	case http.StatusTooManyRequests:
		return "RATE_LIMITED", "Too many requests. Please try again later."
	case http.StatusBadGateway:
		return "BAD_GATEWAY", "The app is not reachable. Please try again in a moment."
	case http.StatusServiceUnavailable:
		return "SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again in a moment."
	case http.StatusGatewayTimeout:
		return "GATEWAY_TIMEOUT", "The app did not answer in time. Please try again in a moment."
	}
	if status >= 500 {
		return "INTERNAL_ERROR", "Something went wrong on our side. Please try again in a moment."
	}
	return "HTTP_" + strconv.Itoa(status), "The request could not be served."
}

// Interface guard
var _ caddyhttp.MiddlewareHandler = (*ErrorResponse)(nil)
