package caddymodule

import (
	"context"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

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
