package caddymodule

import (
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// FuzzStorageCaddyfile: any `storage ocomms_redis` block either parses
// into a config that marshals, or is refused with an error; no panic.
func FuzzStorageCaddyfile(f *testing.F) {
	f.Add("ocomms_redis")
	f.Add("ocomms_redis redis://127.0.0.1:6379")
	f.Add("ocomms_redis {\n url {env.X}\n addrs a:1 b:2\n master_name m\n cluster\n insecure_allow_plaintext\n prefix p\n encryption_key {env.K}\n lock_ttl 20s\n}")
	f.Add("ocomms_redis {\n lock_ttl -1\n}")
	f.Add("ocomms_redis u {\n url v\n}")
	f.Fuzz(func(t *testing.T, in string) {
		var s Storage
		if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
			return
		}
		if _, err := json.Marshal(&s); err != nil {
			t.Fatalf("parsed %q but cannot marshal: %v", in, err)
		}
	})
}
