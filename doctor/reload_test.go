package doctor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckReloadSockets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sysctl is Linux's")
	}
	dir := t.TempDir()
	old := migrateReqPath
	t.Cleanup(func() { migrateReqPath = old })
	cases := []struct {
		admin, content string // content "" means no such file
		want           Status
		fix            bool
	}{
		{"localhost:2019", "1\n", Pass, false},
		{"127.0.0.1:2019", "0\n", Warn, true},
		{"http://[::1]:2019", "0\n", Warn, true},
		{"localhost:2019", "", Skip, false},
		{"edge.internal:2019", "0\n", Skip, false},
		{"10.0.0.5:2019", "0\n", Skip, false},
	}
	for i, tc := range cases {
		migrateReqPath = filepath.Join(dir, "missing")
		if tc.content != "" {
			migrateReqPath = filepath.Join(dir, "tcp_migrate_req")
			if err := os.WriteFile(migrateReqPath, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r := checkReloadSockets(Options{Admin: tc.admin})
		if r.Status != tc.want || (r.Fix != "") != tc.fix || r.Name != "reload sockets" {
			t.Errorf("case %d (%s, %q): %+v, want %s (fix %v)", i, tc.admin, tc.content, r, tc.want, tc.fix)
		}
		if tc.fix && !strings.Contains(r.Fix, "net.ipv4.tcp_migrate_req=1") {
			t.Errorf("case %d: the fix does not name the setting: %q", i, r.Fix)
		}
	}
}
