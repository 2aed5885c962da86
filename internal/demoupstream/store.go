package demoupstream

import (
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"
)

// sessionLifetime is better-auth's default session expiresIn (7 days).
const sessionLifetime = 7 * 24 * time.Hour

// shortSessionLifetime is the lifetime of a rememberMe:false session.
const shortSessionLifetime = 24 * time.Hour

// resetTokenLifetime is better-auth's default resetPasswordTokenExpiresIn.
const resetTokenLifetime = time.Hour

// errEmailTaken is returned when signing up an email that is taken.
var errEmailTaken = errors.New("user already exists")

// user is a better-auth user row plus its credential password.
type user struct {
	ID        string
	Name      string
	Email     string
	Password  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// session is a better-auth session row.
type session struct {
	ID                   string
	Token                string
	UserID               string
	IPAddress            string
	UserAgent            string
	ActiveOrganizationID string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	ExpiresAt            time.Time
}

// resetToken is a pending password-reset verification.
type resetToken struct {
	userID    string
	expiresAt time.Time
}

// store is the in-memory database; every method is safe for concurrent use
// and returns copies.
type store struct {
	mu        sync.Mutex
	users     map[string]*user // by id
	byEmail   map[string]string
	sessions  map[string]*session // by token
	resets    map[string]resetToken
	lastReset map[string]string // email -> last issued token
}

// newStore returns an empty store.
func newStore() *store {
	return &store{
		users:     map[string]*user{},
		byEmail:   map[string]string{},
		sessions:  map[string]*session{},
		resets:    map[string]resetToken{},
		lastReset: map[string]string{},
	}
}

// createUser adds a user; the email is stored lower-cased.
func (s *store) createUser(name, email, password string) (user, error) {
	email = strings.ToLower(email)
	now := now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byEmail[email]; ok {
		return user{}, errEmailTaken
	}
	u := &user{ID: randomString(32), Name: name, Email: email, Password: password, CreatedAt: now, UpdatedAt: now}
	s.users[u.ID] = u
	s.byEmail[email] = u.ID
	return *u, nil
}

// userByEmail finds a user by (case-insensitive) email.
func (s *store) userByEmail(email string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEmail[strings.ToLower(email)]
	if !ok {
		return user{}, false
	}
	return *s.users[id], true
}

// userByID finds a user by id.
func (s *store) userByID(id string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return user{}, false
	}
	return *u, true
}

// checkPassword reports whether password is the user's, in constant time.
func (u user) checkPassword(password string) bool {
	return subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1
}

// setPassword replaces a user's password.
func (s *store) setPassword(userID, password string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return user{}, false
	}
	u.Password = password
	u.UpdatedAt = now()
	return *u, true
}

// createSession opens a session for a user.
func (s *store) createSession(userID, ip, userAgent string, short bool) session {
	now := now()
	lifetime := sessionLifetime
	if short {
		lifetime = shortSessionLifetime
	}
	sess := &session{
		ID: randomString(32), Token: randomString(32), UserID: userID,
		IPAddress: ip, UserAgent: userAgent,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(lifetime),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.Token] = sess
	return *sess
}

// sessionByToken returns a live session and its user.
func (s *store) sessionByToken(token string) (session, user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[token]
	if !ok {
		return session{}, user{}, false
	}
	if !now().Before(sess.ExpiresAt) {
		delete(s.sessions, token)
		return session{}, user{}, false
	}
	u, ok := s.users[sess.UserID]
	if !ok {
		return session{}, user{}, false
	}
	return *sess, *u, true
}

// setActiveOrganization records the session's active organization.
func (s *store) setActiveOrganization(token, orgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.sessions[token]; ok {
		sess.ActiveOrganizationID = orgID
		sess.UpdatedAt = now()
	}
}

// deleteSession removes one session.
func (s *store) deleteSession(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, token)
}

// deleteUserSessions removes every session of a user.
func (s *store) deleteUserSessions(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, sess := range s.sessions {
		if sess.UserID == userID {
			delete(s.sessions, token)
		}
	}
}

// issueResetToken stores a new 24-character reset token for a user.
func (s *store) issueResetToken(u user) string {
	token := randomString(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resets[token] = resetToken{userID: u.ID, expiresAt: now().Add(resetTokenLifetime)}
	s.lastReset[u.Email] = token
	return token
}

// validResetToken reports whether a reset token is known and unexpired.
func (s *store) validResetToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.resets[token]
	return ok && now().Before(rt.expiresAt)
}

// consumeResetToken deletes a valid reset token and returns its user id.
func (s *store) consumeResetToken(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.resets[token]
	if !ok {
		return "", false
	}
	delete(s.resets, token)
	if !now().Before(rt.expiresAt) {
		return "", false
	}
	return rt.userID, true
}

// lastResetToken returns the last reset token issued for an email.
func (s *store) lastResetToken(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReset[strings.ToLower(email)]
}

// now is the current time at millisecond precision, as JavaScript keeps it.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Millisecond)
}
