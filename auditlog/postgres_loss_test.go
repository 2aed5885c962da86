package auditlog

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgLossSeconds is how long each loss scenario produces events:
// OCOMMS_AUDIT_LOSS_SECONDS, default 60 (8 with -short). The three
// scenarios run in parallel on three private servers, so the whole test
// takes about that long plus draining.
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
	return 60 * time.Second
}

// pgLossWriter mimics the pipeline's delivery to one sink: a producer
// appends chained records to a queue at a fixed rate; a writer hands the
// sink batches of up to 1,000 records (or what 100 ms gathered) and
// retries the same batch, with backoff, until Write succeeds.
type pgLossWriter struct {
	sink *PostgresSink

	mu       sync.Mutex
	queue    []Record
	produced int
	maxQueue int
	errs     map[string]int

	next uint64
	prev [32]byte
}

func (w *pgLossWriter) produce(n int, now time.Time) {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = pgTestEvent(int(w.next)+i, now)
	}
	recs := pgChain("edge-loss", w.next, w.prev, evs)
	w.next += uint64(n)
	w.prev = recs[len(recs)-1].Hash
	w.mu.Lock()
	w.queue = append(w.queue, recs...)
	w.produced += n
	w.maxQueue = max(w.maxQueue, len(w.queue))
	w.mu.Unlock()
}

func (w *pgLossWriter) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// classify names an error for the report: SQLSTATE, EOF, refused…
func pgClassify(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return pgErr.Code
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), strings.Contains(err.Error(), "EOF"):
		return "EOF"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ECONNREFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

func (w *pgLossWriter) run(ctx context.Context, done <-chan struct{}) {
	backoff := 50 * time.Millisecond
	for {
		w.mu.Lock()
		n := min(len(w.queue), 1000)
		batch := w.queue[:n:n]
		w.mu.Unlock()
		if n == 0 {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				continue
			}
		}
		if n < 1000 {
			time.Sleep(20 * time.Millisecond) // let a batch gather, like the pipeline's 100 ms tick
		}
		err := w.sink.Write(ctx, batch)
		if err != nil {
			w.mu.Lock()
			w.errs[pgClassify(err)]++
			w.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		w.mu.Lock()
		w.queue = w.queue[n:]
		w.mu.Unlock()
	}
}

// TestPostgresNoLossAcrossRestarts is the zero-loss proof over TLS
// verify-full at 5,000 events/s: a fast restart, an immediate (crash-like)
// restart and an outage of 30 s (stop, then start) each end with rows =
// produced, as many distinct seqs, and max-min+1 = rows.
func TestPostgresNoLossAcrossRestarts(t *testing.T) {
	dur := pgLossSeconds(t)
	outage := 30 * time.Second
	if dur < 45*time.Second {
		outage = dur / 2
	}
	for _, sc := range []string{"restart-fast", "restart-immediate", "outage"} {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			srv := startPGServer(t)
			srv.CreateDB("loss")
			sink := pgNewSink(t, srv.URL("loss"), time.Now(), func(c *PostgresConfig) {
				c.WriteTimeout = 5 * time.Second
				c.Now = time.Now
			})
			w := &pgLossWriter{sink: sink, errs: map[string]int{}, next: 1}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(2)
			stopProducing := make(chan struct{})
			go func() { // 5,000 events/s in 50-event ticks
				defer wg.Done()
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				start := time.Now()
				sent := 0
				for {
					select {
					case <-stopProducing:
						return
					case now := <-tick.C:
						due := int(now.Sub(start).Seconds()*5000) - sent
						if due > 0 {
							w.produce(due, now)
							sent += due
						}
					}
				}
			}()
			go func() { defer wg.Done(); w.run(ctx, done) }()

			start := time.Now()
			faultAt := dur / 3
			time.Sleep(faultAt)
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
			t.Logf("%s took %v; backlog now %d", sc, time.Since(t0).Round(time.Millisecond), w.backlog())
			if rest := dur - time.Since(start); rest > 0 {
				time.Sleep(rest)
			}
			close(stopProducing)
			deadline := time.Now().Add(3 * time.Minute)
			for w.backlog() > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("backlog of %d not drained", w.backlog())
				}
				time.Sleep(50 * time.Millisecond)
			}
			close(done)
			wg.Wait()

			c := pgConn(t, srv.URL("loss"))
			k := pgCounts(t, c, "edge-loss")
			w.mu.Lock()
			produced, maxQ, errs := w.produced, w.maxQueue, w.errs
			w.mu.Unlock()
			t.Logf("%s: produced %d in %v, rows %d, distinct %d, span %d, max backlog %d, write errors %v, 23505 replays %d",
				sc, produced, dur, k.Rows, k.Distinct, k.Span, maxQ, errs, sink.replays.Load())
			if int64(produced) != k.Rows || k.Rows != k.Distinct || k.Rows != k.Span || k.Min != 1 {
				t.Fatalf("loss or duplication: produced %d, %+v", produced, k)
			}
			if len(errs) == 0 {
				t.Fatalf("%s caused no write error: the fault did not reach the sink", sc)
			}
		})
	}
}
