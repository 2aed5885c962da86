package zapsink

import (
	"bytes"
	"strings"
	"testing"
)

// The verify CLI reads Caddy's log file for checkpoints.
func FuzzReadZapCheckpoints(f *testing.F) {
	f.Add([]byte(`{"level":"info","logger":"ocomms.audit","msg":"audit_checkpoint","observer.name":"edge-1","audit.checkpoint.seq":3,"audit.checkpoint.hash":"` + strings.Repeat("ab", 32) + `","audit.checkpoint.prev":"` + strings.Repeat("00", 32) + `","audit.checkpoint.time":"2026-12-01T00:00:00.000000Z","audit.checkpoint.retention":false,"audit.checkpoint.public_key":"AA==","audit.checkpoint.signature":"AA=="}` + "\n"))
	f.Add([]byte("not json\n{\"msg\":\"audit_checkpoint\",\"audit.checkpoint.signature\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := ReadZapCheckpoints(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, cp := range cps {
			if len(cp.Signature) == 0 {
				t.Fatal("a checkpoint without signature was returned")
			}
		}
	})
}
