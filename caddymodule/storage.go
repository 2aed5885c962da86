package caddymodule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/certstore"
)

func init() {
	caddy.RegisterModule(Storage{})
}

// Storage is the `caddy.storage.ocomms_redis` module: Caddy's certificate
// storage (certificates, keys, ACME accounts, challenge tokens, locks) in
// Redis, so that several edge instances share certificates and place one
// ACME order between them. See the certstore package.
//
// Without a URL it uses the Redis of the `ocomms` global option, on the
// same pooled client as the rate limiter.
type Storage struct {
	// modkit.RedisConfig (url, addrs, master_name, cluster,
	// insecure_allow_plaintext) says which Redis to use, exactly as in the
	// `ocomms` option. Empty url: the `ocomms` option's Redis.
	modkit.RedisConfig

	// Prefix namespaces the storage's keys; instances that share
	// certificates must use the same prefix. Default: "ocomms:certmagic".
	Prefix string `json:"prefix,omitempty"`

	// EncryptionKey, if set, seals every stored value with AES-256-GCM:
	// 32 bytes as 64 hex digits or base64. Use a placeholder such as
	// {env.OCOMMS_STORAGE_KEY} so the key stays out of the saved config.
	// Default: values stored unencrypted (Redis ACLs and TLS protect them).
	EncryptionKey string `json:"encryption_key,omitempty"`

	// LockTTL is how long a lock outlives its holder's last refresh: an
	// instance that dies mid-issuance blocks the others for at most this
	// long. Default: 15s; minimum 1s.
	LockTTL caddy.Duration `json:"lock_ttl,omitempty"`

	redis *modkit.RedisConfig // whose client was acquired, released in Cleanup
	store *certstore.RedisStorage
}

// CaddyModule returns the Caddy module information.
func (Storage) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[Storage]("caddy.storage.ocomms_redis")
}

// Provision resolves placeholders and builds the storage on the shared,
// lazily dialled client. It opens no connection, so `caddy validate` works
// offline. Caddy provisions the storage before the apps; reading the
// `ocomms` app here loads and provisions it early, which is allowed.
func (s *Storage) Provision(ctx caddy.Context) error {
	logger := ctx.Logger()
	repl := caddy.NewReplacer()
	cfg, err := s.redisConfig(ctx, repl)
	if err != nil {
		return fmt.Errorf("ocomms_redis storage: %w", err)
	}
	opts := certstore.Options{
		Prefix:  repl.ReplaceKnown(s.Prefix, ""),
		LockTTL: time.Duration(s.LockTTL),
		Logger:  logger,
	}
	if s.EncryptionKey != "" {
		raw := repl.ReplaceKnown(s.EncryptionKey, "")
		if strings.TrimSpace(raw) == "" {
			return errors.New("ocomms_redis storage: encryption_key is empty after resolving placeholders: is the environment variable set?")
		}
		if !strings.Contains(s.EncryptionKey, "{") {
			logger.Warn("ocomms_redis storage: encryption_key is written in the config itself and so is saved with it; use {env.OCOMMS_STORAGE_KEY}")
		}
		if opts.EncryptionKey, err = certstore.ParseKey(raw); err != nil {
			return fmt.Errorf("ocomms_redis storage: %w", err)
		}
	}
	client, err := cfg.Acquire()
	if err != nil {
		return fmt.Errorf("ocomms_redis storage: redis client: %w", err)
	}
	s.redis = cfg
	if s.store, err = certstore.New(client, opts); err != nil {
		return fmt.Errorf("ocomms_redis storage: %w", err)
	}
	logger.Info("certificate storage in redis", zap.Stringer("storage", s.store))
	return nil
}

// redisConfig returns the provisioned Redis settings: the module's own, or
// the `ocomms` app's when the module has no url.
func (s *Storage) redisConfig(ctx caddy.Context, repl *caddy.Replacer) (*modkit.RedisConfig, error) {
	if strings.TrimSpace(s.URL) != "" {
		if err := s.RedisConfig.Provision(repl); err != nil {
			return nil, err
		}
		if !s.RedisConfig.Enabled() {
			return nil, errors.New("url is empty after resolving placeholders: is the environment variable set?")
		}
		return &s.RedisConfig, nil
	}
	if len(s.Addrs) > 0 || s.MasterName != "" || s.Cluster || s.InsecureAllowPlaintext {
		return nil, errors.New("addrs, master_name, cluster and insecure_allow_plaintext need a url; without one the ocomms global option's redis is used as it is")
	}
	app, err := modkit.AppFrom(ctx)
	if err != nil {
		return nil, err
	}
	if !app.Redis.Enabled() {
		return nil, errors.New("no url, and the ocomms global option has no redis: give `url`, or `redis` in the ocomms option")
	}
	return app.Redis, nil
}

// CertMagicStorage implements caddy.StorageConverter.
func (s *Storage) CertMagicStorage() (certmagic.Storage, error) {
	if s.store == nil {
		return nil, errors.New("ocomms_redis storage: not provisioned")
	}
	return s.store, nil
}

// Cleanup releases the shared Redis client. Locks still held by work of
// this config keep their own refresh until released.
func (s *Storage) Cleanup() error {
	if s.redis != nil {
		s.redis.Release()
		s.redis = nil
	}
	return nil
}

// Interface guards
var (
	_ caddy.StorageConverter = (*Storage)(nil)
	_ caddy.Provisioner      = (*Storage)(nil)
	_ caddy.CleanerUpper     = (*Storage)(nil)
)
