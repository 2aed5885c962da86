package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ocomms/ocomms-edge/internal/redisslot"
)

// pipelined sends one EVALSHA of script per group in a single pipeline. A
// group whose node lacks the script (NOSCRIPT: it did not run) is sent again
// as EVAL. Each command carries its own error (Exec's is the first of them).
func (s *RedisStore) pipelined(ctx context.Context, script *redis.Script, n int, args func(g int) ([]string, []any)) []*redis.Cmd {
	return s.pipelineScripts(ctx, n, func(g int) (*redis.Script, []string, []any) {
		keys, argv := args(g)
		return script, keys, argv
	})
}

// pipelineScripts sends n script calls in one pipeline, re-sending as EVAL
// the ones Redis answered NOSCRIPT (which did not run).
func (s *RedisStore) pipelineScripts(ctx context.Context, n int, call func(i int) (*redis.Script, []string, []any)) []*redis.Cmd {
	cmds := make([]*redis.Cmd, n)
	pipe := s.client.Pipeline()
	for i := range cmds {
		script, keys, argv := call(i)
		cmds[i] = pipe.EvalSha(ctx, script.Hash(), keys, argv...)
	}
	_, _ = pipe.Exec(ctx)
	var retry []int
	for i, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) == 0 {
		return cmds
	}
	pipe = s.client.Pipeline()
	for _, i := range retry {
		script, keys, argv := call(i)
		cmds[i] = script.Eval(ctx, pipe, keys, argv...)
	}
	_, _ = pipe.Exec(ctx)
	return cmds
}

// groups splits checks into sets that one script may touch: all of them,
// except on Redis Cluster (one set per hash slot) and Ring (one per key).
func (s *RedisStore) groups(checks []Check) [][]int {
	if (s.cluster == nil && !s.perKey) || len(checks) == 1 {
		return [][]int{nil}
	}
	var slots []uint16
	var groups [][]int
	for i, c := range checks {
		slot := uint16(i)
		if !s.perKey {
			slot = redisslot.Of(s.key(c))
		}
		g := -1
		for j, sl := range slots {
			if sl == slot {
				g = j
				break
			}
		}
		if g < 0 {
			slots = append(slots, slot)
			groups = append(groups, nil)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], i)
	}
	if len(groups) == 1 {
		return [][]int{nil}
	}
	return groups
}

// takeArgs builds the take script's KEYS and ARGV for the checks at idx
// (all checks when idx is nil).
func (s *RedisStore) takeArgs(checks []Check, idx []int) ([]string, []any) {
	n := len(checks)
	if idx != nil {
		n = len(idx)
	}
	keys, args := make([]string, 0, n), make([]any, 0, 2*n)
	each(checks, idx, func(c Check) {
		burst := c.Limit.Burst
		if burst < 1 {
			burst = 1
		}
		keys = append(keys, s.key(c))
		args = append(args, micros(c.Limit.Interval), burst)
	})
	return keys, args
}

// refundArgs builds the refund script's KEYS and ARGV.
func (s *RedisStore) refundArgs(checks []Check, idx []int) ([]string, []any) {
	n := len(checks)
	if idx != nil {
		n = len(idx)
	}
	keys, args := make([]string, 0, n), make([]any, 0, n)
	each(checks, idx, func(c Check) {
		keys = append(keys, s.key(c))
		args = append(args, micros(c.Limit.Interval))
	})
	return keys, args
}

// each calls fn for the checks at idx, or for all checks when idx is nil.
func each(checks []Check, idx []int, fn func(Check)) {
	if idx == nil {
		for _, c := range checks {
			fn(c)
		}
		return
	}
	for _, i := range idx {
		fn(checks[i])
	}
}

// decodeTake reads the take script's reply into out at idx, or into all of
// out in order when idx is nil.
func decodeTake(v any, out []Outcome, idx []int) (bool, error) {
	vals, ok := v.([]any)
	n := len(idx)
	if idx == nil {
		n = len(out)
	}
	if !ok || len(vals) != 1+4*n {
		return false, fmt.Errorf("unexpected script reply of type %T", v)
	}
	var nums [4]int64
	for j := 0; j < n; j++ {
		for k := range nums {
			x, ok := vals[1+4*j+k].(int64)
			if !ok {
				return false, fmt.Errorf("unexpected script reply element of type %T", vals[1+4*j+k])
			}
			nums[k] = x
		}
		i := j
		if idx != nil {
			i = idx[j]
		}
		out[i] = Outcome{
			Allowed:    nums[0] == 1,
			Remaining:  nums[1],
			RetryAfter: time.Duration(nums[2]) * time.Microsecond,
			ResetAfter: time.Duration(nums[3]) * time.Microsecond,
		}
	}
	all, ok := vals[0].(int64)
	if !ok {
		return false, fmt.Errorf("unexpected script reply element of type %T", vals[0])
	}
	return all == 1, nil
}
