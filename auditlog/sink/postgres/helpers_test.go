package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ocomms/ocomms-edge/auditlog/internal/logtest"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// pgT0 is a fixed instant the tests' clocks start from.
var pgT0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// pgTestEvent is the i-th synthetic event: 50 users, 20 IPs, a mix of
// actions and outcomes.
func pgTestEvent(i int, ts time.Time) secevent.Event {
	acts := []secevent.Action{secevent.ActionSignInFailed, secevent.ActionSignInSucceeded, secevent.ActionRateLimited, secevent.ActionAdmin}
	a := acts[i%len(acts)]
	out := secevent.OutcomeSuccess
	if a == secevent.ActionSignInFailed || a == secevent.ActionRateLimited {
		out = secevent.OutcomeFailure
	}
	return secevent.Event{
		ID:        fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i),
		Time:      ts,
		Action:    a,
		Outcome:   out,
		UserID:    fmt.Sprintf("user-%d", i%50),
		UserEmail: fmt.Sprintf("user%d@example.com", i%50),
		SourceIP:  fmt.Sprintf("203.0.113.%d", i%20),
		UserAgent: "test-agent/1.0",
		Method:    "POST",
		Path:      "/api/auth/sign-in/email",
		Status:    200 + i%3,
	}
}

// pgEncode is the pipeline's canonical encoding.
func pgEncode(ev secevent.Event) []byte {
	b, err := record.MarshalEvent(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// pgChain turns events into chained records continuing after prev.
func pgChain(instance string, from uint64, prev [32]byte, evs []secevent.Event) []record.Record {
	out := make([]record.Record, len(evs))
	for i := range evs {
		ev := evs[i]
		ev.Instance, ev.Sequence = instance, from+uint64(i)
		data := pgEncode(ev)
		ev = record.Sanitize(ev) // what reads back
		h := record.ChainHash(prev, data)
		out[i] = record.Record{Instance: instance, Seq: ev.Sequence, EventID: ev.ID, Time: ev.Time, Data: data, PrevHash: prev, Hash: h, Event: &ev}
		prev = h
	}
	return out
}

// pgTestChain makes n chained synthetic records from seq from, one per
// millisecond after t0.
func pgTestChain(instance string, from uint64, n int, prev [32]byte, t0 time.Time) []record.Record {
	evs := make([]secevent.Event, n)
	for i := range evs {
		k := int(from) + i
		evs[i] = pgTestEvent(k, t0.Add(time.Duration(k)*time.Millisecond))
	}
	return pgChain(instance, from, prev, evs)
}

// pgNewSink opens a sink on url with a clock at now, closed at the end.
func pgNewSink(t testing.TB, url string, now time.Time, mod ...func(*PostgresConfig)) *PostgresSink {
	t.Helper()
	cfg := PostgresConfig{URL: url, Now: func() time.Time { return now }}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := NewPostgresSink(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewPostgresSink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgPipeline builds a pipeline for instance that delivers to sink alone,
// retrying a failed write after retryMin to retryMax, and signs its
// checkpoints with a fresh key; it returns the key's public half for
// Verify.
func pgPipeline(t testing.TB, instance string, sink *PostgresSink, retryMin, retryMax time.Duration) (*pipeline.Pipeline, ed25519.PublicKey) {
	t.Helper()
	key := logtest.TestKey(t)
	p, err := pipeline.NewPipeline(pipeline.Config{Instance: instance, Sinks: []pipeline.Sink{sink}, SpoolDir: t.TempDir(),
		SigningKey: key, RetryMin: retryMin, RetryMax: retryMax})
	if err != nil {
		t.Fatal(err)
	}
	return p, key.Public().(ed25519.PublicKey)
}

// pgConn opens a plain connection for test SQL.
func pgConn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgChainCounts is the loss check: rows, distinct seqs, and max-min+1
// for one chain.
type pgChainCounts struct {
	Rows, Distinct, Span, Min, Max int64
}

func pgCounts(t testing.TB, c *pgx.Conn, instance string) pgChainCounts {
	t.Helper()
	var k pgChainCounts
	err := c.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT seq), coalesce(max(seq) - min(seq) + 1, 0),
		coalesce(min(seq), 0), coalesce(max(seq), 0) FROM audit_events WHERE instance = $1`, instance).
		Scan(&k.Rows, &k.Distinct, &k.Span, &k.Min, &k.Max)
	if err != nil {
		t.Fatalf("counting: %v", err)
	}
	return k
}
