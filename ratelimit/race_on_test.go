//go:build race

package ratelimit

// raceEnabled reports a -race build, where sync.Pool drops items on
// purpose, so allocation counts do not hold.
const raceEnabled = true
