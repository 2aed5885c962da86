// Package record owns what the audit log stores: Record and Checkpoint,
// the chain step ChainHash, the canonical ECS encoding of a secevent.Event
// (MarshalEvent, Sanitize) and its decoder (UnmarshalEvent), the OCSF
// projection, instance names and the JSON-lines scanner the file readers
// share. The bytes MarshalEvent returns are what the hash chain covers and
// every sink stores verbatim.
//
// It imports only secevent and the standard library: no sink, no pipeline,
// no database driver, no Caddy.
package record
