package demoupstream

import (
	"net/http"
	"net/url"
	"strings"
)

// checkOrigin is better-auth's originCheck router middleware: a request
// that is not GET/HEAD/OPTIONS and carries any Cookie header must come
// from a trusted Origin (or Referer).
func (h *Handler) checkOrigin(r *http.Request) (apiError, bool) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return apiError{}, false
	}
	if _, ok := r.Header["Cookie"]; !ok {
		return apiError{}, false
	}
	return h.validateOrigin(r)
}

// checkFormCSRF is the extra check sign-in and sign-up run for requests
// without cookies: when any Sec-Fetch-* header is present, a cross-site
// navigation is refused and the Origin must be trusted.
func (h *Handler) checkFormCSRF(r *http.Request) (apiError, bool) {
	if _, ok := r.Header["Cookie"]; ok {
		return h.validateOrigin(r)
	}
	site := strings.TrimSpace(r.Header.Get("Sec-Fetch-Site"))
	mode := strings.TrimSpace(r.Header.Get("Sec-Fetch-Mode"))
	dest := strings.TrimSpace(r.Header.Get("Sec-Fetch-Dest"))
	if site == "" && mode == "" && dest == "" {
		return apiError{}, false
	}
	if site == "cross-site" && mode == "navigate" {
		return errCrossSiteNavigation, true
	}
	return h.validateOrigin(r)
}

// validateOrigin requires the Origin (or Referer) to be trusted.
func (h *Handler) validateOrigin(r *http.Request) (apiError, bool) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" || origin == "null" {
		return errMissingOrigin, true
	}
	if !h.trustedOrigin(r, origin) {
		return errInvalidOrigin, true
	}
	return apiError{}, false
}

// trustedOrigin reports whether the origin of a URL is in
// Options.TrustedOrigins or names the host the request was sent to (the
// stand-in for BETTER_AUTH_URL).
func (h *Handler) trustedOrigin(r *http.Request, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, t := range h.opts.TrustedOrigins {
		if strings.ToLower(strings.TrimSuffix(t, "/")) == origin {
			return true
		}
	}
	return strings.EqualFold(u.Host, r.Host)
}
