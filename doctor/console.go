package doctor

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
)

// consoleExposure is one ocomms_console handler in the running config:
// where it answers and who it admits.
type consoleExposure struct {
	Server string   `json:"server"`
	Listen []string `json:"listen"`
	Prefix string   `json:"prefix"`
	Access string   `json:"access"`
	// BehindIPAllow is whether the same server runs ocomms_ip_allow.
	BehindIPAllow bool `json:"behind_ip_allow"`
}

// checkConsole reports where the operator console is exposed, from the
// HTTP servers of the running config: off (the default), on a loopback
// listener (access local), or on a site path for better-auth admins
// (access session), which should also sit behind ocomms_ip_allow.
func checkConsole(servers map[string]json.RawMessage) Result {
	const name = "console"
	var found []consoleExposure
	names := make([]string, 0, len(servers))
	for n := range servers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var srv struct {
			Listen []string `json:"listen"`
		}
		var tree any
		if json.Unmarshal(servers[n], &srv) != nil || json.Unmarshal(servers[n], &tree) != nil {
			continue
		}
		var consoles []map[string]any
		ipAllow := false
		walkHandlers(tree, func(h map[string]any) {
			switch h["handler"] {
			case "ocomms_console":
				consoles = append(consoles, h)
			case "ocomms_ip_allow":
				ipAllow = true
			}
		})
		for _, c := range consoles {
			e := consoleExposure{Server: n, Listen: srv.Listen, Prefix: "/ocomms/console", Access: "session", BehindIPAllow: ipAllow}
			if p, ok := c["prefix"].(string); ok && p != "" {
				e.Prefix = p
			}
			if a, ok := c["access"].(string); ok && a != "" {
				e.Access = a
			}
			found = append(found, e)
		}
	}
	if len(found) == 0 {
		return Result{Name: name, Status: Pass, Detail: "off: no ocomms_console in the config (the default)"}
	}
	res := Result{Name: name, Status: Pass, Data: map[string]any{"consoles": found}}
	var parts, fixes []string
	for _, e := range found {
		where := strings.Join(e.Listen, ",") + e.Prefix
		switch {
		case e.Access == "local" && !allLoopback(e.Listen):
			res.Status = worse(res.Status, Warn)
			parts = append(parts, fmt.Sprintf("%s (access local, but the server listens beyond loopback; it refuses non-loopback peers)", where))
			fixes = append(fixes, "bind the local console's site to 127.0.0.1 (`bind 127.0.0.1`) and reach it through an SSH tunnel")
		case e.Access == "local":
			parts = append(parts, where+" (access local: loopback only, through an SSH tunnel)")
		case !e.BehindIPAllow:
			res.Status = worse(res.Status, Warn)
			parts = append(parts, where+" (access session: better-auth admins, from any address)")
			fixes = append(fixes, "put ocomms_ip_allow in front of the console's path, so that only the operators' networks reach it")
		default:
			parts = append(parts, where+" (access session: better-auth admins, behind ocomms_ip_allow)")
		}
	}
	res.Detail = "exposed at " + strings.Join(parts, "; ")
	res.Fix = strings.Join(fixes, "; ")
	return res
}

// allLoopback reports whether every listen address binds a loopback host.
func allLoopback(listen []string) bool {
	if len(listen) == 0 {
		return false
	}
	for _, l := range listen {
		if i := strings.Index(l, "/"); i >= 0 && !strings.HasPrefix(l, "/") {
			l = l[i+1:] // tcp/127.0.0.1:2020
		}
		host, _, err := net.SplitHostPort(l)
		if err != nil {
			return false
		}
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return false
		}
	}
	return true
}
