package doctor

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
)

// migrateReqPath is the Linux sysctl that moves connections queued on a
// closing SO_REUSEPORT listener to another listener of the same port.
var migrateReqPath = "/proc/sys/net/ipv4/tcp_migrate_req"

// checkReloadSockets reports whether a reload keeps the connections
// queued on the old configuration's listener. On reload Caddy listens on
// a new SO_REUSEPORT socket and closes the old one; Linux resets what is
// still queued on the closed socket unless net.ipv4.tcp_migrate_req is 1.
// The sysctl is per network namespace, so it is read only when the admin
// API is on loopback: then doctor runs where the edge does.
func checkReloadSockets(opts Options) Result {
	const name = "reload sockets"
	if !adminOnLoopback(opts.Admin) {
		return skipped(name, "the admin API is not on loopback, so this is not the edge's host")
	}
	if runtime.GOOS != "linux" {
		return skipped(name, "not Linux")
	}
	b, err := os.ReadFile(migrateReqPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return skipped(name, "the kernel has no net.ipv4.tcp_migrate_req (Linux before 5.14)")
	case err != nil:
		return Result{Name: name, Status: Warn, Detail: "reading net.ipv4.tcp_migrate_req: " + err.Error(),
			Fix: "run doctor where it can read /proc/sys/net/ipv4/tcp_migrate_req (inside the edge's container)"}
	}
	v := strings.TrimSpace(string(b))
	data := map[string]any{"tcp_migrate_req": v}
	if v == "1" {
		return Result{Name: name, Status: Pass, Detail: "net.ipv4.tcp_migrate_req=1: a reload moves queued connections to the new listener", Data: data}
	}
	return Result{Name: name, Status: Warn, Data: data,
		Detail: "net.ipv4.tcp_migrate_req=" + v + ": a reload resets the connections still queued on the old listener (a browser sees a failed request)",
		Fix:    "sysctl -w net.ipv4.tcp_migrate_req=1 and keep it in /etc/sysctl.d/; in compose: sysctls: net.ipv4.tcp_migrate_req: \"1\""}
}

// adminOnLoopback reports whether the admin address names a loopback
// host ("localhost", 127.0.0.0/8, ::1).
func adminOnLoopback(addr string) bool {
	if addr == "" {
		return false
	}
	u, err := url.Parse(adminBase(addr))
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
