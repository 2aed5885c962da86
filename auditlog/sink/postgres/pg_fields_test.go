package postgres

import (
	"slices"
	"testing"

	"github.com/ocomms/ocomms-edge/secevent"
)

// TestPostgresColumnsAreFields: every column secevent maps is one the sink
// writes, and maps to a field the event has.
func TestPostgresColumnsAreFields(t *testing.T) {
	for col, field := range secevent.PostgresColumns {
		if !slices.Contains(pgColumns, col) {
			t.Errorf("column %q is not written by the Postgres sink", col)
		}
		if !slices.Contains(secevent.Fields(), field) {
			t.Errorf("column %q maps to %q, not a secevent field", col, field)
		}
	}
}
