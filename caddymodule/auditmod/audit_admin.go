package auditmod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/ocomms/ocomms-edge/auditlog/query"
	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/secevent"
)

func init() {
	caddy.RegisterModule(AuditAdmin{})
}

// AuditAdmin is the admin API of the audit log (admin.api.ocomms_audit),
// on Caddy's admin listener (localhost:2019 by default; restrict it as any
// admin endpoint). It answers over the running edge's store: PostgreSQL
// when configured, else the JSONL files. Every route is read-only.
//
//	GET      /ocomms/audit/events?user=&email=&ip=&type=&outcome=&since=&until=&after=&limit=
//	GET      /ocomms/audit/accounts-from-ip?ip=&since=&until=
//	GET      /ocomms/audit/ips-for-account?account=&since=&until=
//	GET|POST /ocomms/audit/verify
//	GET      /ocomms/audit/stats
type AuditAdmin struct{}

// CaddyModule returns the Caddy module information.
func (AuditAdmin) CaddyModule() caddy.ModuleInfo {
	return modkit.ModuleInfo[AuditAdmin]("admin.api.ocomms_audit")
}

// Routes implements caddy.AdminRouter.
func (AuditAdmin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/ocomms/audit/events", Handler: modkit.WithInstance(auditAdminEvents)},
		{Pattern: "/ocomms/audit/accounts-from-ip", Handler: modkit.WithInstance(
			auditAdminPivot("ip", "accounts", "accounts from ip", secevent.CheckIPOrCIDR, query.Querier.AccountsFromIP))},
		{Pattern: "/ocomms/audit/ips-for-account", Handler: modkit.WithInstance(
			auditAdminPivot("account", "ips", "ips for account", checkAccount, query.Querier.IPsForAccount))},
		{Pattern: "/ocomms/audit/verify", Handler: modkit.WithInstance(auditAdminVerify)},
		{Pattern: "/ocomms/audit/stats", Handler: modkit.WithInstance(auditAdminStats)},
	}
}

// auditAdminStore returns the running store, or the API error to answer.
func auditAdminStore(r *http.Request, methods ...string) (setup.Store, error) {
	ok := false
	for _, m := range methods {
		ok = ok || r.Method == m
	}
	if !ok {
		return setup.Store{}, caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed", r.Method)}
	}
	p := activeAudit()
	if p == nil {
		return setup.Store{}, caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("the audit log is not running")}
	}
	return p.store, nil
}

// errNoQuerier answers queries on a store that cannot answer them.
var errNoQuerier = caddy.APIError{HTTPStatus: http.StatusNotImplemented, Err: errors.New("this audit store cannot answer queries")}

func badRequest(err error) error {
	return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
}

// auditAdminQuerier returns the running store's querier, for a GET, or
// the API error to answer.
func auditAdminQuerier(r *http.Request) (query.Querier, error) {
	st, err := auditAdminStore(r, http.MethodGet)
	if err != nil {
		return nil, err
	}
	if st.Querier == nil {
		return nil, errNoQuerier
	}
	return st.Querier, nil
}

func auditAdminEvents(w http.ResponseWriter, r *http.Request) error {
	querier, err := auditAdminQuerier(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := secevent.FilterText{
		User: q.Get("user"), Email: q.Get("email"), IP: q.Get("ip"), Type: q.Get("type"),
		Outcome: q.Get("outcome"), Since: q.Get("since"), Until: q.Get("until"),
		After: q.Get("after"), Limit: q.Get("limit"),
	}.Filter(time.Now())
	if err != nil {
		return badRequest(err)
	}
	page, err := querier.Query(r.Context(), f)
	if err != nil {
		return badRequest(fmt.Errorf("query: %w", err))
	}
	out, err := pageJSON(page)
	if err != nil {
		return err
	}
	return writeAuditJSON(w, out)
}

// auditPageJSON is a page of events as the admin API and `--json` print
// it: each event as its canonical ECS document.
type auditPageJSON struct {
	Store  string            `json:"store,omitempty"`
	Events []json.RawMessage `json:"events"`
	Next   string            `json:"next,omitempty"`
}

func pageJSON(p query.Page) (auditPageJSON, error) {
	out := auditPageJSON{Events: make([]json.RawMessage, 0, len(p.Events)), Next: p.Next}
	for _, e := range p.Events {
		doc, err := record.MarshalEvent(e)
		if err != nil {
			return out, fmt.Errorf("encoding event %s: %w", e.ID, err)
		}
		out.Events = append(out.Events, doc)
	}
	return out, nil
}

// pivotJSON is one row of an IP↔account pivot.
type pivotJSON struct {
	Value    string    `json:"value"`
	Events   int       `json:"events"`
	Failures int       `json:"failures"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

func pivotsJSON(ps []query.Pivot) []pivotJSON {
	out := make([]pivotJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, pivotJSON{p.Value, p.Events, p.Failures, p.First.UTC(), p.Last.UTC()})
	}
	return out
}

// window reads since/until.
func window(get func(string) string) (since, until time.Time, err error) {
	now := time.Now()
	if since, err = secevent.ParseWhen(get("since"), now); err != nil {
		return since, until, badRequest(fmt.Errorf("since: %w", err))
	}
	if until, err = secevent.ParseWhen(get("until"), now); err != nil {
		return since, until, badRequest(fmt.Errorf("until: %w", err))
	}
	return since, until, nil
}

// auditAdminPivot serves one IP↔account pivot over the query parameter
// param (checked by check), listing pivot's rows as the answer's rows
// field; what names the pivot in its errors.
func auditAdminPivot(param, rows, what string, check func(string) error,
	pivot func(q query.Querier, ctx context.Context, v string, since, until time.Time) ([]query.Pivot, error)) caddy.AdminHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		querier, err := auditAdminQuerier(r)
		if err != nil {
			return err
		}
		v := r.URL.Query().Get(param)
		if err := check(v); err != nil {
			return badRequest(err)
		}
		since, until, err := window(r.URL.Query().Get)
		if err != nil {
			return err
		}
		ps, err := pivot(querier, r.Context(), v, since, until)
		if err != nil {
			return badRequest(fmt.Errorf("%s: %w", what, err))
		}
		return writeAuditJSON(w, map[string]any{param: v, rows: pivotsJSON(ps)})
	}
}

// checkAccount accepts a user id or an email.
func checkAccount(account string) error {
	if account == "" || len(account) > 320 {
		return errors.New("account: give a user id or an email")
	}
	return nil
}

func auditAdminVerify(w http.ResponseWriter, r *http.Request) error {
	st, err := auditAdminStore(r, http.MethodGet, http.MethodPost)
	if err != nil {
		return err
	}
	if st.Chain == nil {
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("this store cannot be verified")}
	}
	res, err := setup.Verify(r.Context(), st.Chain, st.OwnChain())
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: fmt.Errorf("verify: %w", err)}
	}
	res.Store = st.Name
	return writeAuditJSON(w, res)
}

func writeAuditJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Interface guard
var _ caddy.AdminRouter = AuditAdmin{}
