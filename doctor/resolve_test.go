package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestResolveAndOnly checks a site by a name DNS does not know, connecting
// to the server's address instead, with only the header checks.
func TestResolveAndOnly(t *testing.T) {
	var hosts []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		for k, v := range ocommsHeaders() {
			w.Header()[k] = v
		}
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	opts := Options{URL: "https://chat.ocomms.invalid:" + port, Resolve: "127.0.0.1", Only: []string{"headers"}, Timeout: 5 * time.Second}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 3 || !r.OK {
		t.Fatalf("checks: %+v", r.Checks)
	}
	if len(hosts) == 0 || hosts[0] != "chat.ocomms.invalid:"+port {
		t.Fatalf("Host sent: %v", hosts)
	}
	opts.Resolve = ""
	if r, _ := Run(context.Background(), opts); r.OK {
		t.Fatal("an unresolvable name passed without Resolve")
	}
	if _, err := Run(context.Background(), Options{URL: "https://x", Only: []string{"nonsense"}}); err == nil {
		t.Fatal("unknown group accepted")
	}
}
