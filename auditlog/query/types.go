package query

import (
	"context"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// Filter selects events for an investigation; Page is one page of them.
// Both are defined in secevent, with the text grammar that reads a Filter
// (secevent.FilterText), so that the operator console, which must not
// import the audit log, asks in the same terms as the admin API and CLI.
type (
	Filter = secevent.Filter
	Page   = secevent.Page
)

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
