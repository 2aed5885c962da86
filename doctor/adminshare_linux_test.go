package doctor

import (
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// listenReusePort listens on addr with SO_REUSEPORT, as Caddy opens its
// admin listener, and serves GET /ocomms/instance naming id.
func listenReusePort(t *testing.T, addr, id string) string {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	l, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Ocomms-Instance", id)
		w.Write([]byte(`{"id":"` + id + `"}`))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// Two servers sharing one admin address through SO_REUSEPORT are found in
// the kernel's socket table and by the instance ids they answer with; one
// alone passes.
func TestCheckAdminSharedFindsTwoListeners(t *testing.T) {
	addr := listenReusePort(t, "127.0.0.1:0", "edge-a/1/aaaaaa")
	opts := Options{Admin: addr}.withDefaults()
	if r := checkAdminShared(context.Background(), opts); r.Status != Pass || !strings.Contains(r.Detail, "edge-a/1/aaaaaa") {
		t.Fatalf("one edge: %+v", r)
	}
	listenReusePort(t, addr, "edge-b/2/bbbbbb")
	r := checkAdminShared(context.Background(), opts)
	if r.Status != Warn || r.Fix == "" || !strings.Contains(r.Detail, "2 sockets listen on it") {
		t.Fatalf("two edges on %s: %+v", addr, r)
	}
	// The socket table alone tells, whatever the kernel's pick.
	socks, err := adminListeners(addr)
	if err != nil || len(socks) != 2 {
		t.Fatalf("listeners on %s: %v %v", addr, socks, err)
	}
	// localhost covers 127.0.0.1.
	_, port, _ := net.SplitHostPort(addr)
	if socks, _ := adminListeners("localhost:" + port); len(socks) != 2 {
		t.Fatalf("listeners on localhost:%s: %v", port, socks)
	}
}

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:07E3":                         "127.0.0.1:2019",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:07E3": "[::1]:2019",
	} {
		ap, ok := parseProcAddr(in)
		if !ok || ap.String() != want {
			t.Errorf("parseProcAddr(%q) = %v %v, want %s", in, ap, ok, want)
		}
	}
	if _, ok := parseProcAddr("zz:1"); ok {
		t.Error("garbage accepted")
	}
}
