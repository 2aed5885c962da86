package password

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/match"
)

// alice is the context the guard would pass for a sign-up by Alice.
var alice = []string{"alice.smith-jones@example.com", "Alice Smith-Jones"}

func newPolicy(t testing.TB, o PasswordOptions) *PasswordPolicy {
	t.Helper()
	p, err := NewPasswordPolicy(o)
	if err != nil {
		t.Fatalf("NewPasswordPolicy(%+v): %v", o, err)
	}
	return p
}

// wantRefusal checks the code, status and that the message neither is
// empty nor echoes the password.
func wantRefusal(t *testing.T, p *PasswordPolicy, pw string, ctx []string, code, inMessage string) *Refusal {
	t.Helper()
	r := p.CheckPassword(pw, ctx)
	if r == nil {
		t.Fatalf("%q: accepted, want %s", pw, code)
	}
	if r.Code != code || r.Status != 400 {
		t.Fatalf("%q: got %d %s (%s), want 400 %s", pw, r.Status, r.Code, r.Message, code)
	}
	if !strings.Contains(r.Message, inMessage) {
		t.Fatalf("%q: message %q lacks %q", pw, r.Message, inMessage)
	}
	noEcho(t, pw, r)
	return r
}

func noEcho(t *testing.T, pw string, r *Refusal) {
	t.Helper()
	if !knownMessage(r.Message) {
		t.Fatalf("refusal of %q: message not built from the fixed texts: %q", pw, r.Message)
	}
}

func wantAccepted(t *testing.T, p *PasswordPolicy, pw string, ctx []string) {
	t.Helper()
	if r := p.CheckPassword(pw, ctx); r != nil {
		t.Fatalf("%q: refused %s: %s", pw, r.Code, r.Message)
	}
}

