package integration

import (
	"fmt"
	"math/rand"
	"strings"
)

// authCase is one request of the differential auth test: where it goes,
// its header lines and body exactly as sent, and labels of the mutations
// that made it (for tallies and fixture names). Every email in it carries
// the case's token, so the app's and the edge's records of it are its own.
type authCase struct {
	// Token names the case: in its emails, X-Test-Id and User-Agent.
	Token string
	// Method is the request method; "" is POST.
	Method string
	// Path is the request path, e.g. /api/auth/sign-in/email.
	Path string
	// Headers are raw header lines ("Name: value", any bytes) besides
	// Host, User-Agent, X-Test-Id, X-Forwarded-For and the framing.
	Headers []string
	// Body is sent as is.
	Body []byte
	// Chunked sends the body with Transfer-Encoding: chunked.
	Chunked bool
	// Kinds label the mutations: "ct:…" for the Content-Type, "body:…".
	Kinds []string
}

// Endpoints of the differential test: every path where the auth guard or a
// body-keyed rate-limit zone of the ocomms preset reads an identity field.
// (/forget-password is in the preset's reset zones too, but better-auth
// 1.4 no longer serves it: it answers 404 before any handler.)
const (
	pathSignIn        = "/api/auth/sign-in/email"
	pathSignUp        = "/api/auth/sign-up/email"
	pathRequestReset  = "/api/auth/request-password-reset"
	pathResetPassword = "/api/auth/reset-password"
	pathChangePass    = "/api/auth/change-password"
)

// weakPasswordLen: every weak password the generator places is this long,
// shorter than the edge's minimum (15 code points); every strong one is
// longer than the minimum and random.
const weakPasswordLen = 11

// authGen makes cases from a seed: the same seed gives the same cases.
type authGen struct {
	rnd  *rand.Rand
	seed int64
}

func newAuthGen(seed int64) *authGen {
	return &authGen{rnd: rand.New(rand.NewSource(seed)), seed: seed}
}

func (g *authGen) pick(options ...string) string { return options[g.rnd.Intn(len(options))] }
func (g *authGen) chance(p float64) bool         { return g.rnd.Float64() < p }

const alnum = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func (g *authGen) randString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rnd.Intn(len(alnum))]
	}
	return string(b)
}

func (g *authGen) strongPassword() string { return "Sx-" + g.randString(21) }
func (g *authGen) weakPassword() string   { return "weakpw" + g.randString(weakPasswordLen-6) }

// bodyField is one name/value pair of a body, in order.
type bodyField struct{ name, value string }

// fieldSets returns two sets of the endpoint's fields for case token:
// a (the body's main fields) and b (decoys: other emails, and the other
// kind of password, so a reader that picks the wrong one shows).
func (g *authGen) fieldSets(path, token string) (a, b []bodyField) {
	email := func(tag string) string {
		e := token + "-" + tag + "@authdiff.test"
		switch {
		case g.chance(0.08):
			e = strings.ToUpper(e)
		case g.chance(0.04):
			e = strings.Replace(e, "authdiff", "authd\u0130ff", 1) // İ: lower-cased differently by Go and JavaScript
		case g.chance(0.03):
			e = strings.Replace(e, "authdiff", "authdi\u212Aff", 1) // Kelvin sign
		case g.chance(0.03):
			e = " " + e + " "
		}
		return e
	}
	pw := func() (string, string) {
		if g.chance(0.5) {
			return g.weakPassword(), g.strongPassword()
		}
		return g.strongPassword(), g.weakPassword()
	}
	switch path {
	case pathSignIn:
		a = []bodyField{{"email", email("a")}, {"password", g.strongPassword()}}
		b = []bodyField{{"email", email("b")}, {"password", g.strongPassword()}}
	case pathSignUp:
		p1, p2 := pw()
		a = []bodyField{{"email", email("a")}, {"password", p1}, {"name", "Case " + token}}
		b = []bodyField{{"email", email("b")}, {"password", p2}, {"name", "Decoy " + token}}
	case pathRequestReset:
		a = []bodyField{{"email", email("a")}, {"redirectTo", "/reset"}}
		b = []bodyField{{"email", email("b")}, {"redirectTo", "/reset"}}
	case pathResetPassword:
		p1, p2 := pw()
		a = []bodyField{{"newPassword", p1}, {"token", "tok" + g.randString(20)}}
		b = []bodyField{{"newPassword", p2}, {"token", "tok" + g.randString(20)}}
	case pathChangePass:
		p1, p2 := pw()
		a = []bodyField{{"newPassword", p1}, {"currentPassword", g.strongPassword()}}
		b = []bodyField{{"newPassword", p2}, {"currentPassword", g.strongPassword()}}
	}
	if g.chance(0.15) {
		// Fewer fields: drop one of the main set (often the identity one).
		i := 0
		if g.chance(0.4) && len(a) > 1 {
			i = 1 + g.rnd.Intn(len(a)-1)
		}
		a = append(append([]bodyField(nil), a[:i]...), a[i+1:]...)
	}
	return a, b
}

