package authguard

import (
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// PasswordOptions configure the password policy (SEC-04).
type PasswordOptions struct {
	// MinLength is the least number of Unicode code points. Default 15
	// (NIST SP 800-63B rev 4 for a password used as the only factor).
	MinLength int
	// MaxLength is the most UTF-16 code units, as better-auth counts.
	// Default 128 (better-auth's own maximum).
	MaxLength int
	// Require lists composition rules: "upper", "lower", "digit", "symbol".
	// Off by default: NIST rev 4 forbids them.
	Require []string
	// MinScore is the least zxcvbn-equivalent score, 0 to 4. Default 3.
	MinScore int
	// NoBlocklist turns the embedded blocklist off.
	NoBlocklist bool
	// Words are extra context words a password must not be built on
	// (besides the email, its local part, the name and "ocomms").
	Words []string
}

// PasswordPolicy checks new passwords. It implements PasswordChecker.
type PasswordPolicy struct {
	opts    PasswordOptions
	require map[string]bool
}

// DefaultMinPasswordLength is the default minimum, in code points.
const DefaultMinPasswordLength = 15

// DefaultMaxPasswordLength is the default maximum, in UTF-16 code units.
const DefaultMaxPasswordLength = 128

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
		o.MinScore = 3
	}
	if o.MinScore < 0 || o.MinScore > 4 {
		return nil, fmt.Errorf("password min_score %d: use 0 to 4", o.MinScore)
	}
	p := &PasswordPolicy{opts: o, require: map[string]bool{}}
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

// CheckPassword implements PasswordChecker.
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
	if r := p.checkComposition(password); r != nil {
		return r
	}
	return nil
}

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

var _ PasswordChecker = (*PasswordPolicy)(nil)
