package reqbody

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestStalledBodyGets408AndTheConnectionCloses: a client that sends part
// of a body and stalls gets 408 JSON once the deadline passes, and the
// server closes the connection (its slot is freed). The client never
// sends the rest, so the outcome does not depend on timing.
func TestStalledBodyGets408AndTheConnectionCloses(t *testing.T) {
	reached := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ref := Read(w, r, Options{Deadline: 200 * time.Millisecond}); ref != nil {
			ref.Write(w)
			return
		}
		reached <- struct{}{}
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, body, br := testsupport.SendStalled(t, conn, "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":")
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, CodeRequestTimeout) {
		t.Fatalf("status %d body %s, want 408 %s", resp.StatusCode, body, CodeRequestTimeout)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open after 408 (read: %v)", err)
	}
	select {
	case <-reached:
		t.Fatal("a stalled body reached the handler's forward path")
	default:
	}
}