// next makes case number n.
func (g *authGen) next(n int) authCase {
	token := fmt.Sprintf("s%dc%d", g.seed, n)
	path := g.pick(pathSignIn, pathSignIn, pathSignIn, pathSignIn, pathSignUp, pathSignUp, pathSignUp,
		pathRequestReset, pathRequestReset, pathRequestReset, pathResetPassword, pathChangePass)
	c := authCase{Token: token, Path: path}
	a, b := g.fieldSets(path, token)
	boundary := "----authdiff" + g.randString(12)

	var bodyKind string
	c.Body, bodyKind = g.body(a, b, boundary)
	c.Kinds = append(c.Kinds, "body:"+bodyKind)

	ct, ctKinds := g.contentType(bodyKind, boundary)
	c.Kinds = append(c.Kinds, ctKinds...)
	c.Headers = ct
	if g.chance(0.05) {
		c.Chunked = true
		c.Kinds = append(c.Kinds, "chunked")
	}
	if path == pathChangePass {
		// A session cookie (not a valid one: the handler still runs, and
		// answers 401), which the edge requires before it reads on.
		c.Headers = append(c.Headers, "Cookie: better-auth.session_token=fake"+token)
	}
	if g.chance(0.04) {
		c.Headers = append(c.Headers, "Content-Encoding: "+g.pick("gzip", "identity", "deflate", "br"))
		c.Kinds = append(c.Kinds, "content-encoding")
	}
	if g.chance(0.1) {
		c.Path = g.mutatePath(path, b)
		c.Kinds = append(c.Kinds, "path")
	}
	if g.chance(0.03) {
		c.Method = g.pick("post", "Post", "PUT", "PATCH", "DELETE")
		c.Kinds = append(c.Kinds, "method")
	}
	return c
}

// mutatePath spells path another way that some router might still take
// for it (the judge goes by the endpoint whose handler ran).
func (g *authGen) mutatePath(path string, decoys []bodyField) string {
	rest := strings.TrimPrefix(path, "/api/auth")
	switch g.rnd.Intn(16) {
	case 11:
		return "/api/auth/%2e" + rest
	case 12:
		return "/api/auth/%2E%2E/auth" + rest
	case 13:
		return "/api/auth" + strings.Replace(rest, "/", "\\", 1)
	case 14:
		return "/api/auth" + strings.Replace(rest, "/", "%5C", 1)
	case 15:
		return "/api/auth" + rest[:3] + "\t" + rest[3:]
	case 0:
		return path + "/"
	case 1:
		return "/API/AUTH" + rest
	case 2:
		return "/api/auth" + strings.ToUpper(rest)
	case 3:
		return "/api/auth/" + rest
	case 4:
		return "/api/auth/." + rest
	case 5:
		return "/api/auth/x/.." + rest
	case 6:
		return "/api/auth" + strings.Replace(rest, "/", "%2F", 2)
	case 7:
		return "/api/auth/%" + fmt.Sprintf("%02X", rest[1]) + rest[2:]
	case 8:
		return path + "?" + formEncode(decoys)
	case 9:
		return path + ";x=1"
	default:
		return "/" + path
	}
}
