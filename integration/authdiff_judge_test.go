package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/secevent"
)

// minPassword is the edge's documented password minimum (15 code points,
// README "Password policy"); the generator's weak passwords are shorter.
const minPassword = 15

// judgeCase decides one case from what the app's handler received and what
// the edge recorded, never by re-reading the request: fails lists what
// went wrong (empty: the case passes), how says how it passed or ended.
//
// A case passes when the edge refused it (the handler never ran and the
// answer is the edge's JSON error or Go's own 400), or when the handler
// received exactly the identity the edge counted: the sign-in's email is
// the one the lockout counted (its audit event) and the one the
// signin-email zone charged (a canonical probe for it right after sees
// one less); a password-reset request better-auth acted on (200) had its
// email charged by the reset-request-email zone; a new password the handler received
// passed the edge's policy (it is not one of the weak ones), and a
// sign-up's recorded email is the handler's.
func judgeCase(o authOutcome, events map[string][]secevent.Event, fresh map[string]int) (fails []string, how string) {
	if o.Err != nil {
		if o.Answer.status == 0 && !o.Reached {
			// The edge closed the connection without an answer and no
			// handler ran: nothing reached better-auth, so nothing to
			// disagree on. (Seen for methods such as "Post", which Node
			// refuses by closing while Caddy still sends the body.) Shown
			// in the summary, not failed: it is not a reading question.
			return nil, "edge closed without an answer, no handler ran"
		}
		return []string{"harness-error"}, "error"
	}
	evs := events["authdiff/"+o.ID]
	of := func(actions ...secevent.Action) []secevent.Event {
		var out []secevent.Event
		for _, e := range evs {
			for _, a := range actions {
				if e.Action == a {
					out = append(out, e)
				}
			}
		}
		return out
	}
	counted := of(secevent.ActionSignInFailed, secevent.ActionSignInSucceeded)
	status := o.Answer.status
	if !o.Reached {
		switch {
		case status >= 500:
			fails = append(fails, "5xx-without-handler")
		case o.Answer.refusal == "edge":
			var e struct{ Code string }
			_ = json.Unmarshal(o.Answer.body, &e)
			return nil, fmt.Sprintf("refused by the edge: %d %s", status, e.Code)
		case o.Answer.refusal == "http":
			return nil, "refused by Go's HTTP server"
		}
		if len(counted) > 0 {
			fails = append(fails, "signin-counted-but-not-handled")
		}
		return fails, fmt.Sprintf("forwarded, app refused before its handler: %d", status)
	}
	if status >= 500 {
		fails = append(fails, "app-5xx")
	}
	appEmail := ""
	if o.Rec.EmailLower != nil {
		appEmail = *o.Rec.EmailLower
	}
	weak := func(name string) bool {
		v, ok := o.Rec.Body[name].(string)
		return ok && utf8.RuneCountInString(v) < minPassword
	}
	probeCounted := func(zone string) bool { return o.ProbeRemaining == fresh[zone]-1 }
	switch o.endpoint() {
	case pathSignIn:
		switch {
		case o.Rec.EmailLower == nil:
			if len(counted) > 0 {
				fails = append(fails, "signin-counted-an-email-the-app-did-not-get")
			}
		case status == http.StatusUnauthorized:
			if len(counted) == 0 {
				fails = append(fails, "signin-not-counted-by-lockout")
			} else if counted[0].UserEmail != appEmail {
				fails = append(fails, "signin-lockout-counted-another-email")
			}
			if !probeCounted(zoneSignInEmail) {
				fails = append(fails, "signin-email-zone-not-charged")
			}
		}
	case pathSignUp:
		if weak("password") {
			fails = append(fails, "weak-password-reached-sign-up")
		}
		if status == http.StatusOK {
			ups := of(secevent.ActionSignUp)
			if len(ups) == 0 {
				fails = append(fails, "sign-up-not-recorded")
			} else if ups[0].UserEmail != appEmail {
				fails = append(fails, "sign-up-recorded-another-email")
			}
		}
	case pathResetPassword:
		if weak("newPassword") {
			fails = append(fails, "weak-password-reached-reset-password")
		}
	case pathChangePass:
		if weak("newPassword") {
			fails = append(fails, "weak-password-reached-change-password")
		}
	case pathRequestReset:
		// 200 is a request better-auth acted on (it answers 200 whether or
		// not the account exists); a 400 failed its validation, and
		// better-auth accepts only ASCII emails, so nothing was sent.
		if o.Rec.EmailLower != nil && status == http.StatusOK && !probeCounted(zoneResetEmail) {
			fails = append(fails, "reset-email-zone-not-charged")
		}
	}
	return fails, "handled by the app"
}

// authReport tallies a run.
type authReport struct {
	total   int
	how     map[string]int
	byKind  map[string][]authOutcome // failure kind → failing cases
	byMut   map[string]int           // mutation label → failing cases with it
	failing []authOutcome
	kindsOf map[string][]string // token → its failure kinds
}

func judgeAll(outs []authOutcome, events map[string][]secevent.Event, fresh map[string]int) *authReport {
	r := &authReport{total: len(outs), how: map[string]int{}, byKind: map[string][]authOutcome{},
		byMut: map[string]int{}, kindsOf: map[string][]string{}}
	for _, o := range outs {
		fails, how := judgeCase(o, events, fresh)
		r.how[how]++
		if len(fails) == 0 {
			continue
		}
		r.failing = append(r.failing, o)
		r.kindsOf[o.ID] = fails
		for _, f := range fails {
			r.byKind[f] = append(r.byKind[f], o)
		}
		for _, m := range o.Case.Kinds {
			r.byMut[m]++
		}
	}
	return r
}

// String is the summary: outcomes, failure kinds with counts and two
// examples each, and the mutations most often behind a failure.
func (r *authReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d cases, %d failed (%.2f%% pass)\n", r.total, len(r.failing),
		100*float64(r.total-len(r.failing))/float64(max(r.total, 1)))
	for _, k := range authdiffKeys(r.how) {
		fmt.Fprintf(&b, "  %-45s %d\n", k, r.how[k])
	}
	for _, k := range authdiffKeys(r.byKind) {
		cs := r.byKind[k]
		fmt.Fprintf(&b, "FAIL %s: %d cases\n", k, len(cs))
		for _, o := range cs[:min(2, len(cs))] {
			b.WriteString(describeOutcome(o))
		}
	}
	if len(r.byMut) > 0 {
		b.WriteString("mutations among failing cases:")
		for _, k := range authdiffKeys(r.byMut) {
			fmt.Fprintf(&b, " %s=%d", k, r.byMut[k])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func describeOutcome(o authOutcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    case %s %s %v\n", o.ID, o.Case.Path, o.Case.Kinds)
	for _, h := range o.Case.Headers {
		fmt.Fprintf(&b, "      header %s\n", strconv.Quote(h))
	}
	body := o.Case.Body
	if len(body) > 400 {
		body = body[:400]
	}
	fmt.Fprintf(&b, "      body   %s (chunked=%v)\n", strconv.Quote(string(body)), o.Case.Chunked)
	fmt.Fprintf(&b, "      edge answered %d (refusal=%q); handler ran=%v received=%v probe=%d",
		o.Answer.status, o.Answer.refusal, o.Reached, o.Rec.Body, o.ProbeRemaining)
	if o.Err != nil {
		fmt.Fprintf(&b, " error=%v", o.Err)
	}
	b.WriteString("\n")
	return b.String()
}

func authdiffKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
