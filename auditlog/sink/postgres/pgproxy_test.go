package postgres

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// PostgreSQL startup-phase request codes (the first message a client
// sends has no type byte: int32 length, int32 code).
const (
	pgSSLRequestCode    = 80877103
	pgGSSENCRequestCode = 80877104
)

// pgAckCutter is a TCP proxy between a client and PostgreSQL that reads
// the server's replies as protocol messages (type byte, int32 length that
// counts itself, body). When it sees the n-th COPY acknowledgement (a
// CommandComplete whose tag starts with "COPY ") for an n it was told to
// cut, it forwards what came before, drops that message and everything
// after it, and closes both sides. A COPY sent as a simple query commits
// its implicit transaction before the server sends CommandComplete, so
// the rows are stored while the client sees a broken connection: the
// ambiguous commit.
//
// It speaks plaintext only: an SSLRequest or GSSENCRequest is answered
// with 'N' by the proxy itself (clients should use sslmode=disable).
type pgAckCutter struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cutAt  map[int]bool
	acks   int      // COPY acknowledgements seen, cut or not
	cuts   []string // tags of the acknowledgements dropped
	err    error    // first protocol error seen
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// newPGAckCutter listens on a free loopback port and proxies to
// 127.0.0.1:targetPort, cutting the COPY acknowledgements numbered cutAt
// (1-based, in the order the server sends them over all connections). It
// stops when the test ends.
func newPGAckCutter(t testing.TB, targetPort int, cutAt ...int) *pgAckCutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &pgAckCutter{ln: ln, target: net.JoinHostPort("127.0.0.1", strconv.Itoa(targetPort)),
		cutAt: map[int]bool{}, conns: map[net.Conn]bool{}}
	for _, n := range cutAt {
		p.cutAt[n] = true
	}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// URL is a plaintext URL for db through the proxy (loopback, so the sink
// accepts sslmode=disable).
func (p *pgAckCutter) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", p.ln.Addr(), db)
}

// Acks is how many COPY acknowledgements the server sent; Cuts the tags
// of those the proxy dropped; Err the first malformed stream it met.
func (p *pgAckCutter) Acks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks
}

func (p *pgAckCutter) Cuts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.cuts...)
}

func (p *pgAckCutter) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pgAckCutter) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *pgAckCutter) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// track registers a session's connections for closing at the end; false
// when the proxy is already closing.
func (p *pgAckCutter) track(c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c], p.conns[s] = true, true
	return true
}

func (p *pgAckCutter) untrack(c, s net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	delete(p.conns, s)
}

func (p *pgAckCutter) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue // the client sees a refused session, like a down server
		}
		if !p.track(c, s) {
			c.Close()
			s.Close()
			return
		}
		p.wg.Add(1)
		go p.handle(c, s)
	}
}

// handle runs one session: the startup phase, then the client's bytes
// unchanged to the server and the server's messages parsed back.
func (p *pgAckCutter) handle(c, s net.Conn) {
	defer p.wg.Done()
	defer func() {
		c.Close()
		s.Close()
		p.untrack(c, s)
	}()
	if err := p.startup(c, s); err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			p.fail(err)
		}
		return
	}
	up := make(chan struct{})
	go func() {
		defer close(up)
		_, _ = io.Copy(s, c)
		s.Close() // the client hung up: so does the server side
	}()
	p.relay(s, c)
	c.Close()
	s.Close()
	<-up
}

// startup forwards the client's startup message, answering SSL and GSS
// encryption requests with 'N' itself.
func (p *pgAckCutter) startup(c, s net.Conn) error {
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[:4]))
		if n < 8 || n > 1<<16 {
			return fmt.Errorf("proxy: startup message of %d bytes", n)
		}
		code := binary.BigEndian.Uint32(hdr[4:])
		if code == pgSSLRequestCode || code == pgGSSENCRequestCode {
			if _, err := c.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		}
		msg := make([]byte, n)
		copy(msg, hdr[:])
		if _, err := io.ReadFull(c, msg[8:]); err != nil {
			return err
		}
		_, err := s.Write(msg)
		return err
	}
}

// relay copies the server's messages to the client one by one until
// either side ends or a COPY acknowledgement is cut.
func (p *pgAckCutter) relay(s, c net.Conn) {
	br := bufio.NewReaderSize(s, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)
	var hdr [5]byte
	var body []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[1:]))
		if n < 4 || n > 1<<30 {
			p.fail(fmt.Errorf("proxy: server message %q of length %d", hdr[0], n))
			return
		}
		if cap(body) < n-4 {
			body = make([]byte, n-4)
		}
		body = body[:n-4]
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		if hdr[0] == 'C' && bytes.HasPrefix(body, []byte("COPY ")) && p.cutAck(string(bytes.TrimRight(body, "\x00"))) {
			_ = bw.Flush() // what preceded the acknowledgement, then silence
			return
		}
		if _, err := bw.Write(hdr[:]); err != nil {
			return
		}
		if _, err := bw.Write(body); err != nil {
			return
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// cutAck counts a COPY acknowledgement and reports whether to drop it.
func (p *pgAckCutter) cutAck(tag string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acks++
	if !p.cutAt[p.acks] {
		return false
	}
	p.cuts = append(p.cuts, tag)
	return true
}
