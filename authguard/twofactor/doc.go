// Package twofactor is the two-factor brute-force guard of the OComms
// edge: it owns the policy (how many wrong codes, which locks, the daily
// cap that bounds an attacker's chance of guessing a code), the records
// that count wrong codes per pending two-factor sign-in, per account and
// per session, the send-otp rate, and the keys (HMACs) under which it
// stores them. The auth guard (package authguard) wires it to
// better-auth's twoFactor plugin endpoints and reads the app's answers.
//
// It works over any Store (the lockout's memory and Redis stores through
// FromLockStore, so both keep their records in one place), at the
// net/http level only: it must not import Caddy, an audit-log sink or a
// database driver, nor package authguard (which imports it).
package twofactor
