package adminaction

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
	"github.com/ocomms/ocomms-edge/internal/testsupport"
	"github.com/ocomms/ocomms-edge/secevent"
)

// fixtureCookie is the cookie header the recorder sent with a session.
const fixtureCookie = "better-auth.session_token=<token>.<signature>"

// alice is the user of get-session-with-cookie.
var alice = Session{UserID: "9BLz3MjANLe9qym81Mpw6RaLZQZJRklA", Email: "alice-mwrp14zd@example.test", Name: "Alice"}

// sessionServer answers get-session as recorded: the recorded session for
// the recorded cookie, JSON null (the bad-signature case) for any other.
func sessionServer(t *testing.T, lookups *atomic.Int64) *httptest.Server {
	t.Helper()
	with := fixtures.MustLoad("get-session-with-cookie").Response
	without := fixtures.MustLoad("get-session-bad-signature").Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lookups != nil {
			lookups.Add(1)
		}
		if r.Method != http.MethodGet || r.URL.Path != "/api/auth/get-session" {
			t.Errorf("session lookup %s %s", r.Method, r.URL.Path)
		}
		for name := range r.Header {
			switch name {
			case "Cookie", "Accept", "Accept-Encoding", "User-Agent":
			default:
				t.Errorf("session lookup forwarded header %s", name)
			}
		}
		rec := without
		if r.Header.Get("Cookie") == fixtureCookie {
			rec = with
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Status)
		w.Write(rec.BodyBytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// replay is an upstream that checks the body arrived byte-identical and
// answers with the fixture's recorded response.
func replay(t *testing.T, c fixtures.Case) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got []byte
		if r.Body != nil {
			got, _ = io.ReadAll(r.Body)
		}
		if want := c.Request.BodyBytes(); !bytes.Equal(got, want) {
			t.Errorf("%s: upstream body %q, want %q", c.Name, got, want)
		}
		for k, v := range c.Response.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(c.Response.Status)
		w.Write(c.Response.BodyBytes())
	})
}

