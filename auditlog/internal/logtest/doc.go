// Package logtest is test support for the audit log packages: a fixed
// signing key, sample and golden events, a built chain of records, a fake
// clock and a polling helper. Only tests import it.
//
// It imports record and secevent only, so any audit package's tests can
// use it without an import cycle.
package logtest
