package ratelimit

import "fmt"

// ErrorPolicy is what a zone does when the shared store cannot answer.
type ErrorPolicy int

const (
	// ErrorLocal decides with the in-memory store instead (the default):
	// limits hold per instance until the shared store is back.
	ErrorLocal ErrorPolicy = iota
	// ErrorAllow admits the request without counting it.
	ErrorAllow
	// ErrorDeny refuses the request.
	ErrorDeny
)

// String returns the policy's Caddyfile name.
func (p ErrorPolicy) String() string {
	switch p {
	case ErrorAllow:
		return "allow"
	case ErrorDeny:
		return "deny"
	default:
		return "local"
	}
}

// ParseErrorPolicy parses local, allow or deny.
func ParseErrorPolicy(s string) (ErrorPolicy, error) {
	switch s {
	case "", "local":
		return ErrorLocal, nil
	case "allow":
		return ErrorAllow, nil
	case "deny":
		return ErrorDeny, nil
	}
	return ErrorLocal, fmt.Errorf("on_store_error %q: use local, allow or deny", s)
}
