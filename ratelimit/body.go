package ratelimit

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// bodyFields reads a request body once, on demand, and restores it so the
// upstream receives the same bytes.
type bodyFields struct {
	max    int64
	read   bool
	fields map[string]string
}

// get returns a top-level string field of the JSON or form body.
func (b *bodyFields) get(r *http.Request, name string) (string, bool) {
	if !b.read {
		b.read = true
		b.fields = readFields(r, b.max)
	}
	v, ok := b.fields[name]
	return v, ok
}

// readFields reads up to max bytes of the body and parses its top-level
// string fields. The body is always put back byte for byte, even when it is
// larger than max (then it is not parsed).
func readFields(r *http.Request, max int64) map[string]string {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	rest := r.Body
	if int64(len(buf)) > max || err != nil {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), rest}
		return nil
	}
	r.Body = readCloser{bytes.NewReader(buf), rest}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		var obj map[string]json.RawMessage
		if json.Unmarshal(buf, &obj) != nil {
			return nil
		}
		out := make(map[string]string, len(obj))
		for k, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				out[k] = s
			}
		}
		return out
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(buf))
		if err != nil {
			return nil
		}
		out := make(map[string]string, len(q))
		for k, v := range q {
			if len(v) > 0 {
				out[k] = v[0]
			}
		}
		return out
	}
	return nil
}

// readCloser reads from the restored bytes and closes the original body.
type readCloser struct {
	io.Reader
	closer io.Closer
}

func (rc readCloser) Close() error { return rc.closer.Close() }
