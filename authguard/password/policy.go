package password

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ocomms/ocomms-edge/internal/jscase"
	"golang.org/x/text/unicode/norm"
)

// PasswordOptions configure the password policy (SEC-04).
type PasswordOptions struct {
	// MinLength is the least number of Unicode code points. Default 15
	// (NIST SP 800-63B rev 4 for a password used as the only factor; it
	// allows 8 only as part of multi-factor authentication).
	MinLength int
	// MaxLength is the most UTF-16 code units, as better-auth counts.
	// Default 128 (better-auth's own maximum).
	MaxLength int
	// Require lists composition rules: "upper", "lower", "digit", "symbol".
	// Off by default: NIST rev 4 forbids them.
	Require []string
	// MinScore is the least zxcvbn 4.4.2 score, 1 to 4 (3 means at
	// least 10^8 estimated guesses, 4 at least 10^10). Default 3. The
	// zero value means the default; set NoStrength to skip the estimate.
	MinScore int
	// NoStrength turns the zxcvbn strength estimate off (Caddyfile
	// `min_score 0`). Default false.
	NoStrength bool
	// ScoreLength is how many leading code points the strength estimate
	// reads, 16 to MaxScoreLength; it bounds the estimate's CPU cost, which
	// grows steeply with length. Default DefaultScoreLength (32). The
	// length, blocklist and context rules read the whole password.
	ScoreLength int
	// NoBlocklist turns the embedded blocklist off. Default false.
	NoBlocklist bool
	// Words are extra context words a password must not be built on
	// (besides the email, its local part and its parts, the name and
	// "ocomms"), such as the organisation's name or slug. Matched
	// case-insensitively. Default none.
	Words []string
}

// PasswordPolicy checks new passwords. It implements the auth guard's
// PasswordChecker.
type PasswordPolicy struct {
	opts    PasswordOptions
	require map[string]bool
	block   *blocklist // nil when NoBlocklist
}

// DefaultMinPasswordLength is the default minimum, in code points.
const DefaultMinPasswordLength = 15

// DefaultMaxPasswordLength is the default maximum, in UTF-16 code units.
const DefaultMaxPasswordLength = 128

// DefaultMinPasswordScore is the default least zxcvbn score.
const DefaultMinPasswordScore = 3

// NewPasswordPolicy validates the options and fills their defaults.
func NewPasswordPolicy(o PasswordOptions) (*PasswordPolicy, error) {
	if o.MinLength == 0 {
		o.MinLength = DefaultMinPasswordLength
	}
	if o.MaxLength == 0 {
		o.MaxLength = DefaultMaxPasswordLength
	}
	if o.MinLength < 1 || o.MaxLength < o.MinLength {
		return nil, fmt.Errorf("password lengths: min %d, max %d: need 1 <= min <= max", o.MinLength, o.MaxLength)
	}
	if o.MinScore == 0 {
		o.MinScore = DefaultMinPasswordScore
	}
	if o.MinScore < 0 || o.MinScore > 4 {
		return nil, fmt.Errorf("password min_score %d: use 0 to 4", o.MinScore)
	}
	if o.ScoreLength == 0 {
		o.ScoreLength = DefaultScoreLength
	}
	if o.ScoreLength < 16 || o.ScoreLength > MaxScoreLength {
		return nil, fmt.Errorf("password score_length %d: use 16 to %d", o.ScoreLength, MaxScoreLength)
	}
	for _, w := range o.Words {
		if strings.TrimSpace(w) == "" || !utf8.ValidString(w) {
			return nil, fmt.Errorf("password words: %q is not a word", w)
		}
	}
	p := &PasswordPolicy{opts: o, require: map[string]bool{}}
	if !o.NoBlocklist {
		b, err := loadBlocklist()
		if err != nil {
			return nil, fmt.Errorf("password policy: %w", err)
		}
		p.block = b
	}
	for _, r := range o.Require {
		switch r {
		case "upper", "lower", "digit", "symbol":
			p.require[r] = true
		default:
			return nil, fmt.Errorf("password require %q: use upper, lower, digit or symbol", r)
		}
	}
	return p, nil
}

