package certstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// RedisStorage is a certmagic.Storage (with TryLocker and LockLeaseRenewer)
// on a go-redis UniversalClient. It does not own the client: closing the
// client is the caller's job. Safe for concurrent use.
type RedisStorage struct {
	client redis.UniversalClient
	opts   Options
	seal   *sealer // nil: values stored in plaintext
	log    *zap.Logger

	tag   string // "{prefix}"
	index string // "{prefix}/i"

	mu   sync.Mutex
	held map[string]*heldLock
}

// New returns a storage on client configured by opts. It does no I/O.
func New(client redis.UniversalClient, opts Options) (*RedisStorage, error) {
	if client == nil {
		return nil, errors.New("certstore: nil redis client")
	}
	opts, err := opts.normalize()
	if err != nil {
		return nil, fmt.Errorf("certstore: %w", err)
	}
	s := &RedisStorage{
		client: client,
		opts:   opts,
		log:    opts.Logger,
		tag:    "{" + opts.Prefix + "}",
		held:   make(map[string]*heldLock),
	}
	s.index = s.tag + "/i"
	if opts.EncryptionKey != nil {
		if s.seal, err = newSealer(opts.EncryptionKey); err != nil {
			return nil, fmt.Errorf("certstore: %w", err)
		}
	}
	s.opts.EncryptionKey = nil // kept only inside the cipher
	return s, nil
}

// String names the store for certmagic's logs without any secret.
func (s *RedisStorage) String() string {
	enc := "plaintext"
	if s.seal != nil {
		enc = s.seal.String()
	}
	return "ocomms_redis:" + s.opts.Prefix + " (" + enc + ")"
}

// GoString is String, so that %#v cannot reach the client or the cipher.
func (s *RedisStorage) GoString() string { return s.String() }

// Prefix returns the prefix the store's keys live under.
func (s *RedisStorage) Prefix() string { return s.opts.Prefix }

// LockTTL returns the effective lock lease.
func (s *RedisStorage) LockTTL() time.Duration { return s.opts.LockTTL }

func (s *RedisStorage) fileKey(key string) string { return s.tag + "/f/" + key }

// cleanKey trims the slashes certmagic keys should not have anyway.
func cleanKey(key string) string { return strings.Trim(key, "/") }

// Store puts value at key, overwriting any value there, sealed when the
// store has an encryption key.
func (s *RedisStorage) Store(ctx context.Context, key string, value []byte) error {
	key = cleanKey(key)
	if key == "" {
		return errors.New("storing: empty key")
	}
	fields := map[string]any{
		"f": formatPlain,
		"v": value,
		"n": strconv.Itoa(len(value)),
		"m": strconv.FormatInt(time.Now().UnixNano(), 10),
	}
	if s.seal != nil {
		sealed, err := s.seal.seal(key, value)
		if err != nil {
			return fmt.Errorf("storing %q: %w", key, err)
		}
		fields["f"], fields["v"], fields["k"] = formatAESGCMv1, sealed, s.seal.keyID
	}
	fk := s.fileKey(key)
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, fk) // no stale fields (such as "k") from an older value
		p.HSet(ctx, fk, fields)
		p.ZAdd(ctx, s.index, redis.Z{Member: key})
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing %q: %w", key, err)
	}
	return nil
}

// Load returns the value at key; a missing key gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func (s *RedisStorage) Load(ctx context.Context, key string) ([]byte, error) {
	key = cleanKey(key)
	vals, err := s.client.HMGet(ctx, s.fileKey(key), "f", "v", "k").Result()
	if err != nil {
		return nil, fmt.Errorf("loading %q: %w", key, err)
	}
	format, _ := vals[0].(string)
	value, hasValue := vals[1].(string)
	keyID, _ := vals[2].(string)
	if format == "" && !hasValue {
		return nil, fmt.Errorf("loading %q: %w", key, fs.ErrNotExist)
	}
	plain, err := s.open(key, format, keyID, []byte(value))
	if err != nil {
		return nil, fmt.Errorf("loading %q: %w", key, err)
	}
	return plain, nil
}

// open turns a stored record (its format, key id and value fields) back
// into the value stored at key. Records come from Redis, which other
// parties may write to: anything not sealed by this store's key (when it
// has one) is refused.
func (s *RedisStorage) open(key, format, keyID string, value []byte) ([]byte, error) {
	switch {
	case format == formatPlain && s.seal == nil:
		return value, nil
	case format == formatPlain:
		return nil, ErrUnencrypted
	case format == formatAESGCMv1 && s.seal == nil:
		return nil, fmt.Errorf("%w (key id %q)", ErrNoKey, keyID)
	case format == formatAESGCMv1:
		return s.seal.open(key, keyID, value)
	default:
		return nil, fmt.Errorf("%w (%q)", ErrFormat, format)
	}
}