func TestPasswordOptionsDefaults(t *testing.T) {
	o := newPolicy(t, PasswordOptions{}).Options()
	if o.MinLength != 15 || o.MaxLength != 128 || o.MinScore != 3 || o.ScoreLength != 32 ||
		o.NoBlocklist || o.NoStrength || len(o.Require) != 0 {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestPasswordOptionsInvalid(t *testing.T) {
	for name, o := range map[string]PasswordOptions{
		"min above max":     {MinLength: 20, MaxLength: 16},
		"negative min":      {MinLength: -1},
		"score 5":           {MinScore: 5},
		"negative score":    {MinScore: -1},
		"unknown rule":      {Require: []string{"emoji"}},
		"score length 8":    {ScoreLength: 8},
		"score length 65":   {ScoreLength: 65},
		"empty word":        {Words: []string{"acme", " "}},
		"invalid utf8 word": {Words: []string{"\xff"}},
	} {
		if _, err := NewPasswordPolicy(o); err == nil {
			t.Errorf("%s: %+v accepted", name, o)
		}
	}
}

func TestPasswordLengthInCodePoints(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	wantRefusal(t, p, "tiny", nil, "PASSWORD_TOO_SHORT", "at least 15 characters; this password has 4")
	// 14 emoji are 28 UTF-16 units and 56 bytes but 14 characters.
	emoji14 := distinctEmoji(14)
	wantRefusal(t, p, emoji14, nil, "PASSWORD_TOO_SHORT", "this password has 14")
	// 15 distinct emoji are enough characters and no pattern.
	wantAccepted(t, p, distinctEmoji(15), nil)
	// "é" written as e + combining accent is two code points, as NIST counts.
	wantAccepted(t, p, strings.Repeat("e\u0301", 4)+" plum ferry"+"x", nil)
}

func TestPasswordMaxLengthInUTF16Units(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	// 64 emoji are 128 UTF-16 units: allowed; one more is 130: too long.
	wantAccepted(t, p, distinctEmoji(64), nil)
	wantRefusal(t, p, distinctEmoji(65), nil, "PASSWORD_TOO_LONG", "at most 128 characters")
	// 127 ASCII + one emoji is 129 units even though it is 128 characters.
	base := passphraseOf(127)
	wantAccepted(t, p, base, nil)
	wantRefusal(t, p, base+"😀", nil, "PASSWORD_TOO_LONG", "at most 128")
	wantAccepted(t, p, base+"é", nil) // 128 units
}

func TestPasswordInvalidUTF8(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	for _, pw := range []string{
		"correct horse battery \xff staple",
		"correct horse battery \xed\xa0\x80 staple", // a UTF-16 surrogate, encoded
		"correct horse battery staple\xc3",          // truncated sequence
	} {
		wantRefusal(t, p, pw, nil, "PASSWORD_TOO_WEAK", "not valid text")
	}
}

// TestPasswordCompatibilityForms: full-width and other compatibility
// spellings are checked in their NFKC form, so they gain nothing.
func TestPasswordCompatibilityForms(t *testing.T) {
	p := newPolicy(t, PasswordOptions{MinLength: 8})
	wantRefusal(t, p, "ｐａｓｓｗｏｒｄ", nil, "PASSWORD_COMPROMISED", "leaked passwords")
	wantRefusal(t, p, "ＰＡＳＳＷＯＲＤ", nil, "PASSWORD_COMPROMISED", "leaked passwords")
	d := newPolicy(t, PasswordOptions{})
	wantRefusal(t, d, "ＡｌｉｃｅＳｍｉｔｈ２０２４！！！", alice, "PASSWORD_TOO_WEAK", "Don't build")
	wantRefusal(t, d, "ｑｗｅｒｔｙｕｉｏｐａｓｄｆｇｈｊｋｌ", nil, "PASSWORD_TOO_WEAK", "commonly used password")
	// NFKC is not used for the length: ﬃ (one code point) counts once.
	wantRefusal(t, d, strings.Repeat("ﬃ", 14), nil, "PASSWORD_TOO_SHORT", "has 14")
}

func TestPasswordComposition(t *testing.T) {
	p := newPolicy(t, PasswordOptions{Require: []string{"upper", "lower", "digit", "symbol"}})
	wantRefusal(t, p, "plum ferry lantern quota", nil, "PASSWORD_TOO_WEAK", "Add an upper-case letter")
	wantRefusal(t, p, "PLUM FERRY LANTERN QUOTA", nil, "PASSWORD_TOO_WEAK", "Add a lower-case letter")
	wantRefusal(t, p, "Plum ferry lantern quota", nil, "PASSWORD_TOO_WEAK", "Add a digit")
	wantRefusal(t, p, "Plum9ferry4lantern2quota", nil, "PASSWORD_TOO_WEAK", "Add a symbol")
	wantAccepted(t, p, "Plum ferry 4 lantern quota", nil) // the space is the symbol
	// Unicode letters and digits count: É is upper, ж lower, ٣ a digit.
	wantAccepted(t, p, "Élan жук ٣ lantern quota!", nil)
	// Off by default: the same password without upper case or digits passes.
	wantAccepted(t, newPolicy(t, PasswordOptions{}), "plum ferry lantern quota", nil)
	// Composition rules never rescue a weak password.
	wantRefusal(t, p, "Aa1!Aa1!Aa1!Aa1!", nil, "PASSWORD_TOO_WEAK", "repeats")
}

func TestPasswordContextWords(t *testing.T) {
	p := newPolicy(t, PasswordOptions{Words: []string{"AcmeCorp"}})
	for _, pw := range []string{
		"alice.smith-jones@example.com", // the email itself
		"AliceSmith2024!!!",             // name parts and a year
		"Al1ce-Sm1th-Al1ce",             // l33t spelling of the name
		"ecila htims jones",             // reversed
		"smithjonesalice",               // local part pieces, reordered
		"ocomms ocomms ocomms",          // the site's name
		"OComms-OComms-2026",            // the site's name, twice
		"acmecorp-acmecorp-9",           // a configured word
		"exampleexample12!",             // the email's domain
	} {
		wantRefusal(t, p, pw, alice, "PASSWORD_TOO_WEAK", "Don't build the password on your email address, your name or the site's name")
	}
	// A context word among enough unrelated words is left to the estimate.
	wantAccepted(t, p, "alice plum ferry lantern quota", alice)
	// Without the context the same password is not a context refusal.
	if r := p.CheckPassword("AliceSmith2024!!!", nil); r != nil && strings.Contains(r.Message, "Don't build") {
		t.Fatalf("no context given, still a context refusal: %s", r.Message)
	}
	// Short parts ("al", "li") do not count: they occur by chance.
	wantAccepted(t, newPolicy(t, PasswordOptions{}), "pal lilac ferry quota", []string{"al.li@example.org", "Al Li"})
}

// TestPasswordContextHalfBoundary: context words covering exactly half
// the password refuse it; one character less than half does not.
func TestPasswordContextHalfBoundary(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	ctx := []string{"qzxvbrtplk@example.com"}
	wantRefusal(t, p, "qzxvbrtplk"+"m9#Lw2$Xp4", ctx, "PASSWORD_TOO_WEAK", "Don't build")
	wantAccepted(t, p, "qzxvbrtplk"+"m9#Lw2$Xp4v", ctx)
	// The same two halves, the word written in l33t: still half.
	wantRefusal(t, p, "qzxvbr7p1k"+"m9#Lw2$Xp4", ctx, "PASSWORD_TOO_WEAK", "Don't build")
}

// TestPasswordContextAsUserInputs: a rare word that only the context
// makes guessable is caught by the strength estimate, which gets the
// context words as user inputs, and the message says why.
func TestPasswordContextAsUserInputs(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	pw := "qzxvbrtplk" + strings.Repeat("7", 11) // 10 of 21 characters: under half
	wantAccepted(t, p, pw, nil)
	wantRefusal(t, p, pw, []string{"qzxvbrtplk@example.com"}, "PASSWORD_TOO_WEAK", "your email address, your name or the site's name")
}

func TestPasswordStrengthMessages(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	for _, c := range []struct {
		pw      string
		reasons []string
	}{
		{"aaaaaaaaaaaaaaaaaaaa", []string{"repeats a character"}},
		{"qwertyuiopasdfghjkl", []string{"commonly used password"}},
		{"zxcvbnm,./;lkjhgf", []string{"keyboard pattern"}},
		{"abcdefghijklmnopqrs", []string{"run of letters or digits in order"}},
		{"Password1234567", []string{"commonly used password"}},
		{"P4ssw0rd!P4ssw0rd!", []string{"repeats", "look-alikes"}},
		{"p@ssw0rd12345678", []string{"look-alikes"}},
		{"jennifer12051985", []string{"a date", "common names"}},
		{"michaeljennifer", []string{"common names"}},
	} {
		r := wantRefusal(t, p, c.pw, nil, "PASSWORD_TOO_WEAK", "too easy to guess: ")
		for _, want := range c.reasons {
			if !strings.Contains(r.Message, want) {
				t.Errorf("%q: message %q lacks %q", c.pw, r.Message, want)
			}
		}
		if !strings.Contains(r.Message, "unrelated words") {
			t.Errorf("%q: no suggestion in %q", c.pw, r.Message)
		}
	}
}

func TestReasonForEveryPattern(t *testing.T) {
	for _, c := range []struct {
		m    match.Match
		want string
	}{
		{match.Match{Pattern: "dictionary", DictionaryName: "passwords"}, "commonly used password"},
		{match.Match{Pattern: "dictionary", DictionaryName: "english_wikipedia"}, "very common words"},
		{match.Match{Pattern: "dictionary", DictionaryName: "us_tv_and_film"}, "very common words"},
		{match.Match{Pattern: "dictionary", DictionaryName: "surnames"}, "common names"},
		{match.Match{Pattern: "dictionary", DictionaryName: "user_inputs"}, "your email address"},
		{match.Match{Pattern: "dictionary", DictionaryName: "other"}, "common words"},
		{match.Match{Pattern: "dictionary", DictionaryName: "passwords", L33t: true}, "look-alikes"},
		{match.Match{Pattern: "dictionary", DictionaryName: "passwords", Reversed: true}, "backwards"},
		{match.Match{Pattern: "spatial"}, "keyboard pattern"},
		{match.Match{Pattern: "repeat"}, "repeats"},
		{match.Match{Pattern: "sequence"}, "in order"},
		{match.Match{Pattern: "regex", RegexName: "recent_year"}, "recent year"},
		{match.Match{Pattern: "regex", RegexName: "other"}, "common pattern"},
		{match.Match{Pattern: "date"}, "a date"},
		{match.Match{Pattern: "bruteforce"}, ""},
	} {
		got := reasonFor(&c.m)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want it to contain %q", c.m, got, c.want)
		}
	}
	if got := weakReasons([]*match.Match{{Pattern: "bruteforce", Token: "x"}}); len(got) != 1 || got[0] != reasonShort {
		t.Errorf("bruteforce only: %q", got)
	}
}

func TestPasswordStrengthNonASCIIRepeats(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	for _, pw := range []string{
		strings.Repeat("😀", 15),
		strings.Repeat("é", 20),
		strings.Repeat("жук", 6),
		"Ω" + strings.Repeat("ab", 10),
		strings.Repeat("🎉🐍", 10),
	} {
		wantRefusal(t, p, pw, nil, "PASSWORD_TOO_WEAK", "repeats")
	}
	// Distinct non-ASCII characters are fine.
	wantAccepted(t, p, "жёлтый кот спит на крыше", nil)
}

func TestPasswordStrengthScoresOnlyThePrefix(t *testing.T) {
	p := newPolicy(t, PasswordOptions{})
	strong := "plum ferry lantern quota" // 24 characters
	// What follows the first 32 code points is not scored...
	wantAccepted(t, p, strong+strings.Repeat("a", 100), nil)
	// ...so 32 weak characters first are refused, whatever comes after.
	wantRefusal(t, p, strings.Repeat("a", 32)+strong, nil, "PASSWORD_TOO_WEAK", "repeats")
	// With ScoreLength 64 the strong part is read too.
	p64 := newPolicy(t, PasswordOptions{ScoreLength: 64})
	wantAccepted(t, p64, strings.Repeat("a", 32)+strong, nil)
	var seen []int
	scoreHook = func(prefix string) { seen = append(seen, utf8.RuneCountInString(prefix)) }
	t.Cleanup(func() { scoreHook = nil })
	p.CheckPassword(distinctEmoji(60), nil)
	p64.CheckPassword(distinctEmoji(60), nil)
	if len(seen) != 2 || seen[0] != 32 || seen[1] != 60 {
		t.Fatalf("scored prefix lengths %v, want [32 60]", seen)
	}
}

func TestPasswordMinScoreAndNoStrength(t *testing.T) {
	const two = "jennifermichael12"  // zxcvbn 4.4.2: 2.2e6 guesses, score 2
	const three = "jennifer michael" // 1e8 guesses, score 3
	if s2, s3 := strength(two, 32, nil).score, strength(three, 32, nil).score; s2 != 2 || s3 != 3 {
		t.Fatalf("scores %d and %d, want 2 and 3", s2, s3)
	}
	wantRefusal(t, newPolicy(t, PasswordOptions{}), two, nil, "PASSWORD_TOO_WEAK", "too easy to guess")
	wantAccepted(t, newPolicy(t, PasswordOptions{MinScore: 2}), two, nil)
	wantAccepted(t, newPolicy(t, PasswordOptions{NoStrength: true}), two, nil)
	wantAccepted(t, newPolicy(t, PasswordOptions{}), three, nil)
	wantRefusal(t, newPolicy(t, PasswordOptions{MinScore: 4}), three, nil, "PASSWORD_TOO_WEAK", "too easy to guess")
}

func TestGuessesScoreThresholds(t *testing.T) {
	for g, want := range map[float64]int{1: 0, 1004: 0, 1006: 1, 1e6 + 6: 2, 1e8 + 4: 2, 1e8 + 6: 3, 1e10 + 6: 4} {
		if got := guessesScore(g); got != want {
			t.Errorf("guessesScore(%g) = %d, want %d", g, got, want)
		}
	}
}

func TestCollapseRepeats(t *testing.T) {
	for in, want := range map[string]struct {
		s string
		f float64
	}{
		"abc":         {"abc", 1},
		"ééé":         {"é", 3},
		"xababab":     {"xab", 3},
		"😀😀🎉🎉🎉":       {"😀🎉", 6},
		"aabaab":      {"aab", 2},
		"жукжукжук!!": {"жук!", 6},
	} {
		s, f := collapseRepeats(in)
		if s != want.s || f != want.f {
			t.Errorf("collapseRepeats(%q) = %q, %g; want %q, %g", in, s, f, want.s, want.f)
		}
	}
}

func TestContextWordsDerivation(t *testing.T) {
	got := contextWords([]string{"AcmeCorp"}, []string{"Bob.O'Neil+chat@Mail.Example.com", "  Bob  O'Neil "})
	for _, w := range []string{"ocomms", "acmecorp", "bob.o'neil+chat@mail.example.com", "bob.o'neil+chat", "bob", "o'neil", "chat", "mail", "example", "bob  o'neil"} {
		if !containsString(got, w) {
			t.Errorf("context words %q lack %q", got, w)
		}
	}
	// A long name cannot produce more than the cap of request words.
	many := contextWords(nil, []string{strings.Repeat("word", 1) + strings.Repeat(" x1234567", 500)})
	if len(many) > maxContextWords+1 {
		t.Fatalf("%d context words, cap %d", len(many), maxContextWords)
	}
}

// distinctEmoji is n different emoji in a scrambled order (consecutive
// code points would be a sequence).
func distinctEmoji(n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteRune(rune(0x1F300 + (i*37)%0x200))
	}
	return sb.String()
}

// passphraseOf is a strong ASCII passphrase of exactly n characters.
func passphraseOf(n int) string {
	s := strings.Repeat("plum ferry lantern quota glimmer vestibule orchard tundra ", 4)
	return s[:n]
}