func newTestAdmin(t *testing.T, sessURL string, em secevent.Emitter, pages ...string) *AdminActions {
	t.Helper()
	var res *SessionResolver
	if sessURL != "" {
		var err error
		res, err = NewSessionResolver(SessionConfig{URL: sessURL + "/api/auth/get-session"})
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := NewAdminActions(AdminConfig{
		Paths:    AdminPaths{Pages: pages},
		Sessions: res,
		ClientIP: func(*http.Request) string { return "203.0.113.7" },
		Emitter:  em,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAdminActionsFromFixtures(t *testing.T) {
	sess := sessionServer(t, nil)
	org := "LRdXaUQL5f2qobOb4x1v4zJwqq5M3CHr"
	bob := "bob-mwrp14zd@example.test"
	for _, tc := range []struct {
		fixture  string
		resource string
		status   int
		outcome  secevent.Outcome
		reason   string
		user     Session
		session  string // the "actor" label when there is no user
		target   string
		email    string
		labels   map[string]string
	}{
		{fixture: "organization-create", resource: "organization.create", status: 200, outcome: secevent.OutcomeSuccess, user: alice},
		{fixture: "organization-invite-member", resource: "organization.invite-member", status: 200, outcome: secevent.OutcomeSuccess, user: alice,
			email: bob, labels: map[string]string{"organization_id": org, "role": "member"}},
		{fixture: "organization-accept-invitation", resource: "organization.accept-invitation", status: 200, outcome: secevent.OutcomeSuccess, user: alice,
			labels: map[string]string{"invitation_id": "vtmlywvkTXBaOTzsn1WwOkymUBK0c1FG"}},
		{fixture: "organization-update-member-role", resource: "organization.update-member-role", status: 200, outcome: secevent.OutcomeSuccess, user: alice,
			target: "aKXBvt3X7pdsWgyZLFmaKUK0qLQeBTut", labels: map[string]string{"organization_id": org, "role": "admin"}},
		{fixture: "organization-update-member-role-forbidden", resource: "organization.update-member-role", status: 403, outcome: secevent.OutcomeFailure,
			reason: "forbidden", user: alice, target: "aKXBvt3X7pdsWgyZLFmaKUK0qLQeBTut", labels: map[string]string{"role": "owner"}},
		{fixture: "organization-remove-member", resource: "organization.remove-member", status: 200, outcome: secevent.OutcomeSuccess, user: alice,
			email: bob, labels: map[string]string{"organization_id": org}},
		{fixture: "organization-endpoint-without-session", resource: "organization.update-member-role", status: 401, outcome: secevent.OutcomeFailure,
			reason: "unauthenticated", session: "anonymous", target: "aKXBvt3X7pdsWgyZLFmaKUK0qLQeBTut"},
		{fixture: "app-admin-export-with-session", resource: "admin.export", status: 200, outcome: secevent.OutcomeSuccess, user: alice},
		{fixture: "app-admin-export-without-session", resource: "admin.export", status: 401, outcome: secevent.OutcomeFailure,
			reason: "unauthenticated", session: "anonymous"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			c := fixtures.MustLoad(tc.fixture)
			col := testsupport.NewEvents()
			h := newTestAdmin(t, sess.URL, col).AuditHandler(replay(t, c))
			req, err := c.Request.NewRequest("http://edge.test")
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", "fixture-test")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.Response.Status || !bytes.Equal(rec.Body.Bytes(), c.Response.BodyBytes()) {
				t.Fatalf("response %d %q changed", rec.Code, rec.Body.Bytes())
			}
			events := col.Wait(t, 1)
			if len(events) != 1 {
				t.Fatalf("%d events", len(events))
			}
			e := events[0]
			if e.Action != secevent.ActionAdmin || e.Labels["resource"] != tc.resource || e.Status != tc.status ||
				e.Outcome != tc.outcome || e.Reason != tc.reason {
				t.Errorf("event %+v", e)
			}
			if e.UserID != tc.user.UserID || e.UserEmail != tc.user.Email || e.UserName != tc.user.Name {
				t.Errorf("user %q %q %q, want %+v", e.UserID, e.UserEmail, e.UserName, tc.user)
			}
			if tc.session != "" && e.Labels["actor"] != tc.session {
				t.Errorf("actor label %q, want %q", e.Labels["actor"], tc.session)
			}
			if e.TargetUser != tc.target || e.TargetEmail != tc.email {
				t.Errorf("target %q %q, want %q %q", e.TargetUser, e.TargetEmail, tc.target, tc.email)
			}
			for k, v := range tc.labels {
				if e.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, e.Labels[k], v)
				}
			}
			if e.SourceIP != "203.0.113.7" || e.Method != c.Request.Method || e.Path != c.Request.Path || e.UserAgent != "fixture-test" {
				t.Errorf("request fields %q %q %q %q", e.SourceIP, e.Method, e.Path, e.UserAgent)
			}
			assertNoSecrets(t, e)
		})
	}
}

// assertNoSecrets fails when any field of e holds the cookie or the token.
func assertNoSecrets(t *testing.T, e secevent.Event) {
	t.Helper()
	all := []string{e.UserID, e.UserEmail, e.UserName, e.TargetUser, e.TargetEmail, e.Path, e.UserAgent, e.Reason}
	for k, v := range e.Labels {
		all = append(all, k, v)
	}
	for _, v := range all {
		if strings.Contains(v, "<token>") || strings.Contains(v, "session_token") || strings.Contains(v, "<signature>") {
			t.Errorf("event carries a secret: %q", v)
		}
	}
}

