package doctor

import (
	"net/url"
	"os"
	"regexp"
	"strings"
)

// tlsPolicy is what a database URL asks of the connection's TLS.
type tlsPolicy struct {
	// mode is the libpq sslmode the URL amounts to ("" when unset).
	mode string
	// plaintext is true when a client may end up without TLS: no TLS
	// asked for, or a mode that falls back (prefer, allow) under libpq,
	// Prisma and postgres.js.
	plaintext bool
	// verified is true when the server certificate and its host name
	// are checked (verify-full; ssl=true under node-postgres).
	verified bool
	// note explains the reading, client by client where they differ.
	note string
}

// dsnMode finds sslmode in a key/value connection string.
var dsnMode = regexp.MustCompile(`(?i)(?:^|\s)sslmode\s*=\s*'?([a-z-]+)`)

// sslmodeOf returns the sslmode a connection string sets, or "".
func sslmodeOf(raw string) string {
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		return strings.ToLower(u.Query().Get("sslmode"))
	}
	if m := dsnMode.FindStringSubmatch(raw); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// effectiveSSLMode is the sslmode pgx (and libpq) apply: the string's,
// else PGSSLMODE, else prefer.
func effectiveSSLMode(raw string) string {
	if m := sslmodeOf(raw); m != "" {
		return m
	}
	if m := os.Getenv("PGSSLMODE"); m != "" {
		return strings.ToLower(m)
	}
	return "prefer"
}

// appTLSPolicy reads an app's DATABASE_URL the way its Node.js clients do:
// node-postgres (pg-connection-string 2.x), postgres.js (what OComms
// uses through Drizzle) and Prisma, which agree with libpq except where
// noted.
func appTLSPolicy(raw string) tlsPolicy {
	var q url.Values
	if u, err := url.Parse(raw); err == nil {
		q = u.Query()
	}
	mode := strings.ToLower(q.Get("sslmode"))
	ssl := strings.ToLower(q.Get("ssl"))
	switch mode {
	case "verify-full":
		return tlsPolicy{mode: mode, verified: true, note: "sslmode=verify-full: TLS required, certificate and host name verified"}
	case "verify-ca":
		return tlsPolicy{mode: mode, note: "sslmode=verify-ca: TLS required, the CA is checked but not the host name (node-postgres checks both)"}
	case "require":
		return tlsPolicy{mode: mode, note: "sslmode=require: TLS required but the certificate is not verified under libpq, Prisma and postgres.js, so an active attacker can impersonate the server (node-postgres verifies it)"}
	case "no-verify":
		return tlsPolicy{mode: mode, note: "sslmode=no-verify (node-postgres): TLS without certificate verification"}
	case "prefer", "allow":
		return tlsPolicy{mode: mode, plaintext: true, note: "sslmode=" + mode + ": libpq, Prisma and postgres.js fall back to plaintext when TLS fails, or when an attacker says the server has none (node-postgres treats it as verify-full)"}
	case "disable":
		return tlsPolicy{mode: mode, plaintext: true, note: "sslmode=disable: plaintext"}
	}
	switch ssl {
	case "true", "1", "require":
		return tlsPolicy{mode: "require", verified: true, note: "ssl=" + ssl + ": TLS required; node-postgres verifies the certificate (rejectUnauthorized defaults to true), Prisma ignores ssl="}
	}
	return tlsPolicy{plaintext: true, note: "no sslmode: node-postgres and postgres.js connect in plaintext, Prisma and libpq prefer TLS but fall back to plaintext"}
}
