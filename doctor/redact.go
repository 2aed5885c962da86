package doctor

import (
	"net"
	"net/url"
	"regexp"
	"strings"
)

// secretParams are query parameters of database and Redis URLs that carry
// secrets.
var secretParams = []string{"password", "sslpassword", "pass", "secret", "token"}

// dsnPassword matches password=... in a key/value connection string.
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// RedactURL returns raw with any password replaced by "xxxxx": the
// user-info password and secret query parameters of a URL, or password=
// in a key/value connection string. A string that does not parse is
// replaced entirely, since it might be a secret itself.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		if strings.Contains(raw, "=") {
			return dsnPassword.ReplaceAllString(raw, "${1}xxxxx")
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	changed := false
	for k := range q {
		for _, s := range secretParams {
			if strings.EqualFold(k, s) {
				q.Set(k, "xxxxx")
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// scrub returns err's text with each non-empty secret replaced, for
// driver errors that might echo a connection string.
func scrub(err error, secrets ...string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

// urlPassword returns the password of a URL, for scrubbing.
func urlPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// joinHostPort is net.JoinHostPort.
func joinHostPort(host, port string) string { return net.JoinHostPort(host, port) }

// isLoopbackHost reports whether host names this machine: localhost or a
// loopback address.
func isLoopbackHost(host string) bool {
	h := strings.Trim(strings.ToLower(host), "[]")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
