package headers

import (
	"fmt"
	"strconv"
	"strings"
)

// MinPreloadMaxAge is the smallest max-age the HSTS preload list accepts:
// one year, in seconds.
const MinPreloadMaxAge = 31536000

// HSTS is a parsed Strict-Transport-Security value.
type HSTS struct {
	MaxAge            int64
	IncludeSubDomains bool
	Preload           bool
}

// String serializes h in the canonical form.
func (h HSTS) String() string {
	s := "max-age=" + strconv.FormatInt(h.MaxAge, 10)
	if h.IncludeSubDomains {
		s += "; includeSubDomains"
	}
	if h.Preload {
		s += "; preload"
	}
	return s
}

// ParseHSTS parses and checks a Strict-Transport-Security value, including
// the preload list's rules when preload is present.
func ParseHSTS(v string) (HSTS, error) {
	var h HSTS
	sawMaxAge := false
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, hasVal := strings.Cut(part, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if !hasVal || err != nil || n < 0 {
				return h, fmt.Errorf("hsts: max-age must be a whole number of seconds, e.g. max-age=31536000")
			}
			h.MaxAge, sawMaxAge = n, true
		case "includesubdomains":
			h.IncludeSubDomains = true
		case "preload":
			h.Preload = true
		default:
			return h, fmt.Errorf("hsts: unknown directive %q: use max-age, includeSubDomains and preload", name)
		}
	}
	if !sawMaxAge {
		return h, fmt.Errorf("hsts: max-age is required, e.g. max-age=31536000; includeSubDomains")
	}
	if h.Preload {
		if !h.IncludeSubDomains {
			return h, fmt.Errorf("hsts: preload requires includeSubDomains (the preload list only accepts whole domains)")
		}
		if h.MaxAge < MinPreloadMaxAge {
			return h, fmt.Errorf("hsts: preload requires max-age of at least %d (one year), got %d", MinPreloadMaxAge, h.MaxAge)
		}
	}
	return h, nil
}
