package headers

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// The edge asks the upstream for identity-encoded HTML (Begin drops
// Accept-Encoding on requests that may be for a document), but an app can
// compress on its own, and a request can look like anything. HTML that
// needs the nonce and still arrives compressed is gathered whole, decoded,
// rewritten and sent on; Caddy's encode compresses it again toward the
// client. These limits bound what one such response may cost.
const (
	// maxHeldCompressed is the most compressed bytes gathered.
	maxHeldCompressed = 8 << 20
	// maxDecodedHTML is the most bytes one compressed page may decode to.
	maxDecodedHTML = 32 << 20
)

// errTooLarge is a held body over its limit.
var errTooLarge = errors.New("compressed html larger than the edge decodes")

// heldBody gathers a compressed HTML body until the handler is done.
type heldBody struct {
	encoding string
	buf      bytes.Buffer
	tooLarge bool
}

// Write gathers p. Past the limit it keeps accepting (and dropping) bytes,
// so the upstream copy completes and Close can answer with a refusal.
func (b *heldBody) Write(p []byte) (int, error) {
	if b.tooLarge || b.buf.Len()+len(p) > maxHeldCompressed {
		b.tooLarge = true
		b.buf = bytes.Buffer{}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// decoder returns a reader of the decoded body.
func (b *heldBody) decoder() (io.Reader, error) {
	data := b.buf.Bytes()
	switch b.encoding {
	case "gzip", "x-gzip":
		return gzip.NewReader(bytes.NewReader(data))
	default: // deflate: zlib-wrapped as HTTP says, or raw as some servers send
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			return zr, nil
		}
		return flate.NewReader(bytes.NewReader(data)), nil
	}
}

// finishDecoded decodes the held body, writes the held status and the
// body with the nonce injected, or a 502 when the body cannot be decoded
// within the limits.
func (rw *ResponseWriter) finishDecoded() error {
	held := rw.decoder
	rw.decoder = nil
	h := rw.ResponseWriter.Header()
	if held.tooLarge {
		rw.refuse(h, fmt.Sprintf("the upstream sent compressed HTML over %d bytes; the edge cannot add the page's CSP nonce", maxHeldCompressed))
		return errTooLarge
	}
	var decoded bytes.Buffer
	if held.buf.Len() > 0 { // a HEAD response, or an empty body, decodes to nothing
		zr, err := held.decoder()
		if err == nil {
			_, err = decoded.ReadFrom(io.LimitReader(zr, maxDecodedHTML+1))
		}
		if err == nil && decoded.Len() > maxDecodedHTML {
			err = errTooLarge
		}
		if err != nil {
			rw.refuse(h, "the upstream sent "+held.encoding+" HTML the edge could not decode to add the page's CSP nonce")
			return fmt.Errorf("decoding %s html: %w", held.encoding, err)
		}
	}
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	rw.enforce(h, true)
	rw.ResponseWriter.WriteHeader(rw.status)
	rw.startInjection()
	if _, err := rw.injector.Write(decoded.Bytes()); err != nil {
		return fmt.Errorf("writing decoded html: %w", err)
	}
	if err := rw.injector.Close(); err != nil {
		return fmt.Errorf("writing decoded html: %w", err)
	}
	return rw.holdback.release()
}
