package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// readFile reads a file of the repository.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pinnedCaddy is the Caddy version of xcaddy.json.
func pinnedCaddy(t *testing.T) string {
	t.Helper()
	var pin struct {
		CaddyVersion string `json:"caddy_version"`
	}
	if err := json.Unmarshal(readFile(t, "../xcaddy.json"), &pin); err != nil || pin.CaddyVersion == "" {
		t.Fatalf("xcaddy.json: %v", err)
	}
	return pin.CaddyVersion
}

// TestDockerfileFollowsThePins: the image builds the Caddy version of
// xcaddy.json with a pinned xcaddy, ships Caddyfile.example, declares the
// three volumes, drops root and health-checks with the doctor.
func TestDockerfileFollowsThePins(t *testing.T) {
	df := string(readFile(t, "../Dockerfile"))
	arg := func(name string) string {
		m := regexp.MustCompile(`(?m)^ARG ` + name + `=(\S+)$`).FindStringSubmatch(df)
		if m == nil {
			t.Fatalf("Dockerfile: no ARG %s=…", name)
		}
		return m[1]
	}
	if got, want := "v"+arg("CADDY_VERSION"), pinnedCaddy(t); got != want {
		t.Errorf("Dockerfile builds Caddy %s, xcaddy.json pins %s", got, want)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(arg("XCADDY_VERSION")) {
		t.Errorf("xcaddy not pinned to a release: %s", arg("XCADDY_VERSION"))
	}
	for _, want := range []string{
		"xcaddy build v${CADDY_VERSION}",
		"--with github.com/ocomms/ocomms-edge/caddymodule",
		"--replace github.com/ocomms/ocomms-edge=/src",
		"FROM caddy:${CADDY_VERSION}-alpine",
		"COPY Caddyfile.example /etc/caddy/Caddyfile",
		`VOLUME ["/data", "/config", "/var/lib/ocomms"]`,
		"USER ocomms",
		`HEALTHCHECK`,
		`"ocomms-caddy", "ocomms", "doctor"`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestComposeExampleReplacesNginx: the compose snippet parses and has what
// the nginx-certbot service had: ports 80/443, certificate storage, the
// app behind it.
func TestComposeExampleReplacesNginx(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(readFile(t, "../docker-compose.example.yml"), &c); err != nil {
		t.Fatalf("docker-compose.example.yml: %v", err)
	}
	edge, ok := c.Services["edge"]
	if !ok {
		t.Fatal("no edge service")
	}
	for _, p := range []string{"80:80", "443:443", "443:443/udp"} {
		if !contains(edge.Ports, p) {
			t.Errorf("port %s not published", p)
		}
	}
	for _, v := range []string{"edge_data:/data", "edge_config:/config", "edge_audit:/var/lib/ocomms"} {
		if !contains(edge.Volumes, v) {
			t.Errorf("volume %s missing", v)
		}
		if _, ok := c.Volumes[strings.Split(v, ":")[0]]; !ok {
			t.Errorf("volume %s not declared", v)
		}
	}
	if edge.Environment["OCOMMS_UPSTREAM"] != "app:3000" || edge.Environment["OCOMMS_SITE"] == "" {
		t.Errorf("environment: %v", edge.Environment)
	}
	if _, ok := edge.DependsOn["app"]; !ok {
		t.Error("edge does not depend on app")
	}
}

// TestPrometheusAlerts: the rules parse, every alert is complete, and the
// edge's metric names are the ones it exports (caddymodule's
// TestAuditStatsThroughAdminMetricsAndDoctor reads the audit series off a
// running edge's /metrics).
// With promtool on PATH (or OCOMMS_PROMTOOL), `promtool check rules` too.
func TestPrometheusAlerts(t *testing.T) {
	const path = "../deploy/prometheus-alerts.yml"
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, path), &rules); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	known := map[string]bool{
		// exported by caddymodule/ratelimit_metrics.go and internal/modkit/metrics.go
		"ocomms_rate_limit_requests_total": true, "ocomms_rate_limit_store_fallback": true, "ocomms_rate_limit_store_state_changes_total": true,
		// exported by caddymodule/auditmod/audit_stats.go and audit_metrics.go
		"ocomms_audit_spool_bytes": true, "ocomms_audit_queue_depth": true, "ocomms_audit_dropped_total": true, "ocomms_audit_sink_errors_total": true,
		"ocomms_audit_sink_lag": true, "ocomms_audit_backlog": true, "ocomms_audit_events_dropped_total": true,
	}
	metric := regexp.MustCompile(`\bocomms_[a-z_]+\b`)
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("group %s: incomplete rule %+v", g.Name, r)
			}
			alerts[r.Alert] = true
			for _, m := range metric.FindAllString(r.Expr, -1) {
				if !known[m] {
					t.Errorf("%s uses unknown metric %s", r.Alert, m)
				}
			}
		}
	}
	for _, a := range []string{"OcommsRateLimitStoreFallback", "OcommsAuditSinkBehind", "OcommsCertificateExpiresSoon"} {
		if !alerts[a] {
			t.Errorf("alert %s missing", a)
		}
	}
	promtool := os.Getenv("OCOMMS_PROMTOOL")
	if promtool == "" {
		promtool, _ = exec.LookPath("promtool")
	}
	if promtool == "" {
		t.Log("promtool not found (apt-get download prometheus; dpkg-deb -x …); YAML checks only")
		return
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestXcaddyBuild runs scripts/xcaddy-check.sh, the Dockerfile's build
// step without Docker, when OCOMMS_XCADDY_CHECK=1 (it takes minutes).
func TestXcaddyBuild(t *testing.T) {
	if os.Getenv("OCOMMS_XCADDY_CHECK") != "1" {
		t.Skip("set OCOMMS_XCADDY_CHECK=1 to build with xcaddy (minutes)")
	}
	cmd := exec.Command("./scripts/xcaddy-check.sh")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "xcaddy-check: OK") {
		t.Fatalf("xcaddy-check: %v\n%s", err, out)
	}
	t.Logf("%s", out[max(0, len(out)-400):])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
