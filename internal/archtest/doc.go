// Package archtest holds the tests that keep the package graph in the shape
// the README describes: capabilities at the net/http level, the event model
// at the bottom, Caddy only in the adapters. It has no code of its own.
package archtest
