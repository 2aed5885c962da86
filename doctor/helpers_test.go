package doctor

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// parseCfg decodes a Caddy JSON config as the doctor reads it from the
// admin API.
func parseCfg(t *testing.T, raw string) any {
	t.Helper()
	var cfg any
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// serverCfg is a Caddy config with one server holding handlers and the
// given trusted_proxies JSON (or none).
func serverCfg(handlers, trusted string) string {
	srv := `"routes":[{"handle":[{"handler":"subroute","routes":[{"handle":[` + handlers + `]}]}]}]`
	if trusted != "" {
		srv += `,` + trusted
	}
	return `{"apps":{"http":{"servers":{"srv0":{` + srv + `}}}}}`
}

// adminAPI is a Caddy admin API answering /config/ with cfg (and 404
// elsewhere) until the test ends; it returns its URL.
func adminAPI(t *testing.T, cfg string) string {
	t.Helper()
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/config/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(cfg))
	}))
	t.Cleanup(admin.Close)
	return admin.URL
}
