package record

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms-edge/secevent"
)

// OCSFVersion is the OCSF schema release the projection follows.
const OCSFVersion = "1.8.0"

// ocsfClass is one Action's OCSF class, category and activity.
type ocsfClass struct {
	ClassUID    int
	ClassName   string
	CategoryUID int
	Category    string
	ActivityID  int // 0: derived from the HTTP method
	Activity    string
}

var ocsfTable = map[secevent.Action]ocsfClass{
	secevent.ActionSignInSucceeded:   {3002, "Authentication", 3, "Identity & Access Management", 1, "Logon"},
	secevent.ActionSignInFailed:      {3002, "Authentication", 3, "Identity & Access Management", 1, "Logon"},
	secevent.ActionSignInRefused:     {3002, "Authentication", 3, "Identity & Access Management", 1, "Logon"},
	secevent.ActionSignOut:           {3002, "Authentication", 3, "Identity & Access Management", 2, "Logoff"},
	secevent.ActionSignUp:            {3001, "Account Change", 3, "Identity & Access Management", 1, "Create"},
	secevent.ActionPasswordChanged:   {3001, "Account Change", 3, "Identity & Access Management", 3, "Password Change"},
	secevent.ActionPasswordRejected:  {3001, "Account Change", 3, "Identity & Access Management", 3, "Password Change"},
	secevent.ActionPasswordReset:     {3001, "Account Change", 3, "Identity & Access Management", 4, "Password Reset"},
	secevent.ActionAccountLocked:     {3001, "Account Change", 3, "Identity & Access Management", 9, "Lock"},
	secevent.ActionAccountUnlocked:   {3001, "Account Change", 3, "Identity & Access Management", 12, "Unlock"},
	secevent.ActionAdmin:             {6003, "API Activity", 6, "Application Activity", 0, ""},
	secevent.ActionRateLimited:       {4002, "HTTP Activity", 4, "Network Activity", 0, ""},
	secevent.ActionRequestRefused:    {4002, "HTTP Activity", 4, "Network Activity", 0, ""},
	secevent.ActionCSPViolation:      {4002, "HTTP Activity", 4, "Network Activity", 0, ""},
	secevent.ActionCertObtained:      {6002, "Application Lifecycle", 6, "Application Activity", 8, "Update"},
	secevent.ActionCertRenewed:       {6002, "Application Lifecycle", 6, "Application Activity", 8, "Update"},
	secevent.ActionCertFailed:        {6002, "Application Lifecycle", 6, "Application Activity", 8, "Update"},
	secevent.ActionConfigLoaded:      {6002, "Application Lifecycle", 6, "Application Activity", 8, "Update"},
	secevent.ActionAuditCheckpoint:   {6002, "Application Lifecycle", 6, "Application Activity", 99, "Other"},
	secevent.ActionAuditRetentionCut: {6002, "Application Lifecycle", 6, "Application Activity", 99, "Other"},
}

// httpActivity is OCSF 4002's activity_id for an HTTP method.
var httpActivity = map[string]struct {
	id   int
	name string
}{
	"CONNECT": {1, "Connect"}, "DELETE": {2, "Delete"}, "GET": {3, "Get"}, "HEAD": {4, "Head"},
	"OPTIONS": {5, "Options"}, "POST": {6, "Post"}, "PUT": {7, "Put"}, "TRACE": {8, "Trace"}, "PATCH": {9, "Patch"},
}

// apiActivity is OCSF 6003's CRUD activity_id for an HTTP method.
func apiActivity(method string) (int, string) {
	switch strings.ToUpper(method) {
	case "POST":
		return 1, "Create"
	case "GET", "HEAD":
		return 2, "Read"
	case "PUT", "PATCH":
		return 3, "Update"
	case "DELETE":
		return 4, "Delete"
	}
	return 99, "Other"
}

