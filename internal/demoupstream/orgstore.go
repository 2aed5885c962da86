package demoupstream

import (
	"strings"
	"sync"
	"time"
)

// invitationLifetime is the organization plugin's default (48 hours).
const invitationLifetime = 48 * time.Hour

// Organization roles of the plugin's default access control.
const (
	roleOwner  = "owner"
	roleAdmin  = "admin"
	roleMember = "member"
)

// errAlreadyInvited is the plugin's answer to a second pending invitation.
var errAlreadyInvited = apiError{400, "application/json", "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION", "User is already invited to this organization"}

// organization is an organization row.
type organization struct {
	ID        string
	Name      string
	Slug      string
	Logo      *string
	CreatedAt time.Time
}

// member is a member row.
type member struct {
	ID             string
	OrganizationID string
	UserID         string
	Role           string
	CreatedAt      time.Time
}

// invitation is an invitation row.
type invitation struct {
	ID             string
	OrganizationID string
	Email          string
	Role           string
	Status         string
	InviterID      string
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// orgStore holds organizations, members and invitations; its methods are
// safe for concurrent use and return copies.
type orgStore struct {
	mu          sync.Mutex
	orgs        map[string]*organization
	members     map[string]*member
	invitations map[string]*invitation
}

// newOrgStore returns an empty orgStore.
func newOrgStore() *orgStore {
	return &orgStore{orgs: map[string]*organization{}, members: map[string]*member{}, invitations: map[string]*invitation{}}
}

// create adds an organization with its creator as owner.
func (s *orgStore) create(name, slug string, logo *string, creatorID string) (organization, member, apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if o.Slug == slug {
			return organization{}, member{}, errOrgExists, true
		}
	}
	org := &organization{ID: randomString(32), Name: name, Slug: slug, Logo: logo, CreatedAt: now()}
	s.orgs[org.ID] = org
	m := &member{ID: randomString(32), OrganizationID: org.ID, UserID: creatorID, Role: roleOwner, CreatedAt: now()}
	s.members[m.ID] = m
	return *org, *m, apiError{}, false
}

// memberOf finds a user's membership; the lock must be held.
func (s *orgStore) memberOf(orgID, userID string) *member {
	for _, m := range s.members {
		if m.OrganizationID == orgID && m.UserID == userID {
			return m
		}
	}
	return nil
}

// actor checks the organization exists and returns the acting member; the
// lock must be held.
func (s *orgStore) actor(orgID, userID string) (*member, apiError, bool) {
	if _, ok := s.orgs[orgID]; !ok {
		return nil, errOrgNotFound, true
	}
	m := s.memberOf(orgID, userID)
	if m == nil {
		return nil, errMemberNotFound, true
	}
	return m, apiError{}, false
}

// actorAndTarget resolves the acting member (as actor does) and the member
// ref names in the organization: a member id or, when userIDByEmail is not
// nil, a member's email. The lock must be held.
func (s *orgStore) actorAndTarget(orgID, actorID, ref string, userIDByEmail func(string) (string, bool)) (actor, target *member, e apiError, bad bool) {
	actor, e, bad = s.actor(orgID, actorID)
	if bad {
		return nil, nil, e, true
	}
	target, ok := s.members[ref]
	if !ok && userIDByEmail != nil && strings.Contains(ref, "@") {
		if uid, found := userIDByEmail(ref); found {
			target = s.memberOf(orgID, uid)
			ok = target != nil
		}
	}
	if !ok || target.OrganizationID != orgID {
		return nil, nil, errMemberNotFound, true
	}
	return actor, target, apiError{}, false
}

