package headers

import (
	"fmt"
	"sort"
)

// DefaultReportPath is where the built-in CSP report endpoint listens.
const DefaultReportPath = "/csp-report"

// DefaultReportGroup is the Reporting-Endpoints name used by report-to.
const DefaultReportGroup = "csp-endpoint"

// fingerprintHeaders are stripped by every preset: they tell an attacker
// what runs behind the edge.
var fingerprintHeaders = []string{"Server", "Via", "X-Powered-By", "X-Nextjs-*", "X-AspNet-Version", "X-AspNetMvc-Version"}

// Preset returns the named preset's options. Names: ocomms (the default),
// helmet, owasp, none.
func Preset(name string) (Options, error) {
	build, ok := presets[name]
	if !ok {
		return Options{}, fmt.Errorf("unknown headers preset %q: use one of %v", name, PresetNames())
	}
	return build(), nil
}

// PresetNames lists the presets in alphabetical order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var presets = map[string]func() Options{
	"ocomms": ocommsPreset,
	"helmet": helmetPreset,
	"owasp":  owaspPreset,
	"none": func() Options {
		return Options{Remove: append([]string(nil), fingerprintHeaders...), Inject: InjectOff}
	},
}

// ocommsPreset fits a Next.js 16 App Router + Socket.IO app such as OComms
// with no 'unsafe-inline' and no 'unsafe-eval' for scripts: scripts run only
// with this request's nonce or when loaded by a script that had it
// ('strict-dynamic'). The one inline allowance is CSS: OComms' toast
// library injects <style> elements at run time without a nonce, and React
// writes style="" attributes, so style-src-elem and style-src-attr allow
// inline CSS while style-src itself stays nonce-only.
func ocommsPreset() Options {
	return Options{
		CSP: CSP{
			{Name: "default-src", Sources: []string{"'none'"}},
			{Name: "script-src", Sources: []string{NonceToken, "'strict-dynamic'"}},
			{Name: "style-src", Sources: []string{"'self'", NonceToken}},
			{Name: "style-src-elem", Sources: []string{"'self'", "'unsafe-inline'"}},
			{Name: "style-src-attr", Sources: []string{"'unsafe-inline'"}},
			{Name: "img-src", Sources: []string{"'self'", "data:", "blob:"}},
			{Name: "font-src", Sources: []string{"'self'"}},
			{Name: "connect-src", Sources: []string{"'self'", "wss://" + HostToken}},
			{Name: "media-src", Sources: []string{"'self'", "blob:"}},
			{Name: "worker-src", Sources: []string{"'self'", "blob:"}},
			{Name: "manifest-src", Sources: []string{"'self'"}},
			{Name: "object-src", Sources: []string{"'none'"}},
			{Name: "base-uri", Sources: []string{"'none'"}},
			{Name: "form-action", Sources: []string{"'self'"}},
			{Name: "frame-ancestors", Sources: []string{"'none'"}},
			{Name: "upgrade-insecure-requests"},
			{Name: "report-uri", Sources: []string{DefaultReportPath}},
			{Name: "report-to", Sources: []string{DefaultReportGroup}},
		},
		HSTS: "max-age=31536000; includeSubDomains",
		Set: []Field{
			{Name: "X-Frame-Options", Value: "DENY"},
			{Name: "X-Content-Type-Options", Value: "nosniff"},
			{Name: "Referrer-Policy", Value: "strict-origin-when-cross-origin"},
			{Name: "Permissions-Policy", Value: "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), xr-spatial-tracking=(), fullscreen=(self), clipboard-write=(self)"},
			{Name: "Cross-Origin-Opener-Policy", Value: "same-origin"},
			{Name: "Cross-Origin-Resource-Policy", Value: "same-origin"},
			{Name: "Origin-Agent-Cluster", Value: "?1"},
			{Name: "X-Permitted-Cross-Domain-Policies", Value: "none"},
			{Name: "X-DNS-Prefetch-Control", Value: "off"},
		},
		Remove:        append([]string(nil), fingerprintHeaders...),
		ReportPath:    DefaultReportPath,
		ReportGroup:   DefaultReportGroup,
		Inject:        InjectPrerendered,
		HardenCookies: true,
	}
}

// helmetPreset reproduces the defaults of Helmet 8 (the Express security
// middleware) header for header.
func helmetPreset() Options {
	return Options{
		CSP: CSP{
			{Name: "default-src", Sources: []string{"'self'"}},
			{Name: "base-uri", Sources: []string{"'self'"}},
			{Name: "font-src", Sources: []string{"'self'", "https:", "data:"}},
			{Name: "form-action", Sources: []string{"'self'"}},
			{Name: "frame-ancestors", Sources: []string{"'self'"}},
			{Name: "img-src", Sources: []string{"'self'", "data:"}},
			{Name: "object-src", Sources: []string{"'none'"}},
			{Name: "script-src", Sources: []string{"'self'"}},
			{Name: "script-src-attr", Sources: []string{"'none'"}},
			{Name: "style-src", Sources: []string{"'self'", "https:", "'unsafe-inline'"}},
			{Name: "upgrade-insecure-requests"},
		},
		HSTS: "max-age=31536000; includeSubDomains",
		Set: []Field{
			{Name: "Cross-Origin-Opener-Policy", Value: "same-origin"},
			{Name: "Cross-Origin-Resource-Policy", Value: "same-origin"},
			{Name: "Origin-Agent-Cluster", Value: "?1"},
			{Name: "Referrer-Policy", Value: "no-referrer"},
			{Name: "X-Content-Type-Options", Value: "nosniff"},
			{Name: "X-Dns-Prefetch-Control", Value: "off"},
			{Name: "X-Download-Options", Value: "noopen"},
			{Name: "X-Frame-Options", Value: "SAMEORIGIN"},
			{Name: "X-Permitted-Cross-Domain-Policies", Value: "none"},
			{Name: "X-Xss-Protection", Value: "0"},
		},
		Remove: []string{"X-Powered-By"},
		Inject: InjectOff,
	}
}

// owaspPreset follows the OWASP Secure Headers Project's recommended set
// (ci/headers_add.json, 2024-09), minus Clear-Site-Data, which belongs on
// sign-out responses only.
func owaspPreset() Options {
	return Options{
		CSP: CSP{
			{Name: "default-src", Sources: []string{"'self'"}},
			{Name: "form-action", Sources: []string{"'self'"}},
			{Name: "object-src", Sources: []string{"'none'"}},
			{Name: "frame-ancestors", Sources: []string{"'none'"}},
			{Name: "upgrade-insecure-requests"},
			{Name: "block-all-mixed-content"},
		},
		HSTS: "max-age=31536000; includeSubDomains",
		Set: []Field{
			{Name: "Cache-Control", Value: "no-store, max-age=0"},
			{Name: "Cross-Origin-Embedder-Policy", Value: "require-corp"},
			{Name: "Cross-Origin-Opener-Policy", Value: "same-origin"},
			{Name: "Cross-Origin-Resource-Policy", Value: "same-origin"},
			{Name: "Permissions-Policy", Value: "accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), keyboard-map=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), web-share=(), xr-spatial-tracking=()"},
			{Name: "Referrer-Policy", Value: "no-referrer"},
			{Name: "X-Content-Type-Options", Value: "nosniff"},
			{Name: "X-Frame-Options", Value: "DENY"},
			{Name: "X-Permitted-Cross-Domain-Policies", Value: "none"},
		},
		Remove: append([]string(nil), fingerprintHeaders...),
		Inject: InjectOff,
	}
}