func TestServerActionOnAdminPage(t *testing.T) {
	sess := sessionServer(t, nil)
	col := testsupport.NewEvents()
	var upstream int
	a := newTestAdmin(t, sess.URL, col, "/admin*", "/*/settings*")
	h := a.AuditHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstream++
		b, _ := io.ReadAll(r.Body)
		if string(b) != `["gBvxndIrelpbqi1topCIrkCdAzfV24O8","LRdXaUQL5f2qobOb4x1v4zJwqq5M3CHr"]` {
			t.Errorf("action body %q", b)
		}
		w.Header().Set("Content-Type", "text/x-component")
		w.Write([]byte("0:{}\n"))
	}))
	action := func(path, id string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`["gBvxndIrelpbqi1topCIrkCdAzfV24O8","LRdXaUQL5f2qobOb4x1v4zJwqq5M3CHr"]`))
		r.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		r.Header.Set("Accept", "text/x-component")
		r.Header.Set("Cookie", fixtureCookie)
		if id != "" {
			r.Header.Set("Next-Action", id)
		}
		return r
	}
	h.ServeHTTP(httptest.NewRecorder(), action("/admin/users", "7f3a9c"))
	events := col.Wait(t, 1)
	e := events[0]
	if e.Labels["resource"] != "server_action" || e.Labels["server_action"] != "7f3a9c" || e.UserID != alice.UserID ||
		e.Outcome != secevent.OutcomeSuccess || e.Status != 200 {
		t.Fatalf("event %+v", e)
	}
	if e.TargetUser != "" || len(e.Labels) != 2 {
		t.Errorf("a server action's arguments were read: %+v", e)
	}
	// Not admin pages, or not an action: forwarded, not recorded.
	h.ServeHTTP(httptest.NewRecorder(), action("/ws1/channels", "7f3a9c"))
	h.ServeHTTP(httptest.NewRecorder(), action("/admin/users", ""))
	h.ServeHTTP(httptest.NewRecorder(), action("/ws1/settings/members", "abc"))
	all := col.Wait(t, 2)
	if upstream != 4 {
		t.Errorf("upstream saw %d requests", upstream)
	}
	if len(all) != 2 || all[1].Path != "/ws1/settings/members" {
		t.Errorf("events %+v", all)
	}
}

func TestAdminPathsMatch(t *testing.T) {
	p := AdminPaths{Pages: []string{"/admin*", "/*/settings/*", "/exact"}}
	for _, tc := range []struct {
		method, path, action string
		want                 string
	}{
		{"POST", "/api/auth/organization/create", "", "organization.create"},
		{"POST", "/api/auth/organization/delete", "", "organization.delete"},
		{"POST", "/api/auth//organization/../organization/remove-member", "", "organization.remove-member"},
		{"GET", "/api/auth/organization/list", "", ""},
		{"POST", "/api/auth/organization/set-active", "", ""},
		{"POST", "/api/auth/organization/check-slug", "", ""},
		{"POST", "/api/auth/sign-in/email", "", ""},
		{"GET", "/api/admin/audit-logs", "", "admin.audit-logs"},
		{"POST", `/api\admin\export`, "", "admin.export"}, // a URL parser reads \ as /
		{"POST", "/api/admin/export", "", "admin.export"},
		{"OPTIONS", "/api/admin/export", "", ""},
		{"GET", "/api/admin", "", ""},
		{"POST", "/api/administrator", "", ""},
		{"POST", "/admin", "x", "server_action"},
		{"POST", "/administration/x", "x", "server_action"},
		{"GET", "/admin", "x", ""},
		{"POST", "/w/settings/members", "x", "server_action"},
		{"POST", "/w/settings", "x", ""},
		{"POST", "/exact", "x", "server_action"},
		{"POST", "/exact/more", "x", ""},
		{"POST", "/chat", "x", ""},
	} {
		r := httptest.NewRequest(tc.method, "http://edge.test"+tc.path, nil)
		if tc.action != "" {
			r.Header.Set("Next-Action", tc.action)
		}
		act, ok := p.Match(r)
		if ok != (tc.want != "") || act.Resource != tc.want {
			t.Errorf("%s %s: %q %v, want %q", tc.method, tc.path, act.Resource, ok, tc.want)
		}
	}
}

