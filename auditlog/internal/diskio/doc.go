// Package diskio holds the two file-system helpers the spool and the JSONL
// store share: creating a private (0700) directory and fsyncing a
// directory. It imports only the standard library.
package diskio
