package accessmod

// AccessDenied is the refusal counter, for the package's tests through
// Caddy (package accessmod_test).
var AccessDenied = accessDenied