func TestAdminBodyRestoredAndBounded(t *testing.T) {
	col := testsupport.NewEvents()
	a := newTestAdmin(t, "", col)
	big := `{"organizationId":"org1","pad":"` + strings.Repeat("x", DefaultAdminMaxBody) + `"}`
	for _, tc := range []struct {
		name, body string
		chunked    bool
		wantOrg    string
	}{
		{"small", `{"organizationId":"org1","memberId":"m1"}`, false, "org1"},
		{"small chunked", `{"organizationId":"org1"}`, true, "org1"},
		{"big", big, false, ""},
		{"big chunked", big, true, ""},
		{"malformed", `{"organizationId":`, false, ""},
		{"not an object", `["org1"]`, false, ""},
		{"number id", `{"organizationId":42}`, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			var gotLen int64
			h := a.AuditHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				gotLen = r.ContentLength
				w.WriteHeader(204)
			}))
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length
			}
			r := httptest.NewRequest("POST", "/api/auth/organization/update", body)
			r.Header.Set("Content-Type", "application/json")
			wantLen := r.ContentLength
			h.ServeHTTP(httptest.NewRecorder(), r)
			if string(got) != tc.body || gotLen != wantLen {
				t.Fatalf("upstream got %d bytes (length %d), want %d (length %d)", len(got), gotLen, len(tc.body), wantLen)
			}
			e := col.Wait(t, 1)
			col.Reset()
			if e[len(e)-1].Labels["organization_id"] != tc.wantOrg {
				t.Errorf("organization %q, want %q", e[len(e)-1].Labels["organization_id"], tc.wantOrg)
			}
		})
	}
}

func TestAdminQueryTargetAndNoQueryInPath(t *testing.T) {
	col := testsupport.NewEvents()
	a := newTestAdmin(t, "", col)
	h := a.AuditHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/api/admin/audit-logs?organizationId=o9&token=s3cret&userId=u1", nil)
	h.ServeHTTP(httptest.NewRecorder(), r)
	e := col.Wait(t, 1)[0]
	if e.Path != "/api/admin/audit-logs" || e.TargetUser != "u1" || e.Labels["organization_id"] != "o9" {
		t.Errorf("event %+v", e)
	}
	for _, v := range e.Labels {
		if strings.Contains(v, "s3cret") {
			t.Errorf("token in labels: %v", e.Labels)
		}
	}
}

func TestNonAdminRequestUntouched(t *testing.T) {
	col := testsupport.NewEvents()
	a := newTestAdmin(t, "", col)
	if p := a.Begin(httptest.NewRequest("POST", "/api/auth/sign-in/email", strings.NewReader("{}"))); p != nil {
		t.Fatal("sign-in recognised as an admin action")
	}
	if len(col.All()) != 0 {
		t.Fatal("event emitted")
	}
}

func TestAdminActorWithoutUser(t *testing.T) {
	sess := sessionServer(t, nil)
	for _, tc := range []struct{ url, cookie, want string }{
		{sess.URL, "better-auth.session_token=forged.sig", "no_session"},
		{"http://127.0.0.1:1", fixtureCookie, "unresolved"},
	} {
		col := testsupport.NewEvents()
		h := newTestAdmin(t, tc.url, col).AuditHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}))
		r := httptest.NewRequest("POST", "/api/auth/organization/create", strings.NewReader(`{"name":"x"}`))
		r.Header.Set("Cookie", tc.cookie)
		h.ServeHTTP(httptest.NewRecorder(), r)
		e := col.Wait(t, 1)[0]
		if e.UserID != "" || e.Labels["actor"] != tc.want || e.Outcome != secevent.OutcomeFailure {
			t.Errorf("%s: %+v", tc.want, e)
		}
	}
}
