package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAdmin serves /config/ and the given audit stats body (404 when
// empty), standing in for the audit module's admin route, whose JSON
// shape (AuditStats) is the contract this test pins down.
func fakeAdmin(t *testing.T, stats string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/config/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"apps":{"http":{"servers":{"srv0":{}}},"tls":{"automation":{"policies":[{"issuers":[{"module":"acme","ca":"https://acme-v02.api.letsencrypt.org/directory"}]}]}}}}`))
	})
	mux.HandleFunc("/reverse_proxy/upstreams", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"address":"app:3000","num_requests":2,"fails":0}]`))
	})
	mux.HandleFunc(AuditStatsPath, func(w http.ResponseWriter, r *http.Request) {
		if stats == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(stats))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestAuditStatsContract(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     Status
		detail     string
	}{
		{"not available", "", Skip, "audit stats not available"},
		{"healthy", `{"queue_depth":3,"queue_capacity":10000,"spool_bytes":0,"spool_segments":0,"dropped":0}`, Pass, "queue depth 3"},
		{"spool in use, sinks caught up", `{"queue_depth":0,"backlog":12,"spool_bytes":52000,"spool_segments":1,"dropped":0}`, Pass, "spool bytes 52000"},
		{"sink behind", `{"queue_depth":0,"backlog":25000,"spool_bytes":9000000,"spool_segments":1,"dropped":0}`, Warn, "backlog 25000"},
		{"queue nearly full", `{"queue_depth":9000,"queue_capacity":10000}`, Warn, "queue depth 9000"},
		{"events lost", `{"queue_depth":10000,"spool_bytes":1073741824,"dropped":17}`, Fail, "dropped 17"},
		{"unknown shape", `{"something":1}`, Warn, "none of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := checkAuditStats(context.Background(), Options{Admin: fakeAdmin(t, tc.body)}.withDefaults())
			if res.Status != tc.status || !strings.Contains(res.Detail, tc.detail) {
				t.Fatalf("got %s %q, want %s with %q", res.Status, res.Detail, tc.status, tc.detail)
			}
			if (res.Status == Warn || res.Status == Fail) && res.Fix == "" {
				t.Fatal("no fix")
			}
		})
	}
}

func TestAdminChecks(t *testing.T) {
	res := checkAdmin(context.Background(), Options{Admin: fakeAdmin(t, "")}.withDefaults())
	if len(res) != 6 || res[0].Status != Pass || !strings.Contains(res[0].Detail, "acme https://acme-v02") || res[3].Name != "reload sockets" {
		t.Fatalf("admin: %+v", res)
	}
	if res[1].Status != Pass || !strings.Contains(res[1].Detail, "app:3000") {
		t.Fatalf("upstreams: %+v", res[1])
	}
	if res[5].Name != "console" || res[5].Status != Pass || !strings.HasPrefix(res[5].Detail, "off") {
		t.Fatalf("console: %+v", res[5])
	}
	// Unreachable: a warning, or a failure when the address was given.
	down := "127.0.0.1:1"
	if r := checkAdmin(context.Background(), Options{Admin: down}.withDefaults()); r[0].Status != Warn || r[1].Status != Skip {
		t.Fatalf("unreachable default: %+v", r)
	}
	if r := checkAdmin(context.Background(), Options{Admin: down, AdminRequired: true}.withDefaults()); r[0].Status != Fail {
		t.Fatalf("unreachable required: %+v", r[0])
	}
}
