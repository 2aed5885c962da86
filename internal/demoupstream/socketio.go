package demoupstream

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Engine.io v4 handshake values (the defaults OComms runs with).
const (
	engineOpenTemplate = `0{"sid":"%s","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	engineMaxPayload   = 1000000
	engineSeparator    = "\x1e"
	engineNoop         = "6"
	engineIdle         = 2 * time.Minute
)

// Engine.io error codes and messages (Server.errorMessages).
var engineErrors = map[int]string{
	0: "Transport unknown",
	1: "Session ID unknown",
	2: "Bad handshake method",
	3: "Bad request",
	5: "Unsupported protocol version",
}

// engine is a long-polling-only engine.io v4 server with a socket.io "/"
// namespace on top.
type engine struct {
	hold     time.Duration
	mu       sync.Mutex
	sessions map[string]*engineSession
}

// engineSession is one engine.io connection.
type engineSession struct {
	mu       sync.Mutex
	queue    []string
	wake     chan struct{} // signalled when a packet is queued
	done     chan struct{} // closed when the session ends
	polling  bool
	closed   bool
	lastSeen time.Time
}

// newEngine returns an engine holding polls for hold.
func newEngine(hold time.Duration) *engine {
	return &engine{hold: hold, sessions: map[string]*engineSession{}}
}

// serveEngine handles /socket.io/ requests.
func (h *Handler) serveEngine(w http.ResponseWriter, r *http.Request) {
	h.engineCORS(w, r)
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
		if want := r.Header.Get("Access-Control-Request-Headers"); want != "" {
			w.Header().Set("Access-Control-Allow-Headers", want)
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query()
	switch {
	case q.Get("EIO") != "4":
		engineError(w, 5)
		return
	case q.Get("transport") != "polling":
		if q.Get("transport") == "websocket" {
			engineError(w, 3) // this fake has no WebSocket transport
			return
		}
		engineError(w, 0)
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		if r.Method != http.MethodGet {
			engineError(w, 2)
			return
		}
		h.engine.handshake(w)
		return
	}
	s := h.engine.session(sid)
	if s == nil {
		engineError(w, 1)
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.engine.poll(w, r, sid, s)
	case http.MethodPost:
		h.engine.data(w, r, sid, s)
	default:
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// engineCORS adds the headers the recorded handshake carried, plus
// Access-Control-Allow-Origin for a trusted Origin.
func (h *Handler) engineCORS(w http.ResponseWriter, r *http.Request) {
	copyRecordedHeaders(w, recEngineOpen, "content-type")
	if origin := r.Header.Get("Origin"); origin != "" && h.trustedOrigin(r, origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
}

// engineError writes an engine.io error answer.
func engineError(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Cache-Control")
	writeBody(w, http.StatusBadRequest, marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, engineErrors[code]}))
}

// writeEngineText writes a polling payload.
func writeEngineText(w http.ResponseWriter, payload string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	writeBody(w, http.StatusOK, []byte(payload))
}

// handshake opens a session and writes the open packet.
func (e *engine) handshake(w http.ResponseWriter) {
	sid := newEngineID()
	s := &engineSession{wake: make(chan struct{}, 1), done: make(chan struct{}), lastSeen: time.Now()}
	e.mu.Lock()
	for id, old := range e.sessions {
		if old.idleSince(time.Now()) > e.hold+engineIdle {
			old.close()
			delete(e.sessions, id)
		}
	}
	e.sessions[sid] = s
	e.mu.Unlock()
	writeEngineText(w, fmt.Sprintf(engineOpenTemplate, sid))
}

// session returns a live session by id.
func (e *engine) session(sid string) *engineSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sessions[sid]
}

// drop ends a session.
func (e *engine) drop(sid string) {
	e.mu.Lock()
	s := e.sessions[sid]
	delete(e.sessions, sid)
	e.mu.Unlock()
	if s != nil {
		s.close()
	}
}

// closeAll ends every session.
func (e *engine) closeAll() {
	e.mu.Lock()
	sessions := e.sessions
	e.sessions = map[string]*engineSession{}
	e.mu.Unlock()
	for _, s := range sessions {
		s.close()
	}
}

// poll holds a GET until a packet is queued (answering every queued
// packet), the session ends (noop) or the hold time passes (noop).
func (e *engine) poll(w http.ResponseWriter, r *http.Request, sid string, s *engineSession) {
	s.mu.Lock()
	s.lastSeen = time.Now()
	if s.polling {
		s.mu.Unlock()
		// engine.io: "overlap from client" closes the session; the held
		// poll gets a noop and this one a bare 500.
		e.drop(sid)
		w.Header().Del("Cache-Control")
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	s.polling = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling = false
		s.lastSeen = time.Now()
		s.mu.Unlock()
	}()
	timer := time.NewTimer(e.hold)
	defer timer.Stop()
	for {
		if packets := s.take(); packets != nil {
			writeEngineText(w, strings.Join(packets, engineSeparator))
			return
		}
		select {
		case <-s.wake:
		case <-s.done:
			writeEngineText(w, engineNoop)
			return
		case <-timer.C:
			writeEngineText(w, engineNoop)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// data handles a POST of packets: "40" connects the default namespace
// (answered with 40{"sid":…} on the next poll), "1" closes the session,
// everything else is accepted and ignored.
func (e *engine) data(w http.ResponseWriter, r *http.Request, sid string, s *engineSession) {
	body, err := io.ReadAll(io.LimitReader(r.Body, engineMaxPayload+1))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if len(body) > engineMaxPayload {
		w.Header().Del("Cache-Control")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	s.mu.Lock()
	s.lastSeen = time.Now()
	s.mu.Unlock()
	for _, packet := range strings.Split(string(body), engineSeparator) {
		switch {
		case packet == "1":
			e.drop(sid)
		case packet == "40" || strings.HasPrefix(packet, "40{"):
			s.push(`40{"sid":"` + newEngineID() + `"}`)
		case strings.HasPrefix(packet, "40/"):
			ns, _, _ := strings.Cut(packet[2:], ",")
			s.push(`44` + ns + `,{"message":"Invalid namespace"}`)
		}
	}
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len("ok")))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok")
}

// push queues a packet and wakes a held poll.
func (s *engineSession) push(packet string) {
	s.mu.Lock()
	s.queue = append(s.queue, packet)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take removes and returns every queued packet (nil when none).
func (s *engineSession) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	packets := s.queue
	s.queue = nil
	return packets
}

// close ends the session once.
func (s *engineSession) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// idleSince returns how long the session has had no request in progress.
func (s *engineSession) idleSince(t time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.polling {
		return 0
	}
	return t.Sub(s.lastSeen)
}
