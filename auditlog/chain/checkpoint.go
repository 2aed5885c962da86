package chain

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ocomms/ocomms-edge/auditlog/record"
)

// checkpointDomain prefixes the signed bytes so a checkpoint signature can
// never be mistaken for a signature over anything else.
const checkpointDomain = "ocomms-audit-checkpoint/v1\n"

// SignedBytes returns the canonical bytes a checkpoint's signature covers:
// a domain tag, then instance, seq, hash, time (UTC µs), retention flag and
// prev hash as a JSON object with keys in a fixed order.
func SignedBytes(cp record.Checkpoint) []byte {
	b := make([]byte, 0, 256)
	b = append(b, checkpointDomain...)
	b = appendCheckpointHead(b, cp)
	b = append(b, `","retention":`...)
	b = strconv.AppendBool(b, cp.Retention)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, cp.Seq, 10)
	b = append(b, `,"time":"`...)
	b = cp.Time.UTC().Truncate(time.Microsecond).AppendFormat(b, record.TimeLayout)
	b = append(b, `"}`...)
	return b
}

// appendCheckpointHead appends the keys the signed bytes and the JSON form
// both start with, encoded alike: `{"hash":…,"instance":…,"prev":…` (the
// prev hash's closing quote is the caller's).
func appendCheckpointHead(b []byte, cp record.Checkpoint) []byte {
	b = append(b, `{"hash":"`...)
	b = hex.AppendEncode(b, cp.Hash[:])
	b = append(b, `","instance":`...)
	b = record.AppendString(b, record.Clean(cp.Instance, record.MaxShort))
	b = append(b, `,"prev":"`...)
	b = hex.AppendEncode(b, cp.PrevHash[:])
	return b
}

// Sign returns cp signed with key: PublicKey and Signature filled, Time
// truncated to the microsecond so the signed bytes survive a round trip.
func Sign(cp record.Checkpoint, key ed25519.PrivateKey) record.Checkpoint {
	cp.Time = cp.Time.UTC().Truncate(time.Microsecond)
	cp.PublicKey = append([]byte(nil), key.Public().(ed25519.PublicKey)...)
	cp.Signature = ed25519.Sign(key, SignedBytes(cp))
	return cp
}

// ErrBadSignature is returned by VerifyCheckpoint for a checkpoint whose
// signature does not verify with the given key.
var ErrBadSignature = errors.New("audit checkpoint signature does not verify")

// VerifyCheckpoint checks cp's signature with pub alone (offline). The key
// carried in the checkpoint is not trusted: it must equal pub when present.
func VerifyCheckpoint(cp record.Checkpoint, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("verify checkpoint: public key has %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if len(cp.PublicKey) > 0 && !bytes.Equal(cp.PublicKey, pub) {
		return fmt.Errorf("checkpoint %s/%d signed by another key: %w", cp.Instance, cp.Seq, ErrBadSignature)
	}
	if len(cp.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, SignedBytes(cp), cp.Signature) {
		return fmt.Errorf("checkpoint %s/%d: %w", cp.Instance, cp.Seq, ErrBadSignature)
	}
	return nil
}

// checkpointJSON is a checkpoint as JSONL lines and spool frames hold it.
type checkpointJSON struct {
	Hash      string `json:"hash"`
	Instance  string `json:"instance"`
	Prev      string `json:"prev"`
	PublicKey string `json:"public_key"`
	Retention bool   `json:"retention"`
	Seq       uint64 `json:"seq"`
	Signature string `json:"signature"`
	Time      string `json:"time"`
}

// AppendCheckpointJSON appends cp as a JSON object with keys in a fixed order.
func AppendCheckpointJSON(b []byte, cp record.Checkpoint) []byte {
	b = appendCheckpointHead(b, cp)
	b = append(b, `","public_key":"`...)
	b = base64.StdEncoding.AppendEncode(b, cp.PublicKey)
	b = append(b, `","retention":`...)
	b = strconv.AppendBool(b, cp.Retention)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, cp.Seq, 10)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, cp.Signature)
	b = append(b, `","time":"`...)
	b = cp.Time.UTC().Truncate(time.Microsecond).AppendFormat(b, record.TimeLayout)
	return append(b, `"}`...)
}

// ParseCheckpointJSON decodes what AppendCheckpointJSON wrote.
func ParseCheckpointJSON(data []byte) (record.Checkpoint, error) {
	var j checkpointJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint: %w", err)
	}
	cp := record.Checkpoint{Instance: j.Instance, Seq: j.Seq, Retention: j.Retention}
	var err error
	if cp.Hash, err = ParseHash(j.Hash); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint hash: %w", err)
	}
	if cp.PrevHash, err = ParseHash(j.Prev); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint prev: %w", err)
	}
	if cp.PublicKey, err = base64.StdEncoding.DecodeString(j.PublicKey); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint public key: %w", err)
	}
	if cp.Signature, err = base64.StdEncoding.DecodeString(j.Signature); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint signature: %w", err)
	}
	if cp.Time, err = time.Parse(time.RFC3339Nano, j.Time); err != nil {
		return record.Checkpoint{}, fmt.Errorf("decode checkpoint time: %w", err)
	}
	return cp, nil
}

// ParseHash decodes a 64-digit hex SHA-256.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 {
		return h, fmt.Errorf("hash has %d hex digits, want 64", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("hash: %w", err)
	}
	return h, nil
}
