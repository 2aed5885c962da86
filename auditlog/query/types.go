package query

import (
	"context"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Filter selects events for an investigation. Empty fields match all.
type Filter struct {
	UserID  string
	Email   string // matched lower-cased
	IP      string // an address or a CIDR
	Actions []secevent.Action
	Outcome secevent.Outcome
	Since   time.Time
	Until   time.Time
	// Limit caps a page (default 100, at most 1000).
	Limit int
	// After is a keyset cursor from a previous page (opaque).
	After string
}

// Page is one page of results, newest first.
type Page struct {
	Events []secevent.Event
	// Next is the cursor for the following page; empty when done.
	Next string
}

// Querier answers investigations over one store (JSONL files or Postgres).
type Querier interface {
	Query(ctx context.Context, f Filter) (Page, error)
	// AccountsFromIP lists distinct emails/user ids seen from an address
	// or CIDR in the window, with counts (spraying).
	AccountsFromIP(ctx context.Context, ip string, since, until time.Time) ([]Pivot, error)
	// IPsForAccount lists distinct source IPs used by an account in the
	// window, with counts (takeover).
	IPsForAccount(ctx context.Context, account string, since, until time.Time) ([]Pivot, error)
}

// Pivot is one row of an IP↔account pivot.
type Pivot struct {
	Value    string
	Events   int
	Failures int
	First    time.Time
	Last     time.Time
}
