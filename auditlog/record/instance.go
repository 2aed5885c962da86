package record

import (
	"fmt"
)

// ValidInstance checks an instance name: 1 to 128 bytes of letters,
// digits and ".-_:". The name goes into file names, JSONL lines and
// Postgres rows unescaped.
func ValidInstance(s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("audit instance name %q: want 1 to 128 bytes", s)
	}
	for i := 0; i < len(s); i++ {
		if !InstanceByte(s[i]) {
			return fmt.Errorf("audit instance name %q: only letters, digits and .-_: are allowed", s)
		}
	}
	return nil
}

// InstanceByte reports whether c may appear in an instance name.
func InstanceByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == ':'
}

// SanitizeInstance replaces every byte an instance name may not hold
// with '-'.
func SanitizeInstance(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !InstanceByte(c) {
			b[i] = '-'
		}
	}
	return string(b)
}
