package doctor

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"time"
)

// userAgent identifies the doctor's requests in access logs.
const userAgent = "ocomms-doctor/1"

// dialer connects like net.Dialer, except that connections to the site's
// host go to opts.Resolve when it is set.
type dialer struct {
	host, resolve string
	d             net.Dialer
}

// newDialer returns the dialer for a run.
func newDialer(opts Options, siteHost string) *dialer {
	return &dialer{host: siteHost, resolve: opts.Resolve, d: net.Dialer{Timeout: opts.Timeout}}
}

// DialContext dials addr, redirected to the resolve address for the site host.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.d.DialContext(ctx, network, d.target(addr))
}

// target rewrites addr's host to the resolve address when it is the site host.
func (d *dialer) target(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || d.resolve == "" || !strings.EqualFold(host, d.host) {
		return addr
	}
	return net.JoinHostPort(d.resolve, port)
}

// newClient returns an HTTP client that follows no redirect and accepts
// any certificate: the header checks look at what the edge answers, and
// the certificate is judged by its own check.
func newClient(opts Options, siteHost string) *http.Client {
	return &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			DialContext:       newDialer(opts, siteHost).DialContext,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the tls checks verify the chain separately
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newAdminClient returns a client for the admin API.
func newAdminClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}
