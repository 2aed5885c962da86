package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// rawConn is a minimal HTTP/1.1 client on one keep-alive connection, the
// load generator's default: like wrk it writes a request from one buffer
// and reads only what framing needs (status, Content-Length,
// Transfer-Encoding, Connection) of the answer, so its cost per response
// barely depends on how many headers the response carries. net/http's
// client parses and canonicalises every header into a map; on a machine
// where the generator shares cores with the servers under test, that
// cost grows with the edge's security headers and is charged to the edge.
//
// A rawConn is used by one worker at a time. The body it returns is
// valid until the next call.
type rawConn struct {
	host string
	conn net.Conn
	rd   *bufio.Reader
	req  []byte
	body []byte
}

// errRawProtocol is an answer the raw client cannot frame.
var errRawProtocol = errors.New("malformed HTTP/1.1 response")

// do sends one request and reads its answer. A request that fails on a
// reused connection before any answer arrived is sent again once on a
// new connection, as net/http does for requests that are safe to retry.
func (c *rawConn) do(ctx context.Context, method, url string, body []byte, hdr ...string) (int, []byte, error) {
	host, path, err := splitURL(url)
	if err != nil {
		return 0, nil, err
	}
	if c.conn != nil && host != c.host {
		c.close()
	}
	c.host = host
	c.req = appendRequest(c.req[:0], method, host, path, body, hdr)
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		st, b, answered, err := c.roundTrip(ctx)
		if err == nil {
			return st, b, nil
		}
		c.close()
		if reused && !answered && attempt == 0 && ctx.Err() == nil {
			continue
		}
		return st, nil, err
	}
}

// roundTrip writes c.req and reads one response. answered reports
// whether any byte of the response arrived.
func (c *rawConn) roundTrip(ctx context.Context) (status int, body []byte, answered bool, err error) {
	if c.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", c.host)
		if err != nil {
			return 0, nil, false, fmt.Errorf("dial %s: %w", c.host, err)
		}
		c.conn = conn
		if c.rd == nil {
			c.rd = bufio.NewReaderSize(conn, 16<<10)
		} else {
			c.rd.Reset(conn)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return 0, nil, false, err
	}
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, nil, false, err
	}
	line, err := c.rd.ReadSlice('\n')
	if err != nil {
		return 0, nil, len(line) > 0, err
	}
	status, err = parseStatusLine(line)
	if err != nil {
		return 0, nil, true, err
	}
	length, chunked, closing, err := c.readHeaderFields()
	if err != nil {
		return status, nil, true, err
	}
	c.body = c.body[:0]
	switch {
	case status == 204 || status == 304 || status < 200:
	case chunked:
		err = c.readChunked()
	case length >= 0:
		c.body = growTo(c.body, length)
		_, err = io.ReadFull(c.rd, c.body)
	default:
		c.body, err = readAllInto(c.body, c.rd)
		closing = true
	}
	if err != nil {
		return status, nil, true, err
	}
	if closing {
		c.close()
	}
	return status, c.body, true, nil
}

// readHeaderFields reads header lines to the blank line and returns the
// framing: the Content-Length (-1 if absent), whether the body is
// chunked, and whether the server closes the connection after it.
func (c *rawConn) readHeaderFields() (length int, chunked, closing bool, err error) {
	length = -1
	for {
		line, err := c.rd.ReadSlice('\n')
		if err != nil {
			return 0, false, false, fmt.Errorf("reading response headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, chunked, closing, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, false, errRawProtocol
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 {
				return 0, false, false, fmt.Errorf("%w: Content-Length %q", errRawProtocol, value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
}

// readChunked reads a chunked body into c.body, trailers discarded.
func (c *rawConn) readChunked() error {
	for {
		line, err := c.rd.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading a chunk size: %w", err)
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 31)
		if err != nil {
			return fmt.Errorf("%w: chunk size %q", errRawProtocol, size)
		}
		if n == 0 {
			for { // trailers up to the blank line
				l, err := c.rd.ReadSlice('\n')
				if err != nil {
					return fmt.Errorf("reading trailers: %w", err)
				}
				if len(bytes.TrimRight(l, "\r\n")) == 0 {
					return nil
				}
			}
		}
		start := len(c.body)
		c.body = growTo(c.body, start+int(n))
		if _, err := io.ReadFull(c.rd, c.body[start:]); err != nil {
			return err
		}
		if _, err := c.rd.Discard(2); err != nil { // CRLF after the chunk
			return err
		}
	}
}

// close drops the connection; the next request dials again.
func (c *rawConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// splitURL splits "http://host:port/path?q" into host:port and the
// request target.
func splitURL(url string) (host, path string, err error) {
	rest, ok := strings.CutPrefix(url, "http://")
	if !ok {
		return "", "", fmt.Errorf("raw client speaks plain http only: %q", url)
	}
	host, path = rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	return host, path, nil
}

// appendRequest renders an HTTP/1.1 request.
func appendRequest(b []byte, method, host, path string, body []byte, hdr []string) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: ocomms-bench\r\n"...)
	for i := 0; i+1 < len(hdr); i += 2 {
		b = append(b, hdr[i]...)
		b = append(b, ": "...)
		b = append(b, hdr[i+1]...)
		b = append(b, "\r\n"...)
	}
	if body != nil || method == "POST" || method == "PUT" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// parseStatusLine returns the status code of "HTTP/1.1 200 OK\r\n".
func parseStatusLine(line []byte) (int, error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, fmt.Errorf("%w: status line %.40q", errRawProtocol, line)
	}
	st, err := strconv.Atoi(string(line[9:12]))
	if err != nil || st < 100 {
		return 0, fmt.Errorf("%w: status line %.40q", errRawProtocol, line)
	}
	return st, nil
}

// growTo returns b with length n, reusing its storage when it can.
func growTo(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	return append(b[:cap(b)], make([]byte, n-cap(b))...)[:n]
}

// readAllInto appends r to EOF onto b.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
