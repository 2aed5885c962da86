// Package authguard is the OComms edge's authentication guard in front of
// better-auth 1.4: it reads auth request bodies exactly as better-auth's
// router (better-call) does, refusing bodies the two could read
// differently, and (in later parts) applies the password policy and the
// account lockout.
//
// It works at the net/http level and does not import Caddy.
package authguard
