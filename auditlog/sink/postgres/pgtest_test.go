package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// pgBin is where Debian's PostgreSQL 15 server binaries live.
const pgBin = "/usr/lib/postgresql/15/bin"

// pgServer is a private PostgreSQL a test owns: TLS on with a CA made for
// the test, listening on 127.0.0.1 at a free port. Fault tests stop and
// restart it; the machine's shared PostgreSQL is never touched.
type pgServer struct {
	t      testing.TB
	Port   int
	dir    string
	data   string
	CAFile string
	// OtherCAFile is a CA that did not sign the server's certificate.
	OtherCAFile string
	cred        *syscall.Credential
}

// pgTemplate initdb's once per machine into a cached directory that every
// private server copies (initdb is the slow part).
var pgTemplate struct {
	once sync.Once
	dir  string
	err  error
}

// pgCredential returns the credential to run the server binaries with:
// PostgreSQL refuses to run as root, so a root test runs them as the
// postgres user.
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func pgRun(cred *syscall.Credential, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(pgBin, name), args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return out, nil
}

func pgChownTree(cred *syscall.Credential, dir string) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
}

func pgTemplateDir(cred *syscall.Credential) (string, error) {
	pgTemplate.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "ocomms-edge-pgtemplate-15")
		if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
			pgTemplate.dir = dir
			return
		}
		tmp, err := os.MkdirTemp(os.TempDir(), "ocomms-edge-pgtemplate-tmp-")
		if err != nil {
			pgTemplate.err = err
			return
		}
		defer os.RemoveAll(tmp)
		if err := os.Chmod(tmp, 0o755); err != nil {
			pgTemplate.err = err
			return
		}
		data := filepath.Join(tmp, "data")
		if err := os.Mkdir(data, 0o700); err != nil {
			pgTemplate.err = err
			return
		}
		if err := pgChownTree(cred, tmp); err != nil {
			pgTemplate.err = err
			return
		}
		if _, err := pgRun(cred, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"); err != nil {
			pgTemplate.err = err
			return
		}
		if err := os.Rename(data, dir); err != nil && !errors.Is(err, os.ErrExist) {
			if _, statErr := os.Stat(filepath.Join(dir, "PG_VERSION")); statErr != nil {
				pgTemplate.err = err
				return
			}
		}
		pgTemplate.dir = dir
	})
	return pgTemplate.dir, pgTemplate.err
}

// startPGServer starts a private PostgreSQL with TLS and an empty
// database db, stopped and removed when the test ends. settings are extra
// "name=value" server settings.
func startPGServer(t testing.TB, db string, settings ...string) *pgServer {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "pg_ctl")); err != nil {
		testsupport.ServiceUnavailable(t, "PostgreSQL server binaries", err)
	}
	cred, err := pgCredential()
	if err != nil {
		testsupport.ServiceUnavailable(t, "PostgreSQL server binaries", err)
	}
	tmpl, err := pgTemplateDir(cred)
	if err != nil {
		t.Fatalf("initdb: %v", err)
	}
	dir, err := os.MkdirTemp(os.TempDir(), "ocomms-edge-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &pgServer{t: t, Port: testsupport.FreePort(t), dir: dir, data: filepath.Join(dir, "data"), cred: cred}
	t.Cleanup(func() {
		s.ctlQuiet("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if out, err := exec.Command("cp", "-a", tmpl, s.data).CombinedOutput(); err != nil {
		t.Fatalf("copying the PostgreSQL template: %v: %s", err, out)
	}
	s.CAFile, s.OtherCAFile = s.writeCerts()
	hba := "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
	if err := os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := []string{
		"port = " + strconv.Itoa(s.Port),
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + dir + "'",
		"ssl = on",
		"ssl_cert_file = '" + filepath.Join(dir, "server.crt") + "'",
		"ssl_key_file = '" + filepath.Join(dir, "server.key") + "'",
		"max_connections = 40",
		"timezone = 'UTC'",
		"log_min_messages = warning",
	}
	for _, kv := range settings {
		name, val, _ := strings.Cut(kv, "=")
		conf = append(conf, name+" = '"+val+"'")
	}
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n" + strings.Join(conf, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := pgChownTree(cred, dir); err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.CreateDB(db)
	return s
}

// ctl runs pg_ctl on the server's data directory.
func (s *pgServer) ctl(args ...string) {
	s.t.Helper()
	full := append(args, "-D", s.data, "-w", "-t", "120", "-l", filepath.Join(s.dir, "server.log"))
	if _, err := pgRun(s.cred, "pg_ctl", full...); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		s.t.Fatalf("%v\nserver log:\n%s", err, pgTail(string(log), 2000))
	}
}

func (s *pgServer) ctlQuiet(args ...string) {
	_, _ = pgRun(s.cred, "pg_ctl", append(args, "-D", s.data, "-w", "-t", "60")...)
}

func pgTail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Start starts the server and waits until it accepts connections.
func (s *pgServer) Start() { s.t.Helper(); s.ctl("start") }

// Stop stops it: mode is fast (disconnect clients, clean shutdown) or
// immediate (crash-like, recovery at the next start).
func (s *pgServer) Stop(mode string) { s.t.Helper(); s.ctl("stop", "-m", mode) }

// Restart stops and starts it in one pg_ctl call.
func (s *pgServer) Restart(mode string) { s.t.Helper(); s.ctl("restart", "-m", mode) }

// URL is a verify-full URL for db on 127.0.0.1 against the test CA.
func (s *pgServer) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=verify-full&sslrootcert=%s", s.Port, db, s.CAFile)
}

// CreateDB creates a database on the server (over the unix socket).
func (s *pgServer) CreateDB(name string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", s.dir, s.Port))
	if err != nil {
		s.t.Fatalf("connecting to the private server: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		s.t.Fatalf("creating database %s: %v", name, err)
	}
}

// writeCerts makes a CA, a server certificate for 127.0.0.1, ::1 and
// localhost signed by it, and an unrelated CA.
func (s *pgServer) writeCerts() (caFile, otherCAFile string) {
	s.t.Helper()
	ca, other := testsupport.NewCA(s.t), testsupport.NewCA(s.t)
	leaf := ca.Issue(s.t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	testsupport.WriteFile(s.t, s.dir, "server.crt", leaf.CertPEM)
	testsupport.WriteFile(s.t, s.dir, "server.key", leaf.KeyPEM)
	return testsupport.WriteFile(s.t, s.dir, "ca.crt", ca.PEM), testsupport.WriteFile(s.t, s.dir, "other-ca.crt", other.PEM)
}

// sharedPGURL returns a URL to a fresh database on the machine's shared
// PostgreSQL (127.0.0.1:5432, trust, no TLS: loopback), dropped when the
// test ends.
func sharedPGURL(t testing.TB) string { return testsupport.TempDatabase(t, "ocomms_auditpg") }
