package demoupstream

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
)

// EchoPath is the test endpoint that reports what reached the upstream;
// paths below it (EchoPath + "/…") are echoed too.
const EchoPath = "/__echo"

// CSPControlPath is a dynamic page with one inline script that carries no
// nonce: under the edge's policy the browser must block it.
const CSPControlPath = "/__csp-control"

// Echo is the JSON body /__echo answers with.
type Echo struct {
	// Method is the request method.
	Method string `json:"method"`
	// Path is the request path as received (escaped form).
	Path string `json:"path"`
	// Query is the raw query string, without "?".
	Query string `json:"query"`
	// Host is the Host header (which Go keeps out of Headers).
	Host string `json:"host"`
	// RemoteAddr is the address of the connection's peer.
	RemoteAddr string `json:"remoteAddr"`
	// Headers holds every request header, canonicalised.
	Headers map[string][]string `json:"headers"`
	// BodySHA256 is the hex SHA-256 of the request body.
	BodySHA256 string `json:"bodySha256"`
	// BodyLength is the number of body bytes read.
	BodyLength int64 `json:"bodyLength"`
}

// serveEcho answers any method with an Echo of the request.
func (h *Handler) serveEcho(w http.ResponseWriter, r *http.Request) {
	sum := sha256.New()
	n, err := io.Copy(sum, r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	headers := make(map[string][]string, len(r.Header))
	for k, v := range r.Header {
		headers[k] = append([]string(nil), v...)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeAppJSON(w, http.StatusOK, Echo{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Host: r.Host,
		RemoteAddr: r.RemoteAddr, Headers: headers,
		BodySHA256: hex.EncodeToString(sum.Sum(nil)), BodyLength: n,
	})
}
