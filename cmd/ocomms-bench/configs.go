package main

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/ocomms/ocomms-edge/internal/stockheader"
)

// edgeModule is an ocomms handler and the Caddyfile line that turns it on
// with embedded defaults. The bench includes each one the binary registers
// (ocomms-caddy list-modules), so directives merged later join the run.
type edgeModule struct {
	id   string
	line string
}

// edgeModules are the edge's handlers in directive order. {UP} is the
// upstream's address.
var edgeModules = []edgeModule{
	{"http.handlers.ocomms_headers", "ocomms_headers ocomms"},
	// As Caddyfile.example has them; the load's client addresses are all
	// in 10.0.0.0/8.
	{"http.handlers.ocomms_ip_allow", "ocomms_ip_allow {\n\t\tpreset ocomms\n\t\tallow 10.0.0.0/8\n\t}"},
	{"http.handlers.ocomms_origin", "ocomms_origin"},
	{"http.handlers.ocomms_auth_guard", "ocomms_auth_guard"},
	{"http.handlers.ocomms_rate_limit", "ocomms_rate_limit ocomms"},
	{"http.handlers.ocomms_audit", "ocomms_audit {\n\t\tsession_url http://{UP}/api/auth/get-session\n\t}"},
}

// auditModule is the handler whose presence means the ocomms app also
// takes an audit block (with PostgreSQL).
const auditModule = "http.handlers.ocomms_audit"

// listModules returns the module IDs the binary registers.
func listModules(bin string) (map[string]bool, error) {
	out, err := exec.Command(bin, "list-modules").Output()
	if err != nil {
		return nil, fmt.Errorf("%s list-modules: %w", bin, err)
	}
	mods := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		mods[l] = true
	}
	return mods, nil
}

// config is one Caddy configuration under test.
type config struct {
	name    string
	global  string // lines inside the global options block
	site    string // lines inside the site block before reverse_proxy
	modules []string
	note    string
	// admin is the admin API's port (for /debug/pprof), 0 for none.
	admin int
}

// buildConfigs returns the configurations for a binary's modules.
// redisURL and pgURL are empty when those services are not available.
func buildConfigs(mods map[string]bool, redisURL, pgURL, auditDir string) ([]config, error) {
	hdr, err := stockheader.Block()
	if err != nil {
		return nil, err
	}
	var lines, names []string
	for _, m := range edgeModules {
		if mods[m.id] {
			lines = append(lines, m.line)
			names = append(names, strings.TrimPrefix(m.id, "http.handlers."))
		}
	}
	edgeSite := strings.Join(lines, "\n\t")
	base := "ocomms {\n\t\tsecret bench-secret-not-for-production\n"
	embedded := base
	if mods[auditModule] {
		embedded += "\t\taudit {\n\t\t\tjsonl " + auditDir + "/embedded\n\t\t}\n"
	}
	embedded += "\t}"
	cfgs := []config{
		{name: "stock", note: "reverse_proxy only"},
		{name: "stock+header", site: hdr, note: "hand-written header block, fixed CSP"},
		{name: "edge", global: embedded, site: edgeSite, modules: names, note: "embedded defaults (memory)"},
	}
	if redisURL != "" {
		shared := base + "\t\tredis " + redisURL + "\n"
		note := "Redis (test-owned redis-server)"
		if mods[auditModule] && pgURL != "" {
			shared += "\t\taudit {\n\t\t\tjsonl " + auditDir + "/shared\n\t\t\tpostgres " + pgURL + "\n\t\t}\n"
			note += " + PostgreSQL audit sink"
		} else if mods[auditModule] {
			note += "; PostgreSQL unreachable, audit to files only"
		} else {
			note += "; no module of this build uses PostgreSQL"
		}
		shared += "\t}"
		cfgs = append(cfgs, config{name: "edge+redis+pg", global: shared, site: edgeSite, modules: names, note: note})
	}
	if mods["http.handlers.ocomms_rate_limit"] {
		cfgs = append(cfgs, config{name: "ratelimit", global: base + "\t}", site: "ocomms_rate_limit ocomms",
			modules: []string{"ocomms_rate_limit"}, note: "the rate limiter alone, ocomms preset (memory)"})
	}
	return cfgs, nil
}

// caddyfile renders a configuration listening on port in front of up.
func (c config) caddyfile(port int, up string) string {
	site := strings.ReplaceAll(c.site, "{UP}", up)
	admin := "admin off"
	if c.admin != 0 {
		admin = fmt.Sprintf("admin 127.0.0.1:%d", c.admin)
	}
	return fmt.Sprintf(`{
	%s
	auto_https off
	persist_config off
	servers {
		trusted_proxies static 127.0.0.1/32
		trusted_proxies_strict
		client_ip_headers X-Forwarded-For
	}
	%s
}
http://127.0.0.1:%d {
	%s
	reverse_proxy %s {
		header_up X-Forwarded-For {client_ip}
		header_up X-Real-IP {client_ip}
		flush_interval -1
	}
}
`, admin, c.global, port, site, up)
}

// selectConfigs keeps the configurations named in list (comma-separated),
// in their usual order; an empty list keeps all. stock must be among them:
// every ratio in the report is taken against it.
func selectConfigs(cfgs []config, list string) ([]config, error) {
	if list == "" {
		return cfgs, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var out []config
	for _, c := range cfgs {
		if want[c.name] {
			out = append(out, c)
			delete(want, c.name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("-configs: no configuration %q in this build (have stock, stock+header, edge, edge+redis+pg, ratelimit)", n)
	}
	if len(out) == 0 || out[0].name != "stock" {
		return nil, fmt.Errorf("-configs %q: include stock, which every ratio is taken against", list)
	}
	return out, nil
}
