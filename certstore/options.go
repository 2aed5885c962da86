package certstore

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Defaults for Options.
const (
	// DefaultPrefix namespaces the store's keys in Redis.
	DefaultPrefix = "ocomms:certmagic"
	// DefaultLockTTL is how long a lock outlives its holder's last
	// refresh: a holder that dies frees its locks within this time.
	DefaultLockTTL = 15 * time.Second
	// MinLockTTL is the shortest lock TTL accepted; below it a refresh
	// (every TTL/3) could miss its window on a busy machine.
	MinLockTTL = 1 * time.Second
)

// Options configures a RedisStorage. The zero value is usable: default
// prefix, default lock TTL, no encryption.
type Options struct {
	// Prefix namespaces every key; stores with different prefixes on one
	// Redis are independent. It must not contain '{' or '}', as it becomes
	// the keys' Cluster hash tag. Default: DefaultPrefix.
	Prefix string
	// LockTTL is the lease of a lock: the holder refreshes it every
	// LockTTL/3, and a lock whose holder stopped refreshing expires after
	// at most LockTTL. Default: DefaultLockTTL.
	LockTTL time.Duration
	// LockPoll is how often Lock retries a lock held by someone else.
	// Default: LockTTL/20, at least 50ms and at most 1s.
	LockPoll time.Duration
	// EncryptionKey, if set, is a 32-byte AES-256 key: values are stored
	// sealed with AES-256-GCM and unencrypted values are refused on load.
	// See ParseKey.
	EncryptionKey []byte
	// Logger receives lock warnings (a lock lost to expiry, a failed
	// refresh). Default: no logging.
	Logger *zap.Logger
}

// KeySize is the length of an encryption key in bytes (AES-256).
const KeySize = 32

// ParseKey decodes an encryption key given as 64 hex digits or as standard
// or URL-safe base64 (padded or not) of 32 bytes. The error never contains
// the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("encryption key is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("encryption key decodes to %d bytes, want %d (e.g. openssl rand -base64 32)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("encryption key is neither %d hex digits nor base64 of %d bytes (e.g. openssl rand -base64 32)", 2*KeySize, KeySize)
}

// normalize fills defaults and checks o.
func (o Options) normalize() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return o, fmt.Errorf("prefix %q must not contain '{' or '}': it is used as the Redis Cluster hash tag", o.Prefix)
	}
	if o.LockTTL == 0 {
		o.LockTTL = DefaultLockTTL
	}
	if o.LockTTL < MinLockTTL {
		return o, fmt.Errorf("lock TTL %s is shorter than the minimum %s", o.LockTTL, MinLockTTL)
	}
	if o.LockPoll <= 0 {
		o.LockPoll = min(max(o.LockTTL/20, 50*time.Millisecond), time.Second)
	}
	if o.EncryptionKey != nil && len(o.EncryptionKey) != KeySize {
		return o, fmt.Errorf("encryption key has %d bytes, want %d", len(o.EncryptionKey), KeySize)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o, nil
}
