package ratelimit

// What the sharded in-process tables share: the exact MemoryStore and the
// approximate zones' table each keep their keys in independently locked
// shards under a key limit.

// defaultMaxKeys is a table's key limit when none is given.
const defaultMaxKeys = 1_000_000

// perShard is the part of a key limit each of n shards holds: maxKeys
// (0 or less means defaultMaxKeys) over n, at least 1.
func perShard(maxKeys, n int) int {
	if maxKeys <= 0 {
		maxKeys = defaultMaxKeys
	}
	return max(maxKeys/n, 1)
}

// keyCounter is a table's shard, which counts its keys under its lock.
type keyCounter interface{ keys() int }

// tableLen returns the number of keys a sharded table holds.
func tableLen[S any, P interface {
	*S
	keyCounter
}](shards []S) int {
	n := 0
	for i := range shards {
		n += P(&shards[i]).keys()
	}
	return n
}
