package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRawConnFramesAnswers sends requests through rawConn to net/http's
// server and checks status, body and connection reuse for each way a
// response can be framed.
func TestRawConnFramesAnswers(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/length":
			w.Header().Set("X-Forwarded-For-Seen", r.Header.Get("X-Forwarded-For"))
			fmt.Fprintf(w, "len:%s:%s", r.Method, body)
		case "/chunked":
			w.WriteHeader(http.StatusCreated)
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := &rawConn{}
	defer c.close()
	ctx := context.Background()
	cases := []struct {
		method, path string
		body         []byte
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/length", nil, 200, "len:GET:"},
		{"POST", "/length", []byte("40"), 200, "len:POST:40"},
		{"GET", "/chunked", nil, 201, "part0;part1;part2;"},
		{"GET", "/empty", nil, 204, ""},
		{"POST", "/length", []byte{}, 200, "len:POST:"},
	}
	for _, tc := range cases {
		st, body, err := c.do(ctx, tc.method, srv.URL+tc.path, tc.body, "X-Forwarded-For", "10.0.0.1")
		if err != nil || st != tc.wantStatus || string(body) != tc.wantBody {
			t.Errorf("%s %s: %d %q %v, want %d %q", tc.method, tc.path, st, body, err, tc.wantStatus, tc.wantBody)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for %d keep-alive requests, want 1", n, len(cases))
	}
	if st, body, err := c.do(ctx, "GET", srv.URL+"/close", nil); err != nil || st != 200 || string(body) != "bye" {
		t.Fatalf("Connection: close answer: %d %q %v", st, body, err)
	}
	if c.conn != nil {
		t.Error("connection kept after Connection: close")
	}
	if st, _, err := c.do(ctx, "GET", srv.URL+"/length", nil); err != nil || st != 200 {
		t.Fatalf("after close: %d %v", st, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after a Connection: close, want 2", n)
	}
	// A server that closed the idle connection: the request is sent once
	// more on a new connection, as net/http does.
	srv.CloseClientConnections()
	time.Sleep(20 * time.Millisecond)
	if st, _, err := c.do(ctx, "GET", srv.URL+"/length", nil); err != nil || st != 200 {
		t.Fatalf("after the server closed the connection: %d %v", st, err)
	}
}

// TestRawConnRejectsGarbage: a peer that does not speak HTTP gives an
// error, not a status.
func TestRawConnRejectsGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = conn.Read(buf)
			_, _ = io.WriteString(conn, "SSH-2.0-OpenSSH_9.2\r\n\r\n")
			conn.Close()
		}
	}()
	c := &rawConn{}
	defer c.close()
	st, _, err := c.do(context.Background(), "GET", "http://"+ln.Addr().String()+"/", nil)
	if err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("got %d, %v; want a malformed-response error", st, err)
	}
}

// TestPacedChargesTheQueue: a server slower than the offered rate makes
// paced latencies grow past its service time, because each request is
// timed from when it was due (a closed loop would report ~50 ms).
func TestPacedChargesTheQueue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
	}))
	defer srv.Close()
	sc := scenario{name: "slow", want: 200, newOp: func(c doer, base string, w int) (op, error) {
		return func(ctx context.Context) (int, error) {
			st, _, err := c.do(ctx, "GET", base+"/", nil)
			return st, err
		}, nil
	}}
	// One worker offered 40/s against a 20/s server for 1 s: the last
	// requests wait about half a second behind the queue.
	res := paced(context.Background(), generator{raw: true}, srv.URL, sc, 1, 40, time.Second)
	if res.errs != 0 || res.ops < 15 {
		t.Fatalf("%d ops, %d errors: %s", res.ops, res.errs, res.firstErr)
	}
	if p99 := res.percentile(99); p99 < 300*time.Millisecond {
		t.Errorf("p99 %v: the queue behind a slow server is not charged", p99)
	}
	// The same server offered well below its rate: latency ≈ service time.
	res = paced(context.Background(), generator{raw: true}, srv.URL, sc, 1, 5, time.Second)
	if p99 := res.percentile(99); res.errs != 0 || p99 > 250*time.Millisecond {
		t.Errorf("below capacity: p99 %v, %d errors", p99, res.errs)
	}
}
