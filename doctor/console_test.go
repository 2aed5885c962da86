package doctor

import (
	"encoding/json"
	"strings"
	"testing"
)

func consoleServers(t *testing.T, js string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The console check says where the console answers and warns on a site
// console without ocomms_ip_allow and on a local console beyond loopback.
func TestCheckConsole(t *testing.T) {
	site := func(extra string) string {
		return `{"srv0":{"listen":[":443"],"routes":[{"handle":[{"handler":"subroute","routes":[{"handle":[` + extra +
			`{"handler":"ocomms_console","prefix":"/ops/console","session_url":"http://app:3000/api/auth/get-session"},{"handler":"reverse_proxy"}]}]}]}]}}`
	}
	for _, tt := range []struct {
		name, servers string
		status        Status
		detail, fix   string
	}{
		{"off", `{"srv0":{"listen":[":443"],"routes":[{"handle":[{"handler":"reverse_proxy"}]}]}}`, Pass, "off", ""},
		{"site without allowlist", site(""), Warn, ":443/ops/console (access session: better-auth admins, from any address)", "ocomms_ip_allow"},
		{"site behind allowlist", site(`{"handler":"ocomms_ip_allow","allow":["10.0.0.0/8"]},`), Pass, "behind ocomms_ip_allow", ""},
		{"local on loopback", `{"srv1":{"listen":["127.0.0.1:2020","[::1]:2020"],"routes":[{"handle":[{"handler":"ocomms_console","access":"local"}]}]}}`, Pass, "127.0.0.1:2020,[::1]:2020/ocomms/console (access local", ""},
		{"local everywhere", `{"srv1":{"listen":[":2020"],"routes":[{"handle":[{"handler":"ocomms_console","access":"local"}]}]}}`, Warn, "beyond loopback", "bind 127.0.0.1"},
	} {
		r := checkConsole(consoleServers(t, tt.servers))
		if r.Name != "console" || r.Status != tt.status || !strings.Contains(r.Detail, tt.detail) || (tt.fix == "") != (r.Fix == "") || !strings.Contains(r.Fix, tt.fix) {
			t.Errorf("%s: %+v", tt.name, r)
		}
		if strings.Contains(r.Detail, "app:3000") {
			t.Errorf("%s: the session URL is in the detail: %s", tt.name, r.Detail)
		}
	}
}

func TestAllLoopback(t *testing.T) {
	for l, want := range map[string]bool{"127.0.0.1:2020": true, "tcp/127.0.0.1:2020": true, "[::1]:1": true, "localhost:2020": true, ":2020": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "unix//run/x.sock": false} {
		if got := allLoopback([]string{l}); got != want {
			t.Errorf("%s: %v", l, got)
		}
	}
	if allLoopback(nil) {
		t.Error("no listener counted as loopback")
	}
}
