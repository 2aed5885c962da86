package modkit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// InstanceHeader names, on every /ocomms/ admin API answer, the edge
// process that answered. Caddy opens its admin listener with SO_REUSEPORT:
// two edges given one admin address both listen on it, and each request
// reaches whichever the kernel picks.
const InstanceHeader = "Ocomms-Instance"

// InstancePath is the admin API route that describes the answering edge.
const InstancePath = "/ocomms/instance"

// InstanceInfo identifies one edge process: GET /ocomms/instance.
type InstanceInfo struct {
	// ID is host/pid/random: unique even for processes with the same pid
	// in different containers sharing a network namespace.
	ID      string    `json:"id"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// ThisInstance is this process's identity, fixed at start.
var ThisInstance = func() InstanceInfo {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	pid := os.Getpid()
	return InstanceInfo{
		ID:      host + "/" + strconv.Itoa(pid) + "/" + hex.EncodeToString(b[:]),
		Host:    host,
		PID:     pid,
		Started: time.Now().UTC().Truncate(time.Second),
	}
}()

// WithInstance sets InstanceHeader on an admin route's answers, errors
// included.
func WithInstance(h caddy.AdminHandlerFunc) caddy.AdminHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set(InstanceHeader, ThisInstance.ID)
		return h(w, r)
	}
}

// MethodNotAllowed is the admin API answer to a method a route does not
// serve.
func MethodNotAllowed(w http.ResponseWriter, allow string) error {
	w.Header().Set("Allow", allow)
	return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method not allowed: use %s", allow)}
}

// WriteAdminJSON writes an admin API answer as JSON, never cached.
func WriteAdminJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(v)
}
