package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ocomms/ocomms-edge/ipallow"
	"github.com/ocomms/ocomms-edge/origin"
)

// The access checks judge the running configuration (from the admin API)
// of the admin IP allowlist (SEC-10), the server's trusted proxies and the
// Origin policy (SEC-11). They warn; none fails a run.

const (
	fixAllowlist = "set OCOMMS_ADMIN_ALLOW to the networks administrators work from (comma-separated CIDRs, e.g. 10.0.0.0/8,2001:db8::/32), " +
		"which Caddyfile.example passes to `ocomms_ip_allow { preset ocomms; allow … }`"
	fixProxies = "list only the load balancers' or CDN's own ranges in OCOMMS_TRUSTED_PROXIES (servers { trusted_proxies static … }) " +
		"and keep trusted_proxies_strict, so the client IP is the right-most address that is not a proxy"
	fixOrigins = "keep BETTER_AUTH_URL's origin the site's (https://<OCOMMS_SITE>), or add it and every BETTER_AUTH_TRUSTED_ORIGINS entry " +
		"browsers use to OCOMMS_ALLOWED_ORIGINS (ocomms_origin { allow … })"
)

// stringsOf reads a JSON array of strings.
func stringsOf(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkAccess runs the access checks against the admin API's config.
func checkAccess(ctx context.Context, opts Options, s site) []Result {
	names := []string{"admin allowlist", "trusted proxies", "allowed origins"}
	skipAll := func(why string) []Result {
		out := make([]Result, len(names))
		for i, n := range names {
			out[i] = skipped(n, why)
		}
		return out
	}
	if opts.Admin == "" {
		return skipAll("no --admin address to read the configuration from")
	}
	var cfg any
	if _, err := adminGet(ctx, opts, "/config/", &cfg); err != nil {
		return skipAll("admin API unreachable (" + err.Error() + ")")
	}
	return []Result{
		judgeAllowlist(cfg),
		judgeTrustedProxies(cfg),
		judgeOrigins(cfg, s, opts.BetterAuthURL, opts.BetterAuthTrustedOrigins),
	}
}

// judgeAllowlist warns when no ocomms_ip_allow protects the admin routes,
// when its list is empty (off) or lets every address in.
func judgeAllowlist(cfg any) Result {
	const name = "admin allowlist"
	hs := handlersNamed(cfg, "ocomms_ip_allow")
	if len(hs) == 0 {
		return Result{Name: name, Status: Warn, Fix: fixAllowlist,
			Detail: "no ocomms_ip_allow: /api/admin/ and the admin server actions answer any address"}
	}
	var all []string
	for _, h := range hs {
		entries := stringsOf(h["allow"])
		list, err := ipallow.ParseList(entries...)
		if err != nil {
			return Result{Name: name, Status: Warn, Detail: err.Error(), Fix: fixAllowlist}
		}
		if list.Len() == 0 {
			return Result{Name: name, Status: Warn, Fix: fixAllowlist,
				Detail: "ocomms_ip_allow is off (empty allow list): administrative requests are allowed from any address"}
		}
		if every := list.Everyone(); len(every) > 0 {
			return Result{Name: name, Status: Warn, Fix: fixAllowlist, Data: map[string]any{"allow": list.String()},
				Detail: fmt.Sprintf("the allow list contains %s: every address of that family passes", every[0])}
		}
		all = append(all, list.String())
	}
	return Result{Name: name, Status: Pass, Detail: "admin requests only from " + strings.Join(all, "; "),
		Data: map[string]any{"allow": all}}
}

// judgeTrustedProxies warns when a server trusts proxies so wide that any
// client can be one (and so choose its address in X-Forwarded-For), or
// trusts proxies without strict mode (the left-most, client-written entry
// is then the client IP).
func judgeTrustedProxies(cfg any) Result {
	const name = "trusted proxies"
	root, _ := cfg.(map[string]any)
	apps, _ := root["apps"].(map[string]any)
	httpApp, _ := apps["http"].(map[string]any)
	servers, _ := httpApp["servers"].(map[string]any)
	var notes []string
	status := Pass
	trusting := 0
	for srvName, v := range servers {
		srv, _ := v.(map[string]any)
		tp, _ := srv["trusted_proxies"].(map[string]any)
		ranges := stringsOf(tp["ranges"])
		if len(ranges) == 0 {
			continue
		}
		trusting++
		for _, r := range ranges {
			p, err := netip.ParsePrefix(r)
			if err != nil {
				a, aerr := netip.ParseAddr(r)
				if aerr != nil {
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
			if p.Bits() == 0 || (p.Addr().Is4() && p.Bits() < 8) || (p.Addr().Is6() && p.Bits() < 16) {
				status = Warn
				notes = append(notes, fmt.Sprintf("server %s trusts %s as proxies: any client there can write its own address in X-Forwarded-For and pass the admin allowlist", srvName, p))
			}
		}
		if strict, _ := srv["trusted_proxies_strict"].(bool); !strict {
			status = Warn
			notes = append(notes, fmt.Sprintf("server %s trusts proxies without trusted_proxies_strict: the client IP is the left-most X-Forwarded-For entry, which the client writes", srvName))
		}
	}
	switch {
	case len(notes) > 0:
		slices.Sort(notes)
		return Result{Name: name, Status: status, Detail: strings.Join(notes, "; "), Fix: fixProxies}
	case trusting == 0:
		return Result{Name: name, Status: Pass, Detail: "no trusted proxies: the client IP is the TCP peer"}
	}
	return Result{Name: name, Status: Pass, Detail: "trusted proxies are narrow and strict mode is on"}
}

// judgeOrigins checks the Origin policy exists and agrees with
// better-auth's idea of the site: BETTER_AUTH_URL's origin is the site's
// or listed, and every BETTER_AUTH_TRUSTED_ORIGINS entry is allowed.
func judgeOrigins(cfg any, s site, betterAuthURL, trusted string) Result {
	const name = "allowed origins"
	hs := handlersNamed(cfg, "ocomms_origin")
	if len(hs) == 0 {
		return Result{Name: name, Status: Warn, Fix: "add ocomms_origin to the site (Caddyfile.example has it)",
			Detail: "no ocomms_origin: any origin can open the chat socket with the user's cookies (cross-site websocket hijacking)"}
	}
	siteOrigin, err := origin.Parse(s.base.String())
	if err != nil {
		return Result{Name: name, Status: Warn, Detail: "the site URL is not an origin: " + err.Error(), Fix: fixOrigins}
	}
	allowed := []string{siteOrigin}
	for _, h := range hs {
		for _, e := range stringsOf(h["allow"]) {
			c, err := origin.ParseAllowed(e)
			if err != nil {
				return Result{Name: name, Status: Warn, Detail: err.Error(), Fix: fixOrigins}
			}
			if !slices.Contains(allowed, c) {
				allowed = append(allowed, c)
			}
		}
	}
	data := map[string]any{"allowed": allowed}
	var problems []string
	if betterAuthURL != "" {
		bo, err := origin.Parse(originOf(betterAuthURL))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("BETTER_AUTH_URL %q has no origin: %v", betterAuthURL, err))
		case bo != siteOrigin && !slices.Contains(allowed, bo):
			problems = append(problems, fmt.Sprintf("BETTER_AUTH_URL's origin %s is neither the site's (%s) nor allowed by the edge: "+
				"better-auth trusts it, the edge refuses its cookie-carrying requests and its socket", bo, siteOrigin))
		case bo != siteOrigin:
			problems = append(problems, fmt.Sprintf("BETTER_AUTH_URL's origin %s is not the site's (%s): better-auth refuses "+
				"sign-ins from the site unless BETTER_AUTH_TRUSTED_ORIGINS lists it", bo, siteOrigin))
		}
		data["better_auth_origin"] = bo
	}
	for _, t := range strings.FieldsFunc(trusted, func(r rune) bool { return r == ',' || r == ' ' }) {
		to, err := origin.Parse(originOf(t))
		if err != nil || slices.Contains(allowed, to) {
			continue
		}
		problems = append(problems, fmt.Sprintf("BETTER_AUTH_TRUSTED_ORIGINS lists %s, which the edge refuses", to))
	}
	if len(problems) > 0 {
		return Result{Name: name, Status: Warn, Detail: strings.Join(problems, "; "), Fix: fixOrigins, Data: data}
	}
	detail := "allowed: " + strings.Join(allowed, ", ")
	if betterAuthURL == "" {
		detail += " (BETTER_AUTH_URL not given: pass --better-auth-url to compare)"
	}
	return Result{Name: name, Status: Pass, Detail: detail, Data: data}
}

// originOf trims a URL to scheme://host[:port].
func originOf(u string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(u), "://")
	if !ok {
		return u
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}
