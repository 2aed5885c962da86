package setup

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/secevent"
)

// TestOpenWritesWhatOfflineReads: the pipeline Open assembles writes to the
// JSONL files, and the store OpenOffline opens on them answers queries
// and verifies with the key Open created.
func TestOpenWritesWhatOfflineReads(t *testing.T) {
	dir := t.TempDir()
	s := Settings{Instance: "edge-setup", Dir: dir, Spool: filepath.Join(dir, "spool"), SigningKey: filepath.Join(dir, "checkpoint.key"),
		LogOff: true, RetentionDays: -1, Fsync: 5 * time.Millisecond}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	p, st, err := Open(s, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "jsonl" || st.Instance != "edge-setup" || st.Querier == nil || st.Chain == nil {
		t.Fatalf("store %+v", st)
	}
	for i := 0; i < 3; i++ {
		p.Emit(secevent.Event{Action: secevent.ActionSignInFailed, Outcome: secevent.OutcomeFailure, UserEmail: "eve@example.test"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	off, closeStore, err := OpenOffline(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	page, err := off.Querier.Query(ctx, query.Filter{Email: "eve@example.test"})
	if err != nil || len(page.Events) != 3 {
		t.Fatalf("query: %v, %d events", err, len(page.Events))
	}
	res, err := Verify(ctx, off.Chain, st.OwnChain())
	if err != nil || !res.OK || res.Records != 3 || res.Checkpoints == 0 {
		t.Fatalf("verify: %v %+v", err, res)
	}
	if _, _, err := OpenOffline(ctx, filepath.Join(dir, "missing"), ""); err == nil {
		t.Fatal("a missing directory opened")
	}
}
