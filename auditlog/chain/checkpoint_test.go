package chain

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/record"
)

func TestCheckpointSignature(t *testing.T) {
	key := logtest.TestKey(t)
	pub := key.Public().(ed25519.PublicKey)
	cp := Sign(record.Checkpoint{Instance: "edge-1", Seq: 10, Hash: [32]byte{1}, Time: time.Date(2026, 12, 1, 1, 2, 3, 456789123, time.UTC)}, key)
	if err := VerifyCheckpoint(cp, pub); err != nil {
		t.Fatal(err)
	}
	// The JSON form (JSONL, spool) keeps everything that is signed.
	back, err := ParseCheckpointJSON(AppendCheckpointJSON(nil, cp))
	if err != nil || VerifyCheckpoint(back, pub) != nil {
		t.Fatalf("round trip: %v", err)
	}
	for name, mut := range map[string]func(*record.Checkpoint){
		"seq":       func(c *record.Checkpoint) { c.Seq++ },
		"hash":      func(c *record.Checkpoint) { c.Hash[5] ^= 1 },
		"prev":      func(c *record.Checkpoint) { c.PrevHash[0] ^= 1 },
		"instance":  func(c *record.Checkpoint) { c.Instance = "edge-2" },
		"time":      func(c *record.Checkpoint) { c.Time = c.Time.Add(time.Microsecond) },
		"retention": func(c *record.Checkpoint) { c.Retention = true },
		"key":       func(c *record.Checkpoint) { c.PublicKey = logtest.TestKey(t).Public().(ed25519.PublicKey) },
	} {
		c := cp
		c.Hash, c.PrevHash = cp.Hash, cp.PrevHash
		mut(&c)
		if err := VerifyCheckpoint(c, pub); err == nil {
			t.Fatalf("changed %s still verifies", name)
		}
	}
	if err := VerifyCheckpoint(cp, logtest.TestKey(t).Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("verified with another key")
	}
}
