package doctor

import (
	"crypto/tls"
	"net/http"
	"time"
)

// userAgent identifies the doctor's requests in access logs.
const userAgent = "ocomms-doctor/1"

// newClient returns an HTTP client that follows no redirect and accepts
// any certificate: the header checks look at what the edge answers, and
// the certificate is judged by its own check.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the tls checks verify the chain separately
			DisableKeepAlives: false,
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
