package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestErrorResponseStatusAndBody(t *testing.T) {
	secret := errors.New("dial tcp 10.0.0.7:3000: connection refused")
	for _, tc := range []struct {
		name   string
		h      ErrorResponse
		err    error
		status int
		code   string
	}{
		{"handled 413", ErrorResponse{}, caddyhttp.Error(http.StatusRequestEntityTooLarge, secret), 413, "PAYLOAD_TOO_LARGE"},
		{"handled 502", ErrorResponse{}, caddyhttp.Error(http.StatusBadGateway, secret), 502, "BAD_GATEWAY"},
		{"plain error", ErrorResponse{}, secret, 500, "INTERNAL_ERROR"},
		{"no error", ErrorResponse{}, nil, 500, "INTERNAL_ERROR"},
		{"fixed 421", ErrorResponse{Status: 421}, caddyhttp.Error(http.StatusRequestEntityTooLarge, secret), 421, "MISDIRECTED_REQUEST"},
		{"unnamed 418", ErrorResponse{Status: 418}, nil, 418, "HTTP_418"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/x", nil)
		if tc.err != nil {
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.ErrorCtxKey, tc.err))
		}
		w := httptest.NewRecorder()
		if err := tc.h.ServeHTTP(w, r, nil); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var b struct{ Code, Message, Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || w.Code != tc.status || b.Code != tc.code || b.Message == "" || b.Error != b.Message {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
		if strings.Contains(w.Body.String(), "10.0.0.7") {
			t.Errorf("%s: the error text leaked: %s", tc.name, w.Body)
		}
	}
}