// OCSF projects an event onto OCSF 1.8.0: class_uid, category_uid,
// activity_id, type_uid (class_uid×100+activity_id), severity_id, time in
// epoch milliseconds, metadata (product, version, uid, sequence), status,
// and the class's required objects (user for 3001/3002; actor, api and
// src_endpoint for 6003; app for 6002). Rate limits and CSP reports carry
// the Security Control profile's action_id and disposition_id.
func OCSF(e secevent.Event) map[string]any {
	e = Sanitize(e)
	c, ok := ocsfTable[e.Action]
	if !ok {
		c = ocsfClass{6002, "Application Lifecycle", 6, "Application Activity", 99, "Other"}
	}
	activity, activityName := c.ActivityID, c.Activity
	switch c.ClassUID {
	case 4002:
		if a, ok := httpActivity[strings.ToUpper(e.Method)]; ok {
			activity, activityName = a.id, a.name
		} else {
			activity, activityName = 99, "Other"
		}
	case 6003:
		activity, activityName = apiActivity(e.Method)
	}
	status, statusName := 0, "Unknown"
	switch e.Outcome {
	case secevent.OutcomeSuccess:
		status, statusName = 1, "Success"
	case secevent.OutcomeFailure:
		status, statusName = 2, "Failure"
	}
	severity, severityName := 1, "Informational"
	switch {
	case e.Action == secevent.ActionAccountLocked || e.Action == secevent.ActionRateLimited || e.Action == secevent.ActionCertFailed:
		severity, severityName = 3, "Medium"
	case e.Outcome == secevent.OutcomeFailure || e.Action == secevent.ActionCSPViolation:
		severity, severityName = 2, "Low"
	}

	meta := map[string]any{
		"version": OCSFVersion,
		"product": map[string]any{"name": "ocomms-edge", "vendor_name": "OComms"},
	}
	if e.ID != "" {
		meta["uid"] = e.ID
	}
	if e.Sequence != 0 {
		meta["sequence"] = e.Sequence
	}
	if e.Instance != "" {
		meta["log_name"] = "ocomms.audit"
		meta["loggers"] = []any{map[string]any{"name": e.Instance, "product": map[string]any{"name": "ocomms-edge"}}}
	}
	out := map[string]any{
		"class_uid":     c.ClassUID,
		"class_name":    c.ClassName,
		"category_uid":  c.CategoryUID,
		"category_name": c.Category,
		"activity_id":   activity,
		"activity_name": activityName,
		"type_uid":      c.ClassUID*100 + activity,
		"type_name":     c.ClassName + ": " + activityName,
		"severity_id":   severity,
		"severity":      severityName,
		"status_id":     status,
		"status":        statusName,
		"time":          e.Time.UnixMilli(),
		"metadata":      meta,
		"message":       string(e.Action),
	}
	if e.Reason != "" {
		out["status_detail"] = e.Reason
	}
	user := ocsfUser(e.UserID, e.UserEmail, e.UserName)
	target := ocsfUser(e.TargetUser, e.TargetEmail, "")
	src := map[string]any{}
	if e.SourceIP != "" {
		src["ip"] = e.SourceIP
	}
	if e.Method != "" || e.Path != "" || e.UserAgent != "" {
		req := map[string]any{}
		if e.Method != "" {
			req["http_method"] = e.Method
		}
		if e.Path != "" {
			req["url"] = map[string]any{"path": e.Path}
		}
		if e.UserAgent != "" {
			req["user_agent"] = e.UserAgent
		}
		out["http_request"] = req
	}
	if e.Status != 0 {
		out["http_response"] = map[string]any{"code": e.Status}
	}
	if len(e.Labels) > 0 {
		unmapped := map[string]any{}
		for k, v := range e.Labels {
			unmapped[k] = v
		}
		out["unmapped"] = map[string]any{"labels": unmapped}
	}
	switch c.ClassUID {
	case 3002:
		if user == nil {
			user = map[string]any{"type_id": 0}
		}
		out["user"] = user
		out["src_endpoint"] = src
		out["service"] = map[string]any{"name": "ocomms"}
		out["auth_protocol_id"] = 99
		out["auth_protocol"] = "better-auth"
	case 3001:
		// The account changed is the target for admin-driven changes,
		// otherwise the acting user.
		switch {
		case target != nil:
			out["user"] = target
			if user != nil {
				out["actor"] = map[string]any{"user": user}
			}
		case user != nil:
			out["user"] = user
		default:
			out["user"] = map[string]any{"type_id": 0}
		}
		out["src_endpoint"] = src
	case 6003:
		actor := map[string]any{}
		if user != nil {
			actor["user"] = user
		}
		out["actor"] = actor
		api := map[string]any{"operation": strings.TrimSpace(e.Method + " " + e.Path), "service": map[string]any{"name": "ocomms"}}
		out["api"] = api
		out["src_endpoint"] = src
		if target != nil {
			out["resources"] = []any{map[string]any{"type": "user", "uid": FirstNonEmpty(e.TargetUser, e.TargetEmail)}}
		} else if r := e.Labels["resource"]; r != "" {
			out["resources"] = []any{map[string]any{"name": r}}
		}
	case 4002:
		out["src_endpoint"] = src
		out["dst_endpoint"] = map[string]any{"hostname": FirstNonEmpty(e.Instance, "ocomms-edge")}
		if _, ok := out["http_request"]; !ok {
			out["http_request"] = map[string]any{}
		}
		if e.Action == secevent.ActionRateLimited {
			out["action_id"], out["action"] = 2, "Denied"
			out["disposition_id"], out["disposition"] = 2, "Blocked"
		} else {
			out["action_id"], out["action"] = 3, "Observed"
			out["disposition_id"], out["disposition"] = 15, "Detected"
		}
	case 6002:
		out["app"] = map[string]any{"name": "ocomms-edge", "vendor_name": "OComms"}
	}
	if user != nil {
		if _, ok := out["actor"]; !ok && c.ClassUID != 3002 && c.ClassUID != 3001 {
			out["actor"] = map[string]any{"user": user}
		}
	}
	return out
}

func ocsfUser(id, email, name string) map[string]any {
	if id == "" && email == "" && name == "" {
		return nil
	}
	u := map[string]any{}
	if id != "" {
		u["uid"] = id
	}
	if email != "" {
		u["email_addr"] = email
	}
	if name != "" {
		u["name"] = name
	} else if email != "" {
		u["name"] = email
	}
	return u
}

// FirstNonEmpty returns the first non-empty string of ss, or "".
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// MarshalOCSF returns the OCSF projection of e as JSON (keys sorted, so
// the bytes are stable): one line of an OCSF export.
func MarshalOCSF(e secevent.Event) ([]byte, error) {
	b, err := json.Marshal(OCSF(e))
	if err != nil {
		return nil, fmt.Errorf("encode ocsf: %w", err)
	}
	return b, nil
}
