// Package logtest is test support for the audit log packages: a fresh
// signing key, sample and golden events, a built chain of records, the
// normal form of a checkpoint after a round trip, and a polling helper.
// Only tests import it; the settable clock is internal/testsupport's.
//
// It imports record and secevent only, so any audit package's tests can
// use it without an import cycle.
package logtest
