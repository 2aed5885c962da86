package adminaction

import (
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/internal/routepath"
	"github.com/ocomms/ocomms-edge/secevent"
)

// AdminAction is one request the edge recognised as an administrative or
// privileged action, with the target the request names (if any).
type AdminAction struct {
	// Resource is a stable label: "organization.<endpoint>" for
	// better-auth organization endpoints, "admin.<route>" for /api/admin/*
	// and "server_action" for Next.js server actions.
	Resource string
	// ServerAction is the Next-Action id (an opaque build hash).
	ServerAction string
	// TargetUser is the member or user id the request acts on.
	TargetUser string
	// TargetEmail is the email the request acts on (invitations, removal
	// by email), lower-cased.
	TargetEmail string
	// OrganizationID is the organization the request names.
	OrganizationID string
	// Role is the role the request grants.
	Role string
	// InvitationID is the invitation the request names.
	InvitationID string
}

// organizationReads are the better-auth organization endpoints that change
// nothing (or only the caller's own session), so they are not admin actions.
var organizationReads = map[string]bool{
	"check-slug":              true,
	"set-active":              true,
	"get-full-organization":   true,
	"list":                    true,
	"list-invitations":        true,
	"list-user-invitations":   true,
	"get-invitation":          true,
	"list-members":            true,
	"get-active-member":       true,
	"get-active-member-role":  true,
	"has-permission":          true,
	"list-teams":              true,
	"list-team-members":       true,
	"list-user-teams":         true,
	"list-roles":              true,
	"get-role":                true,
	"set-active-team":         true,
	"check-organization-slug": true,
}

// AdminPaths recognises admin actions: state-changing better-auth
// organization endpoints (/api/auth/organization/*), everything under
// /api/admin/, and Next.js server actions (a POST with a Next-Action header)
// on the configured admin page paths.
type AdminPaths struct {
	// AuthBase is better-auth's base path. Default: /api/auth.
	AuthBase string
	// AdminBase is the app's admin API prefix. Default: /api/admin.
	AdminBase string
	// Pages are the page paths whose server actions are admin actions:
	// an exact path, or a prefix ending in "*" (e.g. /admin*,
	// /*/settings*: "*" inside a pattern matches one path segment).
	// Default: none.
	Pages []string
}

// Match reports whether r is an admin action and, when it is, the
// resource label. It reads no body.
func (p AdminPaths) Match(r *http.Request) (AdminAction, bool) {
	return p.compile().match(r)
}

// adminMatcher is AdminPaths with its prefixes built once.
type adminMatcher struct {
	orgPrefix   string
	adminPrefix string
	pages       []string
}

func (p AdminPaths) compile() adminMatcher {
	authBase := p.AuthBase
	if authBase == "" {
		authBase = "/api/auth"
	}
	adminBase := p.AdminBase
	if adminBase == "" {
		adminBase = "/api/admin"
	}
	return adminMatcher{
		orgPrefix:   strings.TrimSuffix(authBase, "/") + "/organization/",
		adminPrefix: strings.TrimSuffix(adminBase, "/") + "/",
		pages:       p.Pages,
	}
}

func (m adminMatcher) match(r *http.Request) (AdminAction, bool) {
	if r.Method == http.MethodOptions || r.Method == http.MethodHead {
		return AdminAction{}, false
	}
	upath := r.URL.Path
	if routepath.NeedsClean(upath) {
		upath = routepath.Clean(upath)
	}
	if rest, ok := strings.CutPrefix(upath, m.orgPrefix); ok {
		if r.Method == http.MethodGet || organizationReads[rest] || rest == "" {
			return AdminAction{}, false
		}
		return AdminAction{Resource: "organization." + adminLabel(rest)}, true
	}
	if rest, ok := strings.CutPrefix(upath, m.adminPrefix); ok && rest != "" {
		return AdminAction{Resource: "admin." + adminLabel(rest)}, true
	}
	if r.Method == http.MethodPost && len(m.pages) > 0 {
		if id := r.Header.Get("Next-Action"); id != "" && m.matchPage(upath) {
			return AdminAction{Resource: "server_action", ServerAction: adminLabel(id)}, true
		}
	}
	return AdminAction{}, false
}

func (m adminMatcher) matchPage(upath string) bool {
	for _, pat := range m.pages {
		if adminPathMatch(pat, upath) {
			return true
		}
	}
	return false
}

// adminPathMatch matches pattern segment by segment: "*" is one segment,
// and a trailing "*" on the last segment makes the rest a prefix.
func adminPathMatch(pattern, upath string) bool {
	if pattern == "*" || pattern == "/*" {
		return true
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	us := strings.Split(strings.Trim(upath, "/"), "/")
	for i, seg := range ps {
		last := i == len(ps)-1
		if last && strings.HasSuffix(seg, "*") {
			return i < len(us) && strings.HasPrefix(us[i], strings.TrimSuffix(seg, "*"))
		}
		if i >= len(us) {
			return false
		}
		if seg != "*" && seg != us[i] {
			return false
		}
	}
	return len(us) == len(ps)
}

// maxLabel bounds labels taken from the request (path rests, action ids).
const maxLabel = 80

// maxField bounds target fields taken from a body (an email is at most
// 254 bytes).
const maxField = 256

// adminLabel keeps a label short and printable.
func adminLabel(s string) string { return secevent.Printable(s, maxLabel) }

// adminField keeps a target field bounded and printable.
func adminField(s string) string { return secevent.Printable(s, maxField) }
