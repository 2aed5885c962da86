package doctor

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// pgBin is where Debian installs the PostgreSQL 15 server programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// tlsPostgres is a private PostgreSQL a test owns, serving TLS with a
// certificate from a test CA.
type tlsPostgres struct {
	Port     int
	Password string
	CA       *testsupport.CA
	data     string
	cred     *syscall.Credential
}

// startTLSPostgres runs initdb and starts a server on a free loopback
// port with ssl=on and the given pg_hba.conf lines (after a local trust
// line for pg_ctl). It is stopped when the test ends.
func startTLSPostgres(t *testing.T, hba ...string) *tlsPostgres {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		testsupport.ServiceUnavailable(t, "postgresql-15 server binaries", err)
	}
	dir, err := os.MkdirTemp("", "ocomms-doctor-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &tlsPostgres{Port: testsupport.FreePort(t), Password: "pw-" + randomToken(8), CA: testsupport.NewCA(t), data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 { // initdb refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			testsupport.ServiceUnavailable(t, "a postgres system user (initdb cannot run as root)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	pwfile := testsupport.WriteFile(t, dir, "pw", []byte(p.Password+"\n"))
	p.chown(t, dir, pwfile)
	p.run(t, "initdb", "-D", p.data, "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust", "--pwfile", pwfile, "-E", "UTF8", "--no-sync")

	leaf := p.CA.IssueFor(t, time.Hour, 90*24*time.Hour)
	testsupport.WriteFile(t, p.data, "server.crt", leaf.CertPEM)
	testsupport.WriteFile(t, p.data, "server.key", leaf.KeyPEM)
	conf := strings.Join([]string{
		"port = " + strconv.Itoa(p.Port),
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + dir + "'",
		"ssl = on",
		"ssl_cert_file = 'server.crt'",
		"ssl_key_file = 'server.key'",
		"fsync = off",
		"max_connections = 20",
		"shared_buffers = 16MB",
	}, "\n") + "\n"
	f, err := os.OpenFile(filepath.Join(p.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(conf)
	f.Close()
	p.SetHBA(t, false, hba...)
	p.chown(t, filepath.Join(p.data, "server.crt"), filepath.Join(p.data, "server.key"), filepath.Join(p.data, "pg_hba.conf"))
	p.run(t, "pg_ctl", "start", "-w", "-t", "60", "-D", p.data, "-l", filepath.Join(dir, "log"))
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(pgBin, "pg_ctl"), "stop", "-m", "immediate", "-D", p.data)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
		_ = cmd.Run()
	})
	return p
}

// SetHBA writes pg_hba.conf: a local trust line plus lines, and reloads
// the server when reload is set.
func (p *tlsPostgres) SetHBA(t *testing.T, reload bool, lines ...string) {
	t.Helper()
	hba := "local all all trust\n" + strings.Join(lines, "\n") + "\n"
	path := filepath.Join(p.data, "pg_hba.conf")
	if err := os.WriteFile(path, []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	p.chown(t, path)
	if reload {
		p.run(t, "pg_ctl", "reload", "-D", p.data)
	}
}

// URL is a postgresql:// URL for the postgres user with the given query.
func (p *tlsPostgres) URL(query string) string {
	return "postgresql://postgres:" + p.Password + "@localhost:" + strconv.Itoa(p.Port) + "/postgres?" + query
}

// run runs a PostgreSQL program as the server's user.
func (p *tlsPostgres) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(pgBin, prog), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", prog, err, out)
	}
}

// chown gives paths to the server's user.
func (p *tlsPostgres) chown(t *testing.T, paths ...string) {
	t.Helper()
	if p.cred == nil {
		return
	}
	for _, path := range paths {
		if err := os.Chown(path, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
}
