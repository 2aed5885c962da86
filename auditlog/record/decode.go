package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ocomms/ocomms-edge/secevent"
)

// UserDoc is the ECS user object as the canonical encoding writes it:
// decoded here and by the Postgres sink's column read alike.
type UserDoc struct {
	Email  string `json:"email"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Target struct {
		Email string `json:"email"`
		ID    string `json:"id"`
	} `json:"target"`
}

// ecsDoc mirrors the canonical encoding for decoding.
type ecsDoc struct {
	Timestamp string `json:"@timestamp"`
	Event     struct {
		Action   string `json:"action"`
		ID       string `json:"id"`
		Outcome  string `json:"outcome"`
		Reason   string `json:"reason"`
		Sequence uint64 `json:"sequence"`
	} `json:"event"`
	HTTP struct {
		Request struct {
			Method string `json:"method"`
		} `json:"request"`
		Response struct {
			StatusCode int `json:"status_code"`
		} `json:"response"`
	} `json:"http"`
	Labels   map[string]string `json:"labels"`
	Observer struct {
		Name string `json:"name"`
	} `json:"observer"`
	Source struct {
		IP string `json:"ip"`
	} `json:"source"`
	URL struct {
		Path string `json:"path"`
	} `json:"url"`
	User      UserDoc `json:"user"`
	UserAgent struct {
		Original string `json:"original"`
	} `json:"user_agent"`
}

// UnmarshalEvent decodes an ECS JSON document as MarshalEvent writes it.
// Derived fields (event.kind/category/type, related.*, ecs.version) are
// ignored: they follow from the others. For any event e,
// UnmarshalEvent(MarshalEvent(e)) equals Sanitize(e).
func UnmarshalEvent(data []byte) (secevent.Event, error) {
	var d ecsDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return secevent.Event{}, fmt.Errorf("decode audit event: %w", err)
	}
	if d.Event.Action == "" {
		return secevent.Event{}, fmt.Errorf("decode audit event: %w", errNoAction)
	}
	ts, err := time.Parse(time.RFC3339Nano, d.Timestamp)
	if err != nil {
		return secevent.Event{}, fmt.Errorf("decode audit event @timestamp: %w", err)
	}
	e := secevent.Event{
		ID:          d.Event.ID,
		Time:        ts,
		Action:      secevent.Action(d.Event.Action),
		Outcome:     secevent.Outcome(d.Event.Outcome),
		Reason:      d.Event.Reason,
		UserID:      d.User.ID,
		UserEmail:   d.User.Email,
		UserName:    d.User.Name,
		TargetUser:  d.User.Target.ID,
		TargetEmail: d.User.Target.Email,
		SourceIP:    d.Source.IP,
		UserAgent:   d.UserAgent.Original,
		Method:      d.HTTP.Request.Method,
		Path:        d.URL.Path,
		Status:      d.HTTP.Response.StatusCode,
		Labels:      d.Labels,
		Instance:    d.Observer.Name,
		Sequence:    d.Event.Sequence,
	}
	if len(e.Labels) == 0 {
		e.Labels = nil
	}
	return Sanitize(e), nil
}
