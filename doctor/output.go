package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// statusLabel is how a status prints in text output.
var statusLabel = map[Status]string{Pass: "PASS", Warn: "WARN", Fail: "FAIL", Skip: "SKIP"}

// WriteText prints one line per check, then an indented fix line for
// every check that did not pass, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ocomms doctor: %s at %s\n", r.Target, r.Time.Format("2006-01-02 15:04:05 MST"))
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s  %-*s  %s\n", statusLabel[c.Status], width, c.Name, c.Detail)
		if c.Fix != "" && (c.Status == Fail || c.Status == Warn) {
			fmt.Fprintf(&b, "      %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	verdict := "OK"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "%s: %d passed, %d warnings, %d failed, %d skipped\n",
		verdict, r.Summary[Pass], r.Summary[Warn], r.Summary[Fail], r.Summary[Skip])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
