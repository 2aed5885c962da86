// Package chain owns the audit log's tamper evidence: checkpoint signing
// and its canonical bytes, Ed25519 signing keys (key files, public key
// encoding), and verification of a stored chain read through a
// ChainReader (Verify, VerifyTrusted, WithCheckpoints).
//
// It imports record and secevent only. It must not import the pipeline,
// a sink, a database driver or Caddy: every store implements ChainReader.
package chain
