package redisslot

import "testing"

// TestOf checks the slot function against the Redis Cluster
// specification's examples.
func TestOf(t *testing.T) {
	if got := CRC16("123456789"); got != 0x31C3 {
		t.Fatalf("CRC16(123456789) = %#x, want 0x31c3", got)
	}
	for _, tc := range []struct{ a, b string }{
		{"{user1000}.following", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"}, // empty tag: the whole key
		{"foo{{bar}}zap", "{bar"},
		{"foo{bar}{zap}", "bar"},
		{"ocomms:rl:{login:00ff}", "login:00ff"},
		{"no tag", "no tag"},
		{"open{only", "open{only"},
	} {
		if got, want := Of(tc.a), CRC16(tc.b)%Slots; got != want {
			t.Errorf("Of(%q) = %d, want %d (hash of %q)", tc.a, got, want, tc.b)
		}
	}
	// Known slots (CLUSTER KEYSLOT on a real server).
	for key, want := range map[string]uint16{"foo": 12182, "bar": 5061, "123456789": 12739} {
		if got := Of(key); got != want {
			t.Errorf("Of(%q) = %d, want %d", key, got, want)
		}
	}
}
