package doctor

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// InstancePath is the admin API route where an edge names itself (the
// caddymodule's InstanceAdmin): {"id":"host/pid/random",…}.
const InstancePath = "/ocomms/instance"

// instanceProbes is how many fresh connections ask the admin API which
// edge answers: with two edges on one SO_REUSEPORT address, the chance
// that all of them reach the same one is 2^-(n-1).
const instanceProbes = 12

// procNetTCP are the kernel's TCP socket tables (Linux).
var procNetTCP = []string{"/proc/net/tcp", "/proc/net/tcp6"}

// procRoot is where process directories are listed, to name the owners of
// the listening sockets.
var procRoot = "/proc"

// checkAdminShared warns when more than one edge listens on the admin
// address. Caddy opens its admin listener with SO_REUSEPORT, so a second
// edge given the same address starts without an error, and every admin
// request (lockout unlock, audit queries) then reaches whichever process
// the kernel picks for that connection. Two signals: the kernel's socket
// table (on the edge's host: admin on loopback, Linux), and the instance
// ids that several fresh connections to GET /ocomms/instance see.
func checkAdminShared(ctx context.Context, opts Options) Result {
	const name = "admin listeners"
	ids, probeErr := probeInstances(ctx, opts)
	var sockets []listenSocket
	var procErr error
	procChecked := runtime.GOOS == "linux" && adminOnLoopback(opts.Admin)
	if procChecked {
		sockets, procErr = adminListeners(opts.Admin)
	}
	data := map[string]any{"instances": ids, "listeners": len(sockets)}
	if len(ids) > 1 || len(sockets) > 1 {
		detail := fmt.Sprintf("several edges share the admin address %s", opts.Admin)
		if len(sockets) > 1 {
			detail += fmt.Sprintf(": %d sockets listen on it (SO_REUSEPORT)", len(sockets))
			if pids := socketOwners(sockets); len(pids) > 0 {
				detail += ", processes " + strings.Join(pids, ", ")
			}
		}
		if len(ids) > 1 {
			detail += "; answering instances: " + strings.Join(ids, ", ")
		}
		detail += "; each admin request (lockout unlock, audit queries) reaches one of them at random"
		return Result{Name: name, Status: Warn, Detail: detail, Data: data,
			Fix: "give every edge instance its own admin address (global option `admin 127.0.0.1:<port>`)"}
	}
	switch {
	case probeErr != nil && len(ids) == 0 && (!procChecked || procErr != nil):
		return skipped(name, "could not ask "+InstancePath+": "+probeErr.Error())
	case len(ids) == 0 && len(sockets) == 1:
		return Result{Name: name, Status: Pass, Detail: "one process listens on the admin address (an edge without " + InstancePath + ")", Data: data}
	case len(ids) == 1:
		return Result{Name: name, Status: Pass, Detail: "one edge answers on the admin address: " + ids[0], Data: data}
	}
	return skipped(name, "no edge instance answered on "+InstancePath)
}

// probeInstances asks InstancePath over fresh connections and returns the
// distinct instance ids seen, sorted.
func probeInstances(ctx context.Context, opts Options) ([]string, error) {
	client := newAdminClient(opts.Timeout)
	client.Transport = &http.Transport{DisableKeepAlives: true}
	seen := map[string]bool{}
	var lastErr error
	for range instanceProbes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminBase(opts.Admin)+InstancePath, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", userAgent)
		resp, err := client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("status %d", resp.StatusCode)
			continue
		}
		if id := resp.Header.Get("Ocomms-Instance"); id != "" {
			seen[id] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, lastErr
}

// listenSocket is one LISTEN row of /proc/net/tcp{,6}.
type listenSocket struct {
	addr  netip.AddrPort
	inode string
}

// adminListeners returns the listening sockets that accept connections
// for the admin address: bound to one of its addresses, or to the
// wildcard address, on its port.
func adminListeners(admin string) ([]listenSocket, error) {
	u, err := url.Parse(adminBase(admin))
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		return nil, fmt.Errorf("admin address %q has no port", admin)
	}
	var want []netip.Addr
	if u.Hostname() == "localhost" {
		want = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	} else if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		want = []netip.Addr{a.Unmap()}
	}
	var out []listenSocket
	read := 0
	for _, path := range procNetTCP {
		socks, err := readListenSockets(path)
		if err != nil {
			continue
		}
		read++
		for _, s := range socks {
			if s.addr.Port() != uint16(port) {
				continue
			}
			a := s.addr.Addr().Unmap()
			if a.IsUnspecified() || containsAddr(want, a) {
				out = append(out, s)
			}
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("no readable socket table in %v", procNetTCP)
	}
	return out, nil
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if b == a {
			return true
		}
	}
	return false
}

// readListenSockets parses the LISTEN rows (state 0A) of a Linux
// /proc/net/tcp or tcp6 table.
func readListenSockets(path string) ([]listenSocket, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []listenSocket
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" {
			continue
		}
		ap, ok := parseProcAddr(fields[1])
		if !ok {
			continue
		}
		out = append(out, listenSocket{addr: ap, inode: fields[9]})
	}
	return out, sc.Err()
}

// parseProcAddr decodes "0100007F:07E3" (IPv4) or 32 hex digits and a
// port (IPv6): the address as the kernel's 32-bit words in host (little-
// endian) order, the port in hex.
func parseProcAddr(s string) (netip.AddrPort, bool) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a, uint16(port)), true
}

// socketOwners names the processes holding the sockets ("pid (name)"),
// as far as this user may look into /proc.
func socketOwners(socks []listenSocket) []string {
	want := map[string]bool{}
	for _, s := range socks {
		want["socket:["+s.inode+"]"] = true
	}
	dirs, _ := filepath.Glob(filepath.Join(procRoot, "[0-9]*"))
	var out []string
	for _, dir := range dirs {
		fds, _ := filepath.Glob(filepath.Join(dir, "fd", "*"))
		for _, fd := range fds {
			if link, err := os.Readlink(fd); err == nil && want[link] {
				comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
				out = append(out, filepath.Base(dir)+" ("+strings.TrimSpace(string(comm))+")")
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
