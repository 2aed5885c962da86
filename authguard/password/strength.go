package password

import (
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// DefaultScoreLength is how many leading code points the strength estimate
// reads by default. zxcvbn's cost grows steeply with length (measured on
// 2 cores, worst inputs: 23 ms at 32, 73 ms at 48, 156 ms at 64), and 32
// characters that score 3 or more are strong whatever follows; the
// blocklist, context and length rules still read the whole password.
const DefaultScoreLength = 32

// MaxScoreLength is the largest ScoreLength accepted.
const MaxScoreLength = 64

// scoreSlots bounds how many strength estimates run at once to GOMAXPROCS
// (taken at first use), so a burst of sign-ups queues for CPU instead of
// multiplying it, and each estimate's latency stays that of one core.
var (
	scoreSlotsOnce sync.Once
	scoreSlots     chan struct{}
)

// scoreHook, when set by a test, runs while a slot is held, with the
// prefix about to be scored.
var scoreHook func(prefix string)

// scoringNow and scoringPeak count the estimates running now and the most
// ever seen at once (tests and benchmarks read them).
var scoringNow, scoringPeak atomic.Int64

func acquireScoreSlot() {
	scoreSlotsOnce.Do(func() { scoreSlots = make(chan struct{}, runtime.GOMAXPROCS(0)) })
	scoreSlots <- struct{}{}
}

func releaseScoreSlot() { <-scoreSlots }

// estimate is the strength of a password prefix: a zxcvbn score and the
// phrases that explain a low one.
type estimate struct {
	score   int
	guesses float64
	reasons []string
}

// strength is the zxcvbn 4.4.2 estimate of the first n code points of
// password, with the context words as user inputs, run in a score slot.
func strength(password string, n int, userInputs []string) estimate {
	prefix := truncateRunes(password, n)
	acquireScoreSlot()
	defer releaseScoreSlot()
	now := scoringNow.Add(1)
	defer scoringNow.Add(-1)
	for peak := scoringPeak.Load(); now > peak && !scoringPeak.CompareAndSwap(peak, now); peak = scoringPeak.Load() {
	}
	if scoreHook != nil {
		scoreHook(prefix)
	}
	res := zxcvbn.PasswordStrength(prefix, userInputs)
	est := estimate{score: res.Score, guesses: res.Guesses, reasons: weakReasons(res.Sequence)}
	if !isASCII(prefix) {
		// trustelem v1.0.1 works on bytes where zxcvbn works on UTF-16
		// units, and its repeat matcher ends a match inside the last
		// multi-byte character, so repeats of non-ASCII characters are
		// never scored ("é" x 32 gets 10^32 guesses). Estimate such a
		// password a second time as an attacker who guesses the repeated
		// unit and then the count would: the prefix with every repeat run
		// collapsed to one unit, times the counts. Keep the lower estimate.
		if collapsed, factor := collapseRepeats(prefix); factor > 1 {
			r2 := zxcvbn.PasswordStrength(collapsed, userInputs)
			if g := r2.Guesses * factor; g < est.guesses {
				reasons := []string{reasonRepeat}
				if rs := weakReasons(r2.Sequence); rs[0] != reasonShort && rs[0] != reasonRepeat {
					reasons = append(reasons, rs[0])
				}
				est = estimate{score: guessesScore(g), guesses: g, reasons: reasons}
			}
		}
	}
	return est
}

// guessesScore maps estimated guesses to a score as zxcvbn 4.4.2 does.
func guessesScore(g float64) int {
	const delta = 5
	switch {
	case g < 1e3+delta:
		return 0
	case g < 1e6+delta:
		return 1
	case g < 1e8+delta:
		return 2
	case g < 1e10+delta:
		return 3
	}
	return 4
}

// collapseRepeats replaces every run of a repeated unit of code points
// ("ab" in "ababab") by one unit, scanning left to right and taking at
// each position the unit whose run covers the most characters (the
// shortest on a tie). It returns the result and the product of the
// repeat counts (1 when nothing repeats).
func collapseRepeats(s string) (string, float64) {
	r := []rune(s)
	var out []rune
	factor := 1.0
	for i := 0; i < len(r); {
		bestLen, bestCount := 1, 1
		for b := 1; i+2*b <= len(r); b++ {
			k := 1
			for i+(k+1)*b <= len(r) && runesEqual(r[i:i+b], r[i+k*b:i+(k+1)*b]) {
				k++
			}
			if k >= 2 && b*k > bestLen*bestCount {
				bestLen, bestCount = b, k
			}
		}
		out = append(out, r[i:i+bestLen]...)
		factor *= float64(bestCount)
		i += bestLen * bestCount
	}
	return string(out), factor
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const (
	reasonRepeat = "it repeats a character or a group of characters"
	reasonShort  = "it is short for the kinds of characters it uses"
)

// weakReasons turns zxcvbn's match sequence into at most two phrases a
// person can act on, longest match first (zxcvbn's own feedback picks the
// longest match too; the Go port has no feedback text). The phrases name
// the kind of pattern, never the characters matched: the message must not
// echo any part of the password.
func weakReasons(seq []*match.Match) []string {
	ms := append([]*match.Match(nil), seq...)
	sort.SliceStable(ms, func(a, b int) bool {
		return utf8.RuneCountInString(ms[a].Token) > utf8.RuneCountInString(ms[b].Token)
	})
	// A repeat's base (what is repeated) can itself be a pattern worth
	// naming: "Summer2025!Summer2025!" repeats a common password.
	var flat []*match.Match
	for _, m := range ms {
		flat = append(flat, m)
		if m.Pattern == "repeat" {
			flat = append(flat, m.BaseMatches...)
		}
	}
	var out []string
	for _, m := range flat {
		r := reasonFor(m)
		if r == "" || containsString(out, r) {
			continue
		}
		out = append(out, r)
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		out = append(out, reasonShort)
	}
	return out
}

func reasonFor(m *match.Match) string {
	switch m.Pattern {
	case "dictionary":
		var r string
		switch m.DictionaryName {
		case "passwords":
			r = "it is built on a commonly used password"
		case "english_wikipedia", "us_tv_and_film":
			r = "it is built on a few very common words"
		case "male_names", "female_names", "surnames":
			r = "it is built on common names"
		case "user_inputs":
			r = "it is built on your email address, your name or the site's name"
		default:
			r = "it is built on common words"
		}
		switch {
		case m.L33t:
			r += ", and swapping letters for look-alikes (such as @ for a or 0 for o) does not fool attackers"
		case m.Reversed:
			r += ", and spelling words backwards does not fool attackers"
		}
		return r
	case "spatial":
		return "it contains a keyboard pattern (keys next to each other)"
	case "repeat":
		return reasonRepeat
	case "sequence":
		return "it contains a run of letters or digits in order, such as abc or 9876"
	case "regex":
		if m.RegexName == "recent_year" {
			return "it contains a recent year"
		}
		return "it follows a common pattern"
	case "date":
		return "it contains a date"
	}
	return "" // bruteforce: no pattern to name
}

// weakMessage is the PASSWORD_TOO_WEAK message for a low score.
func weakMessage(reasons []string) string {
	return "This password is too easy to guess: " + strings.Join(reasons, "; ") +
		". Add two or three unrelated words: four or more random words make a password that is strong and easy to remember."
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