// invite stores a pending invitation from an owner or admin.
func (s *orgStore) invite(orgID, inviterID, email, role string, resend bool, userIDByEmail func(string) (string, bool)) (invitation, apiError, bool) {
	email = strings.ToLower(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	inviter, e, bad := s.actor(orgID, inviterID)
	if bad {
		return invitation{}, e, true
	}
	if !validRole(role) {
		return invitation{}, errRoleNotFound, true
	}
	if inviter.Role == roleMember || (role == roleOwner && inviter.Role != roleOwner) {
		return invitation{}, errNotAllowedToInvite, true
	}
	if uid, ok := userIDByEmail(email); ok && s.memberOf(orgID, uid) != nil {
		return invitation{}, errAlreadyMember, true
	}
	for _, inv := range s.invitations {
		if inv.OrganizationID == orgID && inv.Email == email && inv.Status == "pending" && now().Before(inv.ExpiresAt) {
			if !resend {
				return invitation{}, errAlreadyInvited, true
			}
			inv.ExpiresAt = now().Add(invitationLifetime)
			return *inv, apiError{}, false
		}
	}
	created := now()
	inv := &invitation{ID: randomString(32), OrganizationID: orgID, Email: email, Role: role, Status: "pending",
		InviterID: inviterID, ExpiresAt: created.Add(invitationLifetime), CreatedAt: created}
	s.invitations[inv.ID] = inv
	return *inv, apiError{}, false
}

// accept turns a pending invitation addressed to email into a membership.
func (s *orgStore) accept(invitationID, userID, email string) (invitation, member, apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invitations[invitationID]
	if !ok || inv.Status != "pending" || !now().Before(inv.ExpiresAt) {
		return invitation{}, member{}, errInvitationNotFound, true
	}
	if inv.Email != strings.ToLower(email) {
		return invitation{}, member{}, errNotRecipient, true
	}
	if s.memberOf(inv.OrganizationID, userID) != nil {
		return invitation{}, member{}, errAlreadyMember, true
	}
	inv.Status = "accepted"
	m := &member{ID: randomString(32), OrganizationID: inv.OrganizationID, UserID: userID, Role: inv.Role, CreatedAt: now()}
	s.members[m.ID] = m
	return *inv, *m, apiError{}, false
}

// updateRole changes a member's role under the default access control:
// owners may do anything, admins may not touch owners or make owners,
// members may not update anyone.
func (s *orgStore) updateRole(orgID, actorID, memberID, role string) (member, apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	actor, target, e, bad := s.actorAndTarget(orgID, actorID, memberID, nil)
	if bad {
		return member{}, e, true
	}
	if !validRole(role) {
		return member{}, errRoleNotFound, true
	}
	if actor.Role == roleMember || (actor.Role != roleOwner && (role == roleOwner || target.Role == roleOwner)) {
		return member{}, errNotAllowedToUpdate, true
	}
	if target.Role == roleOwner && role != roleOwner && s.owners(orgID) == 1 {
		return member{}, errCannotRemoveOwner, true
	}
	target.Role = role
	return *target, apiError{}, false
}

// remove deletes a member (by id or email) under the default access control.
func (s *orgStore) remove(orgID, actorID, idOrEmail string, userIDByEmail func(string) (string, bool)) (member, apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	actor, target, e, bad := s.actorAndTarget(orgID, actorID, idOrEmail, userIDByEmail)
	if bad {
		return member{}, e, true
	}
	if actor.Role == roleMember || (actor.Role != roleOwner && target.Role == roleOwner) {
		return member{}, errNotAllowedToDelete, true
	}
	if target.Role == roleOwner && s.owners(orgID) == 1 {
		return member{}, errCannotRemoveOwner, true
	}
	delete(s.members, target.ID)
	return *target, apiError{}, false
}

// owners counts an organization's owners; the lock must be held.
func (s *orgStore) owners(orgID string) int {
	n := 0
	for _, m := range s.members {
		if m.OrganizationID == orgID && m.Role == roleOwner {
			n++
		}
	}
	return n
}

// validRole reports whether role is one of the default roles.
func validRole(role string) bool {
	return role == roleOwner || role == roleAdmin || role == roleMember
}