// Options returns the options in force, defaults filled.
func (p *PasswordPolicy) Options() PasswordOptions { return p.opts }

// CheckPassword implements the auth guard's PasswordChecker. The rules run in this order,
// and the first that fails decides the answer (status 400):
//
//  1. not valid UTF-8: PASSWORD_TOO_WEAK (JSON cannot carry it; forms can);
//  2. fewer than MinLength code points: PASSWORD_TOO_SHORT;
//  3. more than MaxLength UTF-16 units: PASSWORD_TOO_LONG;
//  4. the whole password, lower-cased, is in the blocklist, as typed or
//     in Unicode compatibility form (NFKC: full-width "ｐａｓｓｗｏｒｄ" is
//     "password"): PASSWORD_COMPROMISED;
//  5. half or more of its NFKC form is context words (see
//     builtOnContext): PASSWORD_TOO_WEAK;
//  6. a Require rule is not met: PASSWORD_TOO_WEAK;
//  7. the zxcvbn score of the first ScoreLength code points of its NFKC
//     form, with the context words as user inputs, is below MinScore:
//     PASSWORD_TOO_WEAK, naming the patterns found.
//
// The length and composition rules read the password as typed, since
// that is what better-auth hashes. Messages never contain the password
// or any part of it.
func (p *PasswordPolicy) CheckPassword(password string, context []string) *Refusal {
	if !utf8.ValidString(password) {
		return refuse(http.StatusBadRequest, "PASSWORD_TOO_WEAK", "The password is not valid text.")
	}
	if n := utf8.RuneCountInString(password); n < p.opts.MinLength {
		return refuse(http.StatusBadRequest, "PASSWORD_TOO_SHORT",
			fmt.Sprintf("Use at least %d characters; this password has %d. A few unrelated words make a long password easy to remember.", p.opts.MinLength, n))
	}
	if n := utf16Len(password); n > p.opts.MaxLength {
		return refuse(http.StatusBadRequest, "PASSWORD_TOO_LONG",
			fmt.Sprintf("Use at most %d characters.", p.opts.MaxLength))
	}
	folded := norm.NFKC.String(password)
	if p.block != nil && (p.block.has(jscase.ToLower(password)) || p.block.has(jscase.ToLower(folded))) {
		return refuse(http.StatusBadRequest, "PASSWORD_COMPROMISED", compromisedMessage)
	}
	words := contextWords(p.opts.Words, context)
	if builtOnContext(folded, words) {
		return refuse(http.StatusBadRequest, "PASSWORD_TOO_WEAK", contextMessage)
	}
	if r := p.checkComposition(password); r != nil {
		return r
	}
	if !p.opts.NoStrength {
		est := strength(folded, p.opts.ScoreLength, words)
		if est.score < p.opts.MinScore {
			return refuse(http.StatusBadRequest, "PASSWORD_TOO_WEAK", weakMessage(est.reasons))
		}
	}
	return nil
}

const compromisedMessage = "This password appears in lists of leaked passwords that attackers try first. " +
	"Choose a different one: a few unrelated words make a password that is strong and easy to remember."

const contextMessage = "Don't build the password on your email address, your name or the site's name: " +
	"attackers try those first. Use a few unrelated words instead."

func (p *PasswordPolicy) checkComposition(password string) *Refusal {
	if len(p.require) == 0 {
		return nil
	}
	var has = map[string]bool{}
	for _, c := range password {
		switch {
		case unicode.IsUpper(c):
			has["upper"] = true
		case unicode.IsLower(c):
			has["lower"] = true
		case unicode.IsDigit(c):
			has["digit"] = true
		default:
			has["symbol"] = true
		}
	}
	names := map[string]string{"upper": "an upper-case letter", "lower": "a lower-case letter", "digit": "a digit", "symbol": "a symbol"}
	for _, r := range []string{"upper", "lower", "digit", "symbol"} {
		if p.require[r] && !has[r] {
			return refuse(http.StatusBadRequest, "PASSWORD_TOO_WEAK", "Add "+names[r]+" to the password.")
		}
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
