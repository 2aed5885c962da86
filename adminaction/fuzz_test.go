package adminaction

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
)

// FuzzAdminTarget: whatever body and query an admin request carries, the
// target reader never panics, bounds what it keeps, and the body that goes
// on is byte-identical.
func FuzzAdminTarget(f *testing.F) {
	f.Add("/api/auth/organization/remove-member", "application/json", []byte(`{"memberIdOrEmail":"bob@example.test","organizationId":"o1"}`))
	f.Add("/api/auth/organization/update-member-role?organizationId=o2", "application/json; charset=utf-8", []byte(`{"memberId":"m1","role":["admin","owner"]}`))
	f.Add("/api/admin/export", "application/json", []byte(`{"organizationId":`))
	f.Add("/admin/users", "text/plain;charset=UTF-8", []byte(`["u1","o1"]`))
	f.Fuzz(func(t *testing.T, target, contentType string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.URL.Path = "/" + target
		r.URL.RawQuery = target
		r.Header.Set("Content-Type", contentType)
		act := AdminAction{Resource: "organization.x"}
		readAdminTarget(r, &act, 512)
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body changed: %q -> %q (%v)", body, got, err)
		}
		for _, v := range []string{act.TargetUser, act.TargetEmail, act.OrganizationID, act.Role, act.InvitationID} {
			if len(v) > maxField {
				t.Fatalf("field of %d bytes kept", len(v))
			}
		}
		m := AdminPaths{Pages: []string{"/admin*", "/*/settings/*", target}}
		m.Match(r)
	})
}

// FuzzParseSession: any get-session answer parses or fails cleanly.
func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`null`))
	f.Add([]byte(`{"session":{"token":"t","userId":"u"},"user":{"id":"u","email":"A@B.test","name":"A"}}`))
	f.Add([]byte(`{"user":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSession(data)
		if err != nil && s.Valid() {
			t.Fatal("error with a session")
		}
	})
}
