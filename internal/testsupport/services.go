package testsupport

import (
	"os"
	"testing"
)

// RequireServicesEnv is the environment variable CI sets so that tests
// whose service is missing fail instead of skipping.
const RequireServicesEnv = "OCOMMS_REQUIRE_SERVICES"

// ServiceUnavailable ends a test whose service (Redis, PostgreSQL,
// Chromium…) cannot be used: it skips with a clear message, or fails when
// OCOMMS_REQUIRE_SERVICES=1.
func ServiceUnavailable(t testing.TB, service string, err error) {
	t.Helper()
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%s is required (%s=1) but unavailable: %v", service, RequireServicesEnv, err)
	}
	t.Skipf("%s unavailable, skipping (set %s=1 to make this a failure): %v", service, RequireServicesEnv, err)
}
