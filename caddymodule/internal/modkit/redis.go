package modkit

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// RedisConfig says how to reach the shared Redis.
type RedisConfig struct {
	// URL is redis://[user:password@]host:port[/db] or rediss://… for
	// TLS. Placeholders such as {env.OCOMMS_REDIS_URL} are resolved at
	// provision time; an empty result means no Redis.
	URL string `json:"url,omitempty"`
	// Addrs adds Sentinel or Cluster node addresses (host:port) to the
	// URL's host.
	Addrs []string `json:"addrs,omitempty"`
	// MasterName selects Sentinel: the name of the monitored master.
	MasterName string `json:"master_name,omitempty"`
	// Cluster selects Redis Cluster.
	Cluster bool `json:"cluster,omitempty"`
	// InsecureAllowPlaintext allows redis:// (no TLS) to a host that is
	// not loopback. Default: refused, as credentials and client keys would
	// cross the network in clear text.
	InsecureAllowPlaintext bool `json:"insecure_allow_plaintext,omitempty"`

	opts *redis.UniversalOptions
	key  string
}

// Enabled reports whether a Redis URL is configured.
func (c *RedisConfig) Enabled() bool { return c != nil && c.opts != nil }

// Provision resolves the URL's placeholders and checks it (TLS off
// loopback unless allowed). It dials nothing.
func (c *RedisConfig) Provision(repl *caddy.Replacer) error {
	raw := strings.TrimSpace(repl.ReplaceKnown(c.URL, ""))
	if raw == "" {
		return nil
	}
	parsed, err := redis.ParseURL(raw)
	if err != nil {
		return fmt.Errorf("parsing the redis URL (%s): %w", redactURL(raw), err)
	}
	opts := &redis.UniversalOptions{
		Addrs:         append([]string{parsed.Addr}, c.Addrs...),
		Username:      parsed.Username,
		Password:      parsed.Password,
		DB:            parsed.DB,
		TLSConfig:     parsed.TLSConfig,
		MasterName:    c.MasterName,
		IsClusterMode: c.Cluster,
		// The limiter's per-decision deadline (50ms) must end a stalled
		// call on the socket, not only abandon it.
		ContextTimeoutEnabled: true,
	}
	if opts.TLSConfig != nil {
		opts.TLSConfig.MinVersion = tls.VersionTLS12
	}
	if opts.TLSConfig == nil && !c.InsecureAllowPlaintext {
		for _, addr := range opts.Addrs {
			if !isLoopback(addr) {
				return fmt.Errorf("redis at %s without TLS: use rediss:// off this machine (SEC-05), or set insecure_allow_plaintext", addr)
			}
		}
	}
	c.opts = opts
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%v|%s|%v|%v", raw, c.Addrs, c.MasterName, c.Cluster, c.InsecureAllowPlaintext)))
	c.key = "redis:" + hex.EncodeToString(sum[:])
	return nil
}

// isLoopback reports whether host:port names this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL drops the password from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "unparseable URL"
	}
	return u.Redacted()
}

// redisClients holds one go-redis client per distinct configuration, shared
// by every handler and kept across config reloads; the last user closes it.
var redisClients = caddy.NewUsagePool()

type pooledRedis struct{ client redis.UniversalClient }

func (p *pooledRedis) Destruct() error { return p.client.Close() }

// Acquire returns the shared client for c; release it with Release.
// It does not dial: go-redis connects on first use.
func (c *RedisConfig) Acquire() (redis.UniversalClient, error) {
	v, _, err := redisClients.LoadOrNew(c.key, func() (caddy.Destructor, error) {
		return &pooledRedis{client: redis.NewUniversalClient(c.opts)}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*pooledRedis).client, nil
}

// References counts the holders of c's shared client (tests check that a
// reload does not leak one).
func (c *RedisConfig) References() int {
	n, _ := redisClients.References(c.key)
	return n
}

// Release gives back a client taken with Acquire.
func (c *RedisConfig) Release() {
	_, _ = redisClients.Delete(c.key)
}

func init() {
	// go-redis logs connection troubles (failed dials during an outage) to
	// stderr through a process-wide logger; send them to Caddy's log.
	redis.SetLogger(redisLogger{})
}

// redisLogger writes go-redis's messages as warnings on the ocomms.redis
// logger. They name addresses, never passwords.
type redisLogger struct{}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	caddy.Log().Named("ocomms.redis").Warn(fmt.Sprintf(format, v...))
}

// RedisClientsInUse returns the shared Redis clients handlers hold now
// (the console's health panel pings them).
func RedisClientsInUse() []redis.UniversalClient {
	var clients []redis.UniversalClient
	redisClients.Range(func(_, v any) bool {
		if p, ok := v.(*pooledRedis); ok {
			clients = append(clients, p.client)
		}
		return true
	})
	return clients
}
