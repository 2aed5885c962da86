package adminaction

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/ocomms/ocomms-edge/internal/jscase"
)

// DefaultAdminMaxBody is how much of an admin request's JSON body is read
// to find its target. Larger bodies are forwarded untouched, without one.
const DefaultAdminMaxBody = 16 << 10

// adminTargetFields are the fields of better-auth organization requests and
// the app's admin routes that name what the action is done to.
type adminTargetFields struct {
	MemberID        json.RawMessage `json:"memberId"`
	MemberIDOrEmail json.RawMessage `json:"memberIdOrEmail"`
	UserID          json.RawMessage `json:"userId"`
	Email           json.RawMessage `json:"email"`
	OrganizationID  json.RawMessage `json:"organizationId"`
	Role            json.RawMessage `json:"role"`
	InvitationID    json.RawMessage `json:"invitationId"`
}

// readAdminTarget fills act's target from the query and, for a small JSON
// body, from the body, which it puts back byte for byte. Server action
// bodies (the action's arguments) are never read.
func readAdminTarget(r *http.Request, act *AdminAction, maxBody int64) {
	q := r.URL.Query()
	act.apply(adminTargetFields{
		MemberID:       adminQueryJSON(q.Get("memberId")),
		UserID:         adminQueryJSON(q.Get("userId")),
		Email:          adminQueryJSON(q.Get("email")),
		OrganizationID: adminQueryJSON(q.Get("organizationId")),
		InvitationID:   adminQueryJSON(q.Get("invitationId")),
	})
	if act.Resource == "server_action" || r.Body == nil || r.Body == http.NoBody {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" || r.ContentLength > maxBody {
		return
	}
	data, ok := peekBody(r, maxBody)
	if !ok {
		return
	}
	var f adminTargetFields
	if json.Unmarshal(data, &f) == nil {
		act.apply(f)
	}
}

// peekBody reads up to max bytes of r.Body and puts back a body that yields
// exactly the original bytes. ok is false when the body is larger than max
// or could not be read to its end.
func peekBody(r *http.Request, max int64) (data []byte, ok bool) {
	orig := r.Body
	buf, err := io.ReadAll(io.LimitReader(orig, max+1))
	r.Body = &restoredBody{Reader: io.MultiReader(bytes.NewReader(buf), orig), closer: orig}
	if err != nil || int64(len(buf)) > max {
		return nil, false
	}
	return buf, true
}

// restoredBody replays the bytes read ahead, then the rest of the original
// body, and closes the original.
type restoredBody struct {
	io.Reader
	closer io.Closer
}

func (b *restoredBody) Close() error { return b.closer.Close() }

func adminQueryJSON(v string) json.RawMessage {
	if v == "" {
		return nil
	}
	data, _ := json.Marshal(v)
	return data
}

// apply takes the string fields that are set (a role may be a list).
func (act *AdminAction) apply(f adminTargetFields) {
	set := func(dst *string, raw json.RawMessage) {
		if v := adminString(raw); v != "" {
			*dst = v
		}
	}
	set(&act.TargetUser, f.MemberID)
	set(&act.TargetUser, f.UserID)
	if v := adminString(f.MemberIDOrEmail); v != "" {
		if strings.Contains(v, "@") {
			act.TargetEmail = jscase.ToLower(v)
		} else {
			act.TargetUser = v
		}
	}
	if v := adminString(f.Email); v != "" {
		act.TargetEmail = jscase.ToLower(v)
	}
	set(&act.OrganizationID, f.OrganizationID)
	set(&act.Role, f.Role)
	set(&act.InvitationID, f.InvitationID)
}

// adminString decodes a JSON string, or a list of strings joined with
// commas, bounded and printable; anything else is "".
func adminString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return adminField(s)
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return adminField(strings.Join(list, ","))
	}
	return ""
}
