package demoupstream

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
)

// writeAppJSON writes a JSON answer as NextResponse.json does.
func writeAppJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, status, marshal(v))
}

// appError is the {"error": "..."} body of OComms' own API routes.
type appError struct {
	Error string `json:"error"`
}

// serveHealth serves GET /api/health.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeAppJSON(w, http.StatusOK, struct {
		Status    string `json:"status"`
		Timestamp jsTime `json:"timestamp"`
	}{"healthy", jsTime(now())})
}

// exportItem is one exported record.
type exportItem struct {
	ID   int    `json:"id"`
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// serveExport serves POST /api/admin/export as the recorded lab route:
// 401 {"error":"unauthorized"} without a session, else the export.
func (h *Handler) serveExport(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, maxAuthBody))
	_, u, ok := h.currentSession(r)
	if !ok {
		writeRecorded(w, recExportDenied)
		return
	}
	var id [8]byte
	rand.Read(id[:])
	type requester struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	writeRecordedJSON(w, recExport, struct {
		OK          bool         `json:"ok"`
		ExportID    string       `json:"exportId"`
		RequestedBy requester    `json:"requestedBy"`
		Items       []exportItem `json:"items"`
	}{true, hex.EncodeToString(id[:]), requester{u.ID, u.Email},
		[]exportItem{{1, "message", "hello"}, {2, "message", "world"}}})
}

// serveBoom serves GET /boom: a 500 with a small HTML body.
func (h *Handler) serveBoom(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentTypeHTML)
	w.Header().Set("Cache-Control", dynamicCache)
	writeBody(w, http.StatusInternalServerError, []byte(`<!DOCTYPE html><html lang="en"><head><title>500: Internal Server Error</title></head>`+
		`<body><h1>500</h1><p>Internal Server Error.</p></body></html>`))
}

// serveRedirect serves GET /redirect: 307 to /login, like Next's redirect().
func (h *Handler) serveRedirect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Location", "/login")
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// serveNotFound answers like Next.js's default not-found page.
func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentTypeHTML)
	w.Header().Set("Cache-Control", dynamicCache)
	writeBody(w, http.StatusNotFound, []byte(`<!DOCTYPE html><html lang="en"><head><title>404: This page could not be found.</title></head>`+
		`<body><h1>404</h1><p>This page could not be found.</p></body></html>`))
}
