package jsonl

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
)

// A store two instances share holds two chains signed with two keys: each
// verifies under its own instance's key, and no key vouches for a chain it
// is not trusted for.
func TestVerifyTrustedKeysPerInstance(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().UTC().Add(-time.Hour)
	pubA, keyA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, keyB, _ := ed25519.GenerateKey(rand.Reader)
	writeStore(t, dir, keyA, logtest.BuildRecords("edge-a", 120, start, 1), 50)
	writeStore(t, dir, keyB, logtest.BuildRecords("edge-b", 80, start, 1), 50)
	j, err := OpenJSONL(JSONLConfig{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	verify := func(keys chain.TrustedKeys) chain.Report {
		t.Helper()
		rep, err := chain.VerifyTrusted(context.Background(), j, keys)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	bound := map[string][]ed25519.PublicKey{"edge-a": {pubA}, "edge-b": {pubB}}

	if rep := verify(chain.TrustedKeys{ByInstance: bound}); !rep.OK() || rep.Records != 200 {
		t.Errorf("both keys bound: ok=%v records=%d problems=%+v", rep.OK(), rep.Records, rep.Problems)
	}
	if rep := verify(chain.TrustedKeys{Any: []ed25519.PublicKey{pubA, pubB}}); !rep.OK() {
		t.Errorf("both keys for any chain: %+v", rep.Problems)
	}
	// One key for the whole store: the other chain's checkpoints fail.
	rep := verify(chain.TrustedKeys{Any: []ed25519.PublicKey{pubA}})
	if rep.OK() || !problemsOnlyFor(rep, "edge-b", chain.TamperSignature) {
		t.Errorf("only edge-a's key: %+v", rep.Problems)
	}
	// A key bound to the wrong instance vouches for nothing there.
	rep = verify(chain.TrustedKeys{ByInstance: map[string][]ed25519.PublicKey{"edge-a": {pubB}, "edge-b": {pubB}}})
	if rep.OK() || !problemsOnlyFor(rep, "edge-a", chain.TamperSignature) {
		t.Errorf("edge-b's key bound to edge-a: %+v", rep.Problems)
	}
	// Only: one chain read and judged, the other left alone.
	rep = verify(chain.TrustedKeys{ByInstance: map[string][]ed25519.PublicKey{"edge-a": {pubA}}, Only: []string{"edge-a"}})
	if !rep.OK() || rep.Records != 120 {
		t.Errorf("only edge-a: ok=%v records=%d problems=%+v", rep.OK(), rep.Records, rep.Problems)
	}
}

func problemsOnlyFor(rep chain.Report, instance string, kind chain.Tamper) bool {
	sig := false
	for _, p := range rep.Problems {
		if p.Instance != instance {
			return false
		}
		sig = sig || p.Kind == kind
	}
	return sig
}
