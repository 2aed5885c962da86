package testsupport

import (
	"net/http"
	"strings"
)

// CookiePair returns "name=value" of the cookie whose name ends in suffix
// as resp leaves the browser with it, or "" when resp does not set it or
// clears it. The last Set-Cookie of a name wins, as in a browser (an
// answer may set a cookie and clear it again).
func CookiePair(resp *http.Response, suffix string) string {
	out := ""
	for _, c := range resp.Cookies() {
		if !strings.HasSuffix(c.Name, suffix) {
			continue
		}
		out = ""
		if c.Value != "" && c.MaxAge >= 0 {
			out = c.Name + "=" + c.Value
		}
	}
	return out
}