// Delete deletes key and, if key is a directory, every key under it. A
// missing key is not an error (certmagic v0.25 Storage contract).
func (s *RedisStorage) Delete(ctx context.Context, key string) error {
	key = cleanKey(key)
	members := []string{}
	if key != "" {
		members = append(members, key)
	}
	under, err := s.descendants(ctx, key)
	if err != nil {
		return fmt.Errorf("deleting %q: %w", key, err)
	}
	members = append(members, under...)
	for chunk := range slices.Chunk(members, 256) {
		_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			keys := make([]string, len(chunk))
			anys := make([]any, len(chunk))
			for i, m := range chunk {
				keys[i], anys[i] = s.fileKey(m), m
			}
			p.Del(ctx, keys...)
			p.ZRem(ctx, s.index, anys...)
			return nil
		})
		if err != nil {
			return fmt.Errorf("deleting %q: %w", key, err)
		}
	}
	return nil
}

// Exists reports whether key is a file or a directory; false on error.
func (s *RedisStorage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// Stat describes key: a file with its size (of the plaintext) and
// modification time, or a directory (IsTerminal false) when other keys lie
// under it. A missing key gives an error satisfying errors.Is(err,
// fs.ErrNotExist).
func (s *RedisStorage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key = cleanKey(key)
	vals, err := s.client.HMGet(ctx, s.fileKey(key), "n", "m").Result()
	if err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("stat %q: %w", key, err)
	}
	if size, ok := vals[0].(string); ok {
		info := certmagic.KeyInfo{Key: key, IsTerminal: true}
		info.Size, _ = strconv.ParseInt(size, 10, 64)
		if m, ok := vals[1].(string); ok {
			if ns, err := strconv.ParseInt(m, 10, 64); err == nil {
				info.Modified = time.Unix(0, ns)
			}
		}
		return info, nil
	}
	isDir, err := s.isDir(ctx, key)
	if err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("stat %q: %w", key, err)
	}
	if !isDir {
		return certmagic.KeyInfo{}, fmt.Errorf("stat %q: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
}

// List returns the keys under dir as the file storage does: with
// recursive false, the immediate children (files and directories);
// with recursive true, every file and directory below dir. An empty dir
// is the root. A dir with nothing under it gives fs.ErrNotExist, unless
// it is a file (then the list is empty).
func (s *RedisStorage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	dir = cleanKey(dir)
	under, err := s.descendants(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", dir, err)
	}
	if len(under) == 0 {
		if dir != "" {
			if _, err := s.Stat(ctx, dir); err != nil {
				return nil, fmt.Errorf("listing %q: %w", dir, err)
			}
		}
		return []string{}, nil
	}
	base := ""
	if dir != "" {
		base = dir + "/"
	}
	seen := make(map[string]bool)
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range under {
		rel := strings.TrimPrefix(k, base)
		parts := strings.Split(rel, "/")
		if !recursive {
			add(base + parts[0])
			continue
		}
		for i := 1; i <= len(parts); i++ {
			add(base + strings.Join(parts[:i], "/"))
		}
	}
	slices.Sort(out)
	return out, nil
}

// descendants lists the file keys strictly under dir ("" is the root), in
// lexical order.
func (s *RedisStorage) descendants(ctx context.Context, dir string) ([]string, error) {
	by := &redis.ZRangeBy{Min: "-", Max: "+"}
	if dir != "" {
		// '0' is the byte after '/': [dir/ .. (dir0 is exactly "dir/…".
		by = &redis.ZRangeBy{Min: "[" + dir + "/", Max: "(" + dir + "0"}
	}
	return s.client.ZRangeByLex(ctx, s.index, by).Result()
}

// isDir reports whether any file key lies under dir.
func (s *RedisStorage) isDir(ctx context.Context, dir string) (bool, error) {
	if dir == "" {
		n, err := s.client.ZCard(ctx, s.index).Result()
		return n > 0, err
	}
	got, err := s.client.ZRangeByLex(ctx, s.index, &redis.ZRangeBy{Min: "[" + dir + "/", Max: "(" + dir + "0", Count: 1}).Result()
	return len(got) > 0, err
}

// Interface guards
var (
	_ certmagic.Storage          = (*RedisStorage)(nil)
	_ certmagic.TryLocker        = (*RedisStorage)(nil)
	_ certmagic.LockLeaseRenewer = (*RedisStorage)(nil)
)
