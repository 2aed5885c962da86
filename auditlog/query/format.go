package query

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/chain"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// Output formats for query results (the CLI's default table and --json,
// or --format ocsf).
const (
	FormatTable = "table"
	FormatECS   = "ecs"
	FormatOCSF  = "ocsf"
)

// WriteEvents writes events in a format: a readable table, or one JSON
// document per line (ECS canonical or the OCSF projection). Values in the
// table are quoted when they hold spaces or control characters, so a
// hostile user agent cannot forge table rows.
func WriteEvents(w io.Writer, evs []secevent.Event, format string) error {
	switch format {
	case FormatECS, FormatOCSF:
		for _, e := range evs {
			var b []byte
			var err error
			if format == FormatECS {
				b, err = record.MarshalEvent(e)
			} else {
				b, err = record.MarshalOCSF(e)
			}
			if err != nil {
				return err
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return fmt.Errorf("write events: %w", err)
			}
		}
		return nil
	case FormatTable, "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME (UTC)\tINSTANCE\tSEQ\tACTION\tOUTCOME\tUSER\tTARGET\tSOURCE IP\tSTATUS\tPATH\tREASON")
		for _, e := range evs {
			status := ""
			if e.Status != 0 {
				status = strconv.Itoa(e.Status)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				e.Time.UTC().Format("2006-01-02 15:04:05.000"), cell(e.Instance), e.Sequence, cell(string(e.Action)), cell(string(e.Outcome)),
				cell(record.FirstNonEmpty(e.UserEmail, e.UserID, e.UserName)), cell(record.FirstNonEmpty(e.TargetEmail, e.TargetUser)),
				cell(e.SourceIP), status, cell(e.Path), cell(e.Reason))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write events: %w", err)
		}
		return nil
	}
	return fmt.Errorf("unknown output format %q (want %s, %s or %s)", format, FormatTable, FormatECS, FormatOCSF)
}

// WritePivots writes IP↔account pivot rows as a table.
func WritePivots(w io.Writer, header string, rows []Pivot) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tEVENTS\tFAILURES\tFIRST (UTC)\tLAST (UTC)\n", strings.ToUpper(header))
	for _, p := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", cell(p.Value), p.Events, p.Failures,
			p.First.UTC().Format(time.DateTime), p.Last.UTC().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write pivots: %w", err)
	}
	return nil
}

// WriteReport writes a verification report: one line per chain, then the
// problems.
func WriteReport(w io.Writer, r chain.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tRECORDS\tFIRST\tLAST\tCHECKPOINTS\tANCHORED TO\tRESULT")
	for _, ir := range r.Instances {
		result := "ok"
		if ir.FirstBad != 0 {
			result = fmt.Sprintf("TAMPERED at seq %d: %s (%s)", ir.FirstBad, ir.Kind, ir.Detail)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\n", cell(ir.Instance), ir.Records, ir.First, ir.Last, ir.Checkpoints, ir.Anchored, result)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, p := range r.Problems {
		if p.Kind == chain.TamperSignature || p.Kind == chain.TamperMalformed {
			if _, err := fmt.Fprintf(w, "%s: %s %s\n", p.Kind, cell(p.Instance), cell(p.Detail)); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	verdict := "verified: no tampering found"
	if !r.OK() {
		verdict = fmt.Sprintf("NOT VERIFIED: %d problem(s)", len(r.Problems))
	}
	_, err := fmt.Fprintf(w, "%d records, %d checkpoints; %s\n", r.Records, r.Checkpoints, verdict)
	return err
}

// cell renders a value for a table: as is when it is plain, quoted (Go
// syntax) when it holds spaces, tabs, newlines or other control
// characters; "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '"' || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return strconv.Quote(s)
		}
	}
	return s
}
