package postgres

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/pipeline"
)

// pgLossSeconds is how long each loss scenario produces events:
// OCOMMS_AUDIT_LOSS_SECONDS, default 20 (8 with -short). The three
// scenarios run in parallel on three private servers. The full
// proof is OCOMMS_AUDIT_LOSS_SECONDS=60 (30 s outage): it passes but takes
// about 140 s on the shared 2-core box (draining the outage's 150,000
// events and verifying 300,000 rows), over the suite's budget, so it is
// not the default.
func pgLossSeconds(t *testing.T) time.Duration {
	if v := os.Getenv("OCOMMS_AUDIT_LOSS_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			t.Fatalf("OCOMMS_AUDIT_LOSS_SECONDS=%q: want an integer ≥ 4", v)
		}
		return time.Duration(n) * time.Second
	}
	if testing.Short() {
		return 8 * time.Second
	}
	return 20 * time.Second
}

// TestPostgresNoLossAcrossRestarts is the zero-loss proof through the
// real pipeline (spool, retries, checkpoints) into the Postgres sink over
// TLS verify-full at 5,000 events/s: a fast restart, an immediate
// (crash-like) restart and an outage of 30 s (stop, then start) each end
// with rows = emitted, as many distinct seqs, max-min+1 = rows, no event
// dropped, and a chain that verifies with its signed checkpoints.
func TestPostgresNoLossAcrossRestarts(t *testing.T) {
	dur := pgLossSeconds(t)
	outage := 30 * time.Second
	if dur < 45*time.Second {
		outage = dur / 2
	}
	for _, sc := range []string{"restart-fast", "restart-immediate", "outage"} {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			srv := startPGServer(t, "loss")
			sink := pgNewSink(t, srv.URL("loss"), time.Now(), func(c *PostgresConfig) {
				c.WriteTimeout = 5 * time.Second
				c.Now = time.Now
			})
			p, pub := pgPipeline(t, "edge-loss", sink, 50*time.Millisecond, time.Second)
			closed := false
			defer func() {
				if !closed {
					_ = p.Close(context.Background())
				}
			}()
			stopProducing := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // 5,000 events/s in 10 ms ticks
				defer wg.Done()
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				start, sent := time.Now(), 0
				for {
					select {
					case <-stopProducing:
						return
					case now := <-tick.C:
						for due := int(now.Sub(start).Seconds()*5000) - sent; due > 0; due-- {
							p.Emit(pgTestEvent(sent, now))
							sent++
						}
					}
				}
			}()

			start := time.Now()
			time.Sleep(dur / 3)
			t0 := time.Now()
			switch sc {
			case "restart-fast":
				srv.Restart("fast")
			case "restart-immediate":
				srv.Restart("immediate")
			case "outage":
				srv.Stop("fast")
				time.Sleep(outage)
				srv.Start()
			}
			t.Logf("%s took %v; sink lag then %d", sc, time.Since(t0).Round(time.Millisecond), p.Stats().Sinks[0].Lag)
			if rest := dur - time.Since(start); rest > 0 {
				time.Sleep(rest)
			}
			close(stopProducing)
			wg.Wait()
			var st pipeline.Stats
			maxLag := uint64(0)
			for deadline := time.Now().Add(3 * time.Minute); ; {
				st = p.Stats()
				maxLag = max(maxLag, st.Sinks[0].Lag)
				if st.QueueDepth == 0 && st.DurableSeq == st.LastSeq && st.Sinks[0].DeliveredSeq == st.LastSeq {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not drained: %+v", st)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := p.Close(context.Background()); err != nil {
				t.Fatalf("closing the pipeline: %v", err)
			}
			closed = true

			c := pgConn(t, srv.URL("loss"))
			k := pgCounts(t, c, "edge-loss")
			t.Logf("%s: emitted %d in %v, rows %d, distinct %d, span %d, dropped %d, sink errors %d (last: %s), 23505 replays %d",
				sc, st.LastSeq, dur, k.Rows, k.Distinct, k.Span, st.Dropped, st.Sinks[0].Errors, st.Sinks[0].LastError, sink.replays.Load())
			if st.Dropped != 0 || int64(st.LastSeq) != k.Rows || k.Rows != k.Distinct || k.Rows != k.Span || k.Min != 1 {
				t.Fatalf("loss or duplication: emitted %d, dropped %d, %+v", st.LastSeq, st.Dropped, k)
			}
			if st.Sinks[0].Errors == 0 {
				t.Fatalf("%s caused no write error: the fault did not reach the sink", sc)
			}
			verifier := pgNewSink(t, srv.URL("loss"), time.Now())
			rep, err := chain.Verify(context.Background(), verifier, pub)
			if err != nil || !rep.OK() || rep.Checkpoints == 0 {
				t.Fatalf("chain after %s: %+v %v", sc, rep.Problems, err)
			}
		})
	}
}
