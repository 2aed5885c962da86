package console

import (
	"bytes"
	"embed"
	"html/template"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// nonceRE finds the nonce in the CSP the header module hands upstream on
// the request (ocomms_headers), so that the page's tags carry it when the
// site's policy is nonce-based.
var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9+/_=-]{16,64})'`)

// requestNonce is the nonce of the site's policy for this request, or "".
func requestNonce(r *http.Request) string {
	m := nonceRE.FindStringSubmatch(r.Header.Get("Content-Security-Policy"))
	if m == nil {
		return ""
	}
	return m[1]
}

// serveAsset serves the page at / and the embedded files under assets/.
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Use GET.")
		return
	}
	if rest == "/" || rest == "/index.html" {
		var buf bytes.Buffer
		if err := page.Execute(&buf, map[string]string{"Nonce": requestNonce(r)}); err != nil {
			writeError(w, http.StatusInternalServerError, "PAGE_FAILED", "The page could not be built.")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
		return
	}
	name, ok := strings.CutPrefix(rest, "/assets/")
	clean := path.Clean("/" + name)
	if !ok || clean != "/"+name || name == "index.html" {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
		return
	}
	data, err := assets.ReadFile("assets" + clean)
	if err != nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Not found.")
		return
	}
	ct := mime.TypeByExtension(path.Ext(clean))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}
