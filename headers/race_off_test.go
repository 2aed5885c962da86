//go:build !race

package headers

// raceEnabled reports a -race build, where sync.Pool drops items on
// purpose, so allocation counts do not hold.
const raceEnabled = false
