package testsupport

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// StallListener accepts connections on a loopback port and never reads
// or answers (a server that has stalled) until the test ends; it returns
// the address.
func StallListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// SendStalled writes request on conn, a request whose body stops short
// of its Content-Length (a client that stalls mid-body), and reads the
// answer, all within 30 seconds. It returns the answer, its body and the
// rest of the connection, to check that the server closed it.
func SendStalled(t testing.TB, conn net.Conn, request string) (*http.Response, string, *bufio.Reader) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.WriteString(conn, request)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body), br
}
