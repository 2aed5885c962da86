package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Expiry thresholds for certificates with a long lifetime (Let's Encrypt's
// 90 days). For shorter lifetimes they scale down (warnFraction,
// failFraction of the lifetime), so that a healthy 6-day or 12-hour
// certificate, renewed when a third of its life remains, never warns.
const (
	warnLeft     = 14 * 24 * time.Hour
	failLeft     = 3 * 24 * time.Hour
	warnFraction = 0.25
	failFraction = 0.10
	// renewFraction is when certmagic renews (1/3 of the lifetime left),
	// unless the CA's ARI window says earlier.
	renewFraction = 1.0 / 3
)

// thresholds returns the warn and fail remaining-time limits for a
// certificate of the given lifetime.
func thresholds(lifetime time.Duration) (warn, fail time.Duration) {
	warn, fail = warnLeft, failLeft
	if w := time.Duration(float64(lifetime) * warnFraction); w < warn {
		warn = w
	}
	if f := time.Duration(float64(lifetime) * failFraction); f < fail {
		fail = f
	}
	return warn, fail
}

// checkTLS handshakes with the site and judges the served certificate:
// its chain, its expiry and whether its renewal is overdue.
func checkTLS(ctx context.Context, opts Options, s site) []Result {
	if s.base.Scheme != "https" {
		return []Result{{Name: "tls chain", Status: Fail, Detail: "the site URL is http://", Fix: "check the https:// address"}}
	}
	dctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	raw, err := newDialer(opts, s.host).DialContext(dctx, "tcp", s.addr)
	var conn *tls.Conn
	if err == nil {
		conn = tls.Client(raw, &tls.Config{
			ServerName:         s.host,
			InsecureSkipVerify: true, //nolint:gosec // verified below, so that an unverifiable chain is still described
		})
		if err = conn.HandshakeContext(dctx); err != nil {
			raw.Close()
		}
	}
	if err != nil {
		return []Result{{Name: "tls chain", Status: Fail, Detail: fmt.Sprintf("TLS handshake with %s: %v", s.addr, err),
			Fix: "check that the edge listens on 443 and has a certificate for " + s.host + " (Caddy's log: \"obtaining certificate\")"}}
	}
	defer conn.Close()
	state := conn.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return []Result{{Name: "tls chain", Status: Fail, Detail: "no certificate served"}}
	}
	return judgeCertificate(state, s.host, opts.RootCAs, opts.Now())
}

// judgeCertificate returns the chain, expiry and renewal results for a
// handshake's certificates.
func judgeCertificate(state tls.ConnectionState, host string, roots *x509.CertPool, now time.Time) []Result {
	leaf := state.PeerCertificates[0]
	issuer := leaf.Issuer.CommonName
	if issuer == "" && len(leaf.Issuer.Organization) > 0 {
		issuer = leaf.Issuer.Organization[0]
	}
	return []Result{
		chainResult(state, host, roots, now, issuer),
		expiryResult(leaf, now, issuer),
		renewalResult(leaf, now),
	}
}

// chainResult verifies the served chain for host.
func chainResult(state tls.ConnectionState, host string, roots *x509.CertPool, now time.Time, issuer string) Result {
	const name = "tls chain"
	leaf := state.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	rootsName := "the system roots"
	if roots != nil {
		rootsName = "--cacert"
	}
	data := map[string]any{"issuer": issuer, "tls_version": tls.VersionName(state.Version), "subject": leaf.Subject.CommonName}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		fix := "serve a certificate for " + host + " from a public CA with its full chain (Caddy does this by itself for a public name)"
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			fix = "for a private or local CA (Caddy's `tls internal`, a test CA) pass its root with --cacert; otherwise serve the full chain from a public CA"
		}
		var hn x509.HostnameError
		if errors.As(err, &hn) {
			fix = "the certificate does not name " + host + ": list the name in the site address (OCOMMS_SITE)"
		}
		return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("issuer %q, not verified against %s: %v", issuer, rootsName, err), Fix: fix, Data: data}
	}
	if state.Version < tls.VersionTLS12 {
		return Result{Name: name, Status: Fail, Detail: "negotiated " + tls.VersionName(state.Version), Fix: "`tls { protocols tls1.2 tls1.3 }`", Data: data}
	}
	return Result{Name: name, Status: Pass, Detail: fmt.Sprintf("verified for %s against %s, issuer %q, %s", host, rootsName, issuer, tls.VersionName(state.Version)), Data: data}
}

// expiryResult judges the time left.
func expiryResult(leaf *x509.Certificate, now time.Time, issuer string) Result {
	const name = "tls expiry"
	left := leaf.NotAfter.Sub(now)
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	warnAt, failAt := thresholds(lifetime)
	data := map[string]any{
		"not_after":     leaf.NotAfter.UTC().Format(time.RFC3339),
		"days_left":     float64(int(left.Hours()/24*10)) / 10,
		"lifetime_days": float64(int(lifetime.Hours()/24*10)) / 10,
	}
	detail := fmt.Sprintf("expires %s (%s left of a %s lifetime), issuer %q",
		leaf.NotAfter.UTC().Format("2006-01-02 15:04 MST"), human(left), human(lifetime), issuer)
	fix := "Caddy renews by itself: read its log for \"renew\"/\"obtain\" errors (ACME account, DNS, port 80 reachable for HTTP-01, rate limits), then `caddy reload`"
	switch {
	case left <= 0:
		return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("expired %s ago (%s)", human(-left), leaf.NotAfter.UTC().Format(time.RFC3339)), Fix: fix, Data: data}
	case left < failAt:
		return Result{Name: name, Status: Fail, Detail: detail, Fix: fix, Data: data}
	case left < warnAt:
		return Result{Name: name, Status: Warn, Detail: detail, Fix: fix, Data: data}
	}
	return Result{Name: name, Status: Pass, Detail: detail, Data: data}
}

// renewalResult says whether renewal is overdue: certmagic renews when a
// third of the lifetime remains (earlier if the CA's ARI window says so),
// checking every 10 minutes, so a certificate served well past that point
// means renewal keeps failing.
func renewalResult(leaf *x509.Certificate, now time.Time) Result {
	const name = "tls renewal"
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	due := leaf.NotAfter.Add(-time.Duration(float64(lifetime) * renewFraction))
	overdueAt := leaf.NotAfter.Add(-time.Duration(float64(lifetime) * warnFraction))
	data := map[string]any{"renewal_due": due.UTC().Format(time.RFC3339)}
	switch {
	case now.Before(due):
		return Result{Name: name, Status: Pass, Detail: "not due before " + due.UTC().Format("2006-01-02 15:04 MST") + " (⅓ of the lifetime left)", Data: data}
	case now.Before(overdueAt):
		return Result{Name: name, Status: Pass, Detail: "due since " + due.UTC().Format("2006-01-02 15:04 MST") + "; Caddy renews within its next checks", Data: data}
	}
	return Result{Name: name, Status: Warn,
		Detail: fmt.Sprintf("overdue: renewal was due %s, %s ago, and this certificate is still served", due.UTC().Format("2006-01-02 15:04 MST"), human(now.Sub(due))),
		Fix:    "read Caddy's log for failed renewals (\"could not get certificate\", \"renew\"); a certificate loaded from files (`tls cert key`) is never renewed by Caddy",
		Data:   data}
}

// human prints a duration rounded to days, or to tenths of hours under
// two days.
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 47*time.Hour+30*time.Minute:
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	case d >= 59*time.Minute+30*time.Second:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return d.Round(time.Second).String()
}
