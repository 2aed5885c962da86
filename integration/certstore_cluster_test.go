package integration

// Shared certificate storage (issue 5): edge processes on one Redis through
// caddy.storage.ocomms_redis serve one certificate from ONE ACME order, and
// when the instance placing the order dies mid-order, another finishes
// within the lock TTL. Pebble runs in-process (acme_pebble_test.go); it
// holds the first challenge so that the order's holder is known and
// mid-order when the test acts.

import (
	"testing"
	"time"
)

// TestSharedStorageOneOrder: A starts issuing and is held mid-order; B
// starts and waits on the issuance lock; once A finishes, B finds the
// certificate in storage. Both serve the same certificate, and Pebble saw
// one order with one authorization.
func TestSharedStorageOneOrder(t *testing.T) {
	c := newCertCluster(t, 5*time.Second)
	release := make(chan struct{})
	held := holdFirstChallenge(c.pebble, release)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	a, b := c.holderAndWaiter(t, held, 500*time.Millisecond)
	close(release)

	roots := rootPool(c.pebble.Root(t))
	leafA, _ := a.serve(t, c.host, roots, issueTimeout)
	leafB, _ := b.serve(t, c.host, roots, issueTimeout)
	if leafA.SerialNumber.Cmp(leafB.SerialNumber) != 0 {
		t.Errorf("a serves serial %x, b serves %x: want the same certificate", leafA.SerialNumber, leafB.SerialNumber)
	}
	b.waitEvent(t, "certificate already exists in storage", c.host, issueTimeout)
	if evs := b.events("obtaining certificate", c.host); len(evs) > 0 {
		t.Error("b started obtaining a certificate of its own")
	}

	orders := c.orders()
	if len(orders) != 1 || authorizations(orders) != 1 || len(c.pebble.Challenges()) != 1 {
		t.Errorf("pebble saw %d orders, %d authorizations, %d challenges; want 1, 1, 1", len(orders), authorizations(orders), len(c.pebble.Challenges()))
	}
	if c.lockHeld() {
		t.Error("issuance lock still in Redis after both finished")
	}
	if err := c.allSealed(); err != nil {
		t.Errorf("shared storage: %v", err)
	}
}

// TestSharedStorageHolderKilledMidOrder: A is SIGKILLed while it holds the
// issuance lock mid-order; B, waiting on the lock, gets it once A's lease
// runs out (within the lock TTL, not before A died), places its own order
// and serves a certificate.
func TestSharedStorageHolderKilledMidOrder(t *testing.T) {
	const ttl = 5 * time.Second
	c := newCertCluster(t, ttl)
	release := make(chan struct{})
	held := holdFirstChallenge(c.pebble, release)
	defer close(release)

	a, b := c.holderAndWaiter(t, held, 0)
	a.kill(t)
	killed := time.Now()

	roots := rootPool(c.pebble.Root(t))
	leaf, _ := b.serve(t, c.host, roots, ttl+issueTimeout)
	got := b.waitEvent(t, "lock acquired", c.host, time.Second)
	waited := got.Time().Sub(killed)
	t.Logf("b acquired the lock %s after a was killed (lock TTL %s)", waited.Round(10*time.Millisecond), ttl)
	// Correctness bounds, with slack for log timestamps: b got the lock
	// only after a died, and within one TTL (plus a poll) of a's death.
	if waited < -100*time.Millisecond {
		t.Errorf("b acquired the lock %s before a was killed", -waited)
	}
	if waited > ttl+time.Second {
		t.Errorf("b acquired the lock %s after a died; the lock TTL is %s", waited, ttl)
	}

	orders := c.orders()
	if len(orders) != 2 {
		t.Errorf("pebble saw %d orders; want 2 (a's abandoned one and b's)", len(orders))
	}
	order := c.pebble.OrderFor(leaf)
	if order == nil {
		t.Fatal("pebble has no order for the certificate b serves")
	}
	var abandoned int
	for _, o := range orders {
		if o.ID != order.ID && o.CertificateObject == nil {
			abandoned++
		}
	}
	if abandoned != 1 {
		t.Errorf("%d unfinished orders besides b's; want a's one", abandoned)
	}
	if err := c.allSealed(); err != nil {
		t.Errorf("shared storage: %v", err)
	}
}

// holderAndWaiter starts edge a and waits until it holds the issuance lock
// mid-order (held is closed when it reaches the challenge), then starts
// edge b and waits until b asks for the lock; after b has polled it for
// watch, b must not have acquired it.
func (c *certCluster) holderAndWaiter(t *testing.T, held <-chan struct{}, watch time.Duration) (a, b *certEdge) {
	t.Helper()
	a = c.startEdge("a")
	select {
	case <-held:
	case <-time.After(issueTimeout):
		t.Fatalf("a never reached the challenge\n%s", tail(a.log, 30))
	}
	if !c.lockHeld() {
		t.Fatal("a is mid-order but the issuance lock is not in Redis")
	}
	b = c.startEdge("b")
	b.waitEvent(t, "acquiring lock", c.host, issueTimeout)
	time.Sleep(watch) // b polls the lock meanwhile
	if evs := b.events("lock acquired", c.host); len(evs) > 0 {
		t.Fatal("b acquired the issuance lock while a held it")
	}
	return a, b
}
