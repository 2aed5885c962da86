package demoupstream

import (
	"bytes"
	"encoding/json"
	"time"
)

// jsTime marshals like JavaScript's Date.prototype.toJSON
// ("2026-11-22T10:27:55.468Z").
type jsTime time.Time

// MarshalJSON implements json.Marshaler.
func (t jsTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// userView is a user as better-auth returns it (field order as recorded).
type userView struct {
	Name          string  `json:"name"`
	Email         string  `json:"email"`
	EmailVerified bool    `json:"emailVerified"`
	Image         *string `json:"image"`
	CreatedAt     jsTime  `json:"createdAt"`
	UpdatedAt     jsTime  `json:"updatedAt"`
	ID            string  `json:"id"`
}

// view returns the public JSON shape of a user.
func (u user) view() userView {
	return userView{Name: u.Name, Email: u.Email, CreatedAt: jsTime(u.CreatedAt), UpdatedAt: jsTime(u.UpdatedAt), ID: u.ID}
}

// sessionView is a session as get-session returns it.
type sessionView struct {
	ExpiresAt            jsTime  `json:"expiresAt"`
	Token                string  `json:"token"`
	CreatedAt            jsTime  `json:"createdAt"`
	UpdatedAt            jsTime  `json:"updatedAt"`
	IPAddress            string  `json:"ipAddress"`
	UserAgent            string  `json:"userAgent"`
	UserID               string  `json:"userId"`
	ActiveOrganizationID *string `json:"activeOrganizationId"`
	ID                   string  `json:"id"`
}

// view returns the public JSON shape of a session.
func (s session) view() sessionView {
	v := sessionView{
		ExpiresAt: jsTime(s.ExpiresAt), Token: s.Token, CreatedAt: jsTime(s.CreatedAt),
		UpdatedAt: jsTime(s.UpdatedAt), IPAddress: s.IPAddress, UserAgent: s.UserAgent,
		UserID: s.UserID, ID: s.ID,
	}
	if s.ActiveOrganizationID != "" {
		org := s.ActiveOrganizationID
		v.ActiveOrganizationID = &org
	}
	return v
}

// marshal encodes v compactly without HTML escaping, like JSON.stringify.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("demoupstream: marshal: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
