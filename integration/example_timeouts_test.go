package integration

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/ocomms/ocomms-edge/caddymodule"
	"github.com/ocomms/ocomms-edge/internal/edgetest"
	"github.com/ocomms/ocomms-edge/internal/nodeapp"
)

// socketIOIdle is how long the Socket.IO clients stay idle: longer than the
// edge's read timeouts and Socket.IO's pingInterval + pingTimeout (45 s).
const socketIOIdle = 65 * time.Second

// TestExampleTimeouts runs Caddyfile.example in front of a real Socket.IO
// 4.8 server (testapps/socketio) and, concurrently:
//   - a long-polling client and a websocket client (socket.io-client 4.8)
//     that connect through the edge, stay idle for 65 s and must still
//     have the same session on the same engine.io connection (the
//     server's ack names it), with no disconnect;
//   - a slowloris client sending one header line every 2 s, which the
//     edge must cut after read_header (10 s; Caddy's default is 1 min);
//   - a client that sends part of a body and stalls, cut after
//     read_body_idle (10 s; default 1 min);
//   - a client that trickles a body one byte every 2 s, never stalling
//     long, cut at read_body (60 s; by default never).
func TestExampleTimeouts(t *testing.T) {
	skipInShort(t, "starts Caddy and Node, runs for a minute")
	app := nodeapp.Start(t, "socketio", nodeapp.Options{Args: []string{"server.mjs"}})
	e := edgetest.New(t)
	t.Setenv("OCOMMS_SITE", "localhost")
	t.Setenv("OCOMMS_HTTP_PORT", strconv.Itoa(e.HTTPPort))
	t.Setenv("OCOMMS_HTTPS_PORT", strconv.Itoa(e.HTTPSPort))
	t.Setenv("OCOMMS_UPSTREAM", app.Addr())
	cfg := strings.Replace(exampleCaddyfile(t), "{\n", "{\n\tadmin {ADMIN}\n\tstorage file_system {DIR}/storage\n", 1)
	e.Load(t, cfg)
	addr := "127.0.0.1:" + strconv.Itoa(e.HTTPSPort)

	var wg sync.WaitGroup
	clients := map[string]string{}
	var mu sync.Mutex
	for _, transport := range []string{"polling", "websocket"} {
		cmd := nodeapp.Command(t, "socketio", "client.mjs", e.URL(""), transport, strconv.Itoa(int(socketIOIdle/time.Second)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmd.CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			clients[transport] = fmt.Sprintf("%s (exit: %v)", bytes.TrimSpace(out), err)
		}()
	}

	type cut struct {
		name  string
		after time.Duration
		ok    bool
		limit time.Duration
	}
	cuts := make(chan cut, 3)
	run := func(name string, limit time.Duration, head string, first []byte, every time.Duration, chunk []byte) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			after, ok := dribble(addr, head, first, every, chunk, limit)
			cuts <- cut{name, after, ok, limit}
		}()
	}
	run("slowloris headers", 30*time.Second, "GET / HTTP/1.1\r\nHost: localhost\r\n", nil,
		2*time.Second, []byte("X-Slow: 1\r\n"))
	post := "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
	run("stalled body", 30*time.Second, post, bytes.Repeat([]byte("a"), 1000), time.Hour, nil)
	run("trickled body", socketIOIdle+15*time.Second, post, nil, 2*time.Second, []byte("b"))

	wg.Wait()
	close(cuts)
	for c := range cuts {
		if !c.ok {
			t.Errorf("%s: the edge still held the connection after %v", c.name, c.limit)
		} else {
			t.Logf("%s: cut after %v", c.name, c.after.Round(100*time.Millisecond))
		}
	}
	for transport, out := range clients {
		var res struct {
			OK          bool     `json:"ok"`
			SameSession bool     `json:"sameSession"`
			Disconnects []string `json:"disconnects"`
			Error       string   `json:"error"`
		}
		line := out[:strings.LastIndex(out, " (exit:")]
		if err := json.Unmarshal([]byte(line[strings.LastIndex(line, "\n")+1:]), &res); err != nil || !res.OK || !res.SameSession {
			t.Errorf("socket.io %s client after %v idle through the edge: %s", transport, socketIOIdle, out)
		}
	}
}

// dribble opens a TLS connection to the edge, writes head and first, then
// chunk every interval, until the edge answers or closes the connection.
// It returns how long that took, and false when the edge still held the
// connection after limit.
func dribble(addr, head string, first []byte, every time.Duration, chunk []byte, limit time.Duration) (time.Duration, bool) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		return time.Since(start), true
	}
	if len(first) > 0 {
		if _, err := conn.Write(first); err != nil {
			return time.Since(start), true
		}
	}
	closed := make(chan struct{})
	go func() {
		// Any byte or error from the edge ends the hold.
		_, _ = bufio.NewReader(conn).ReadByte()
		close(closed)
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start), true
		case <-deadline.C:
			return time.Since(start), false
		case <-tick.C:
			if len(chunk) > 0 {
				_ = conn.SetWriteDeadline(time.Now().Add(every))
				if _, err := conn.Write(chunk); err != nil {
					return time.Since(start), true
				}
			}
		}
	}
}
