package doctor

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/internal/testsupport"
)

// TestRedisCheckTLS runs a test-owned redis-server with only a TLS port:
// rediss:// passes against the test CA and fails against the system
// roots, with the password kept out of the output.
func TestRedisCheckTLS(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		testsupport.ServiceUnavailable(t, "redis-server", err)
	}
	dir := t.TempDir()
	ca := testsupport.NewCA(t)
	leaf := ca.IssueFor(t, time.Hour, 90*24*time.Hour)
	cert := testsupport.WriteFile(t, dir, "redis.crt", leaf.CertPEM)
	key := testsupport.WriteFile(t, dir, "redis.key", leaf.KeyPEM)
	caFile := testsupport.WriteFile(t, dir, "ca.crt", ca.PEM)
	port := closedPort(t)
	cmd := exec.Command("redis-server", "--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no",
		"--requirepass", "redis-pw-123", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitTCP(t, "127.0.0.1:"+port)

	url := "rediss://:redis-pw-123@localhost:" + port
	res := checkRedis(context.Background(), Options{RedisURL: url, RootCAs: ca.Pool}.withDefaults())
	if !passOrSlow(res) || !strings.Contains(res.Detail, "PONG") || !strings.Contains(res.Detail, ", TLS") || res.Data["tls"] != true {
		t.Fatalf("rediss with the CA: %s %q", res.Status, res.Detail)
	}
	res = checkRedis(context.Background(), Options{RedisURL: url, Timeout: 3 * time.Second}.withDefaults())
	if res.Status != Fail || !strings.Contains(res.Detail, "certificate") || !strings.Contains(res.Fix, "--cacert") {
		t.Fatalf("rediss without the CA: %s %q", res.Status, res.Detail)
	}
	for _, r := range []Result{res} {
		if strings.Contains(r.Detail+r.Fix, "redis-pw-123") {
			t.Fatalf("password shown: %q", r.Detail)
		}
	}
}
