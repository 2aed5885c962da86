package demoupstream

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestOrganizationRoles(t *testing.T) {
	h := NewHandler(Options{})
	for _, u := range []string{"owner", "admin", "member"} {
		if err := h.AddUser(u, u+"@ocomms.test", u+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	cookies := map[string]string{}
	for _, u := range []string{"owner", "admin", "member"} {
		c, _ := h.NewSessionCookie(u + "@ocomms.test")
		cookies[u] = c.String()
	}
	post := func(as, path, body string) (int, map[string]any) {
		rec := authReq(h, http.MethodPost, "/api/auth/organization/"+path, "application/json", body, "Cookie", cookies[as], "Origin", DefaultTrustedOrigin)
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	status, org := post("owner", "create", `{"name":"Org","slug":"org"}`)
	if status != 200 {
		t.Fatalf("create: %d %v", status, org)
	}
	orgID := org["id"].(string)
	if status, _ := post("owner", "create", `{"name":"Org","slug":"org"}`); status != 400 {
		t.Errorf("duplicate slug: %d", status)
	}
	memberIDs := map[string]string{}
	for _, u := range []string{"admin", "member"} {
		status, inv := post("owner", "invite-member", `{"email":"`+u+`@ocomms.test","role":"member","organizationId":"`+orgID+`"}`)
		if status != 200 {
			t.Fatalf("invite %s: %d %v", u, status, inv)
		}
		if status, _ := post("owner", "accept-invitation", `{"invitationId":"`+inv["id"].(string)+`"}`); status != 403 {
			t.Errorf("someone else accepted %s's invitation: %d", u, status)
		}
		status, acc := post(u, "accept-invitation", `{"invitationId":"`+inv["id"].(string)+`"}`)
		if status != 200 {
			t.Fatalf("accept %s: %d %v", u, status, acc)
		}
		memberIDs[u] = acc["member"].(map[string]any)["id"].(string)
	}
	role := func(as, target, role string) int {
		status, _ := post(as, "update-member-role", `{"memberId":"`+memberIDs[target]+`","role":"`+role+`"}`)
		return status
	}
	steps := []struct {
		as, target, role string
		want             int
	}{
		{"member", "admin", "admin", 403},
		{"owner", "admin", "admin", 200},
		{"admin", "member", "owner", 403},
		{"admin", "member", "admin", 200},
		{"owner", "member", "superuser", 400},
	}
	for _, s := range steps {
		if got := role(s.as, s.target, s.role); got != s.want {
			t.Errorf("%s sets %s to %s: %d, want %d", s.as, s.target, s.role, got, s.want)
		}
	}
	if status, out := post("owner", "update-member-role", `{"memberId":"admin@ocomms.test","role":"member"}`); status != 400 || out["code"] != "MEMBER_NOT_FOUND" {
		t.Errorf("role change naming an email (it takes a member id): %d %v", status, out)
	}
	if status, _ := post("member", "remove-member", `{"memberIdOrEmail":"owner@ocomms.test"}`); status != 403 {
		t.Errorf("an admin removed the owner: status %d", status)
	}
	if status, out := post("owner", "remove-member", `{"memberIdOrEmail":"member@ocomms.test"}`); status != 200 || out["member"].(map[string]any)["user"].(map[string]any)["email"] != "member@ocomms.test" {
		t.Errorf("owner removes member: %d %v", status, out)
	}
}
