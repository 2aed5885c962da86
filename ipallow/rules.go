package ipallow

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/internal/routepath"
)

// Rules say which requests are administrative. A request matches when its
// path is one of Paths or below it, or when it may invoke a Next.js server
// action on a page matching one of ActionPages: any request to such a
// page other than GET, HEAD and OPTIONS. (Next.js runs an action for a
// POST carrying a Next-Action header, and also for a form POST,
// multipart or urlencoded, naming the action in a $ACTION_ID_ field, which
// any client can send; pages themselves are only ever fetched.) Paths are compared ignoring case, after cleaning "//",
// "/./", "/../" and backslashes, so no spelling the app's router might
// still route slips past. Empty Rules match every request (the handler's
// matcher then says what is protected).
type Rules struct {
	// Paths are path prefixes: the path itself and everything below it,
	// e.g. /api/admin matches /api/admin and /api/admin/export.
	Paths []string
	// ActionPages are page path patterns whose server actions are
	// administrative: "*" is one path segment, and a trailing "*" on the
	// last segment makes it a prefix (/*/settings/members*).
	ActionPages []string
	// ActionIDs are server action ids (Next-Action values, from the
	// build's manifest: ActionIDsFromManifest) that are administrative on
	// whatever page they are posted to: Next.js forwards an action posted
	// to another page to a worker that has it.
	ActionIDs []string
}

// AdminServerActions are OComms' server actions that only administrators
// may call, with the page each is invoked from. The edge cannot see an
// action's name (Next-Action carries an opaque build hash), only the page
// it is posted to, so the preset protects those pages' server actions.
var AdminServerActions = []struct{ Name, Source, Page string }{
	{"adminUnlockUser", "src/lib/actions/admin.ts (OComms v0.2.0)", "/<workspace>/settings/members"},
}

// Preset returns a named rule set. "ocomms" protects OComms' admin API
// (/api/admin/: export, audit-logs), better-auth's admin plugin endpoints
// (/api/auth/admin/, when the plugin is mounted) and the server actions of
// the workspace settings pages that administer members and the workspace
// (/*/settings/members*, /*/settings/admin*; see AdminServerActions).
func Preset(name string) (Rules, error) {
	switch name {
	case "ocomms":
		return Rules{
			Paths:       []string{"/api/admin", "/api/auth/admin"},
			ActionPages: []string{"/*/settings/members*", "/*/settings/admin*"},
		}, nil
	}
	return Rules{}, fmt.Errorf("ipallow: unknown preset %q: use ocomms", name)
}

// Merge returns the union of r and o.
func (r Rules) Merge(o Rules) Rules {
	return Rules{
		Paths:       append(append([]string(nil), r.Paths...), o.Paths...),
		ActionPages: append(append([]string(nil), r.ActionPages...), o.ActionPages...),
		ActionIDs:   append(append([]string(nil), r.ActionIDs...), o.ActionIDs...),
	}
}

// Empty reports whether r has no rule (so every request matches).
func (r Rules) Empty() bool {
	return len(r.Paths) == 0 && len(r.ActionPages) == 0 && len(r.ActionIDs) == 0
}

// validate checks every path and pattern starts with "/".
func (r Rules) validate() error {
	for _, p := range r.Paths {
		if !strings.HasPrefix(p, "/") || p == "/" {
			return fmt.Errorf("ipallow: path %q: want a path prefix such as /api/admin", p)
		}
	}
	for _, p := range r.ActionPages {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("ipallow: server action page %q: want a page path such as /*/settings/members*", p)
		}
	}
	return nil
}

// compiled is Rules ready for matching: paths without trailing slashes,
// patterns split into segments once.
type compiled struct {
	all       bool
	paths     []string
	pages     [][]string
	pageNames []string
	actionIDs []string
}

func (r Rules) compile() (compiled, error) {
	if err := r.validate(); err != nil {
		return compiled{}, err
	}
	c := compiled{all: r.Empty(), actionIDs: r.ActionIDs}
	for _, p := range r.Paths {
		c.paths = append(c.paths, strings.TrimRight(p, "/"))
	}
	for _, p := range r.ActionPages {
		c.pages = append(c.pages, strings.Split(strings.Trim(p, "/"), "/"))
		c.pageNames = append(c.pageNames, p)
	}
	return c, nil
}

// Match kinds, the "rule" of a refusal.
const (
	RuleAll          = "all"
	RulePath         = "path"
	RuleServerAction = "server_action"
)

// match returns the kind of rule r matches and the rule's text, or ""
// when none does. The common case (a clean path outside every rule, no
// page path) does not allocate.
func (c *compiled) match(r *http.Request) (kind, rule string) {
	if c.all {
		return RuleAll, ""
	}
	p := r.URL.Path
	if routepath.NeedsClean(p) {
		p = routepath.Clean(p)
	}
	for _, prefix := range c.paths {
		if routepath.Under(p, prefix) {
			return RulePath, prefix
		}
	}
	if len(c.actionIDs) > 0 && r.Method == http.MethodPost {
		if id := r.Header.Get("Next-Action"); id != "" {
			for _, a := range c.actionIDs {
				if id == a {
					return RuleServerAction, a
				}
			}
		}
	}
	if len(c.pages) > 0 && r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
		for i, segs := range c.pages {
			if pageMatch(segs, p) {
				return RuleServerAction, c.pageNames[i]
			}
		}
	}
	return "", ""
}

// pageMatch matches a path against a pattern's segments, ignoring case:
// "*" is one segment; a trailing "*" on the last segment makes the rest a
// prefix of that segment (and anything below it). It does not allocate.
func pageMatch(segs []string, p string) bool {
	rest := strings.Trim(p, "/")
	for i, seg := range segs {
		var cur string
		cur, rest, _ = strings.Cut(rest, "/")
		last := i == len(segs)-1
		if last && strings.HasSuffix(seg, "*") && seg != "*" {
			pre := seg[:len(seg)-1]
			return len(cur) >= len(pre) && strings.EqualFold(cur[:len(pre)], pre)
		}
		if cur == "" {
			return false
		}
		if seg != "*" && !strings.EqualFold(seg, cur) {
			return false
		}
		if last {
			return rest == ""
		}
	}
	return false
}
