package demoupstream

// orgView is an organization as /organization/create returns it.
type orgView struct {
	Name      string       `json:"name"`
	Slug      string       `json:"slug"`
	Logo      *string      `json:"logo"`
	CreatedAt jsTime       `json:"createdAt"`
	ID        string       `json:"id"`
	Members   []memberView `json:"members"`
}

// memberView is a member row in organization answers.
type memberView struct {
	OrganizationID string `json:"organizationId"`
	UserID         string `json:"userId"`
	Role           string `json:"role"`
	CreatedAt      jsTime `json:"createdAt"`
	ID             string `json:"id"`
}

// memberUser is the user summary remove-member embeds.
type memberUser struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email string  `json:"email"`
	Image *string `json:"image"`
}

// removedMemberView is a member with its user, as remove-member returns it.
type removedMemberView struct {
	memberView
	User memberUser `json:"user"`
}

// invitationView is an invitation row.
type invitationView struct {
	OrganizationID string `json:"organizationId"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	Status         string `json:"status"`
	ExpiresAt      jsTime `json:"expiresAt"`
	CreatedAt      jsTime `json:"createdAt"`
	InviterID      string `json:"inviterId"`
	ID             string `json:"id"`
}

// view returns the JSON shape of a member.
func (m member) view() memberView {
	return memberView{OrganizationID: m.OrganizationID, UserID: m.UserID, Role: m.Role, CreatedAt: jsTime(m.CreatedAt), ID: m.ID}
}

// view returns the JSON shape of an invitation.
func (i invitation) view() invitationView {
	return invitationView{OrganizationID: i.OrganizationID, Email: i.Email, Role: i.Role, Status: i.Status,
		ExpiresAt: jsTime(i.ExpiresAt), CreatedAt: jsTime(i.CreatedAt), InviterID: i.InviterID, ID: i.ID}
}

// orgID resolves body.organizationId, falling back to the session's
// active organization.
func (c *authCall) orgID() (string, apiError, bool) {
	if id := str(c.body, "organizationId"); id != "" {
		return id, apiError{}, false
	}
	if c.session.ActiveOrganizationID != "" {
		return c.session.ActiveOrganizationID, apiError{}, false
	}
	return "", errNoActiveOrg, true
}

// userIDByEmail looks a user id up by email, for the org store.
func (h *Handler) userIDByEmail(email string) (string, bool) {
	u, ok := h.store.userByEmail(email)
	return u.ID, ok
}

// orgCreate serves POST /organization/create.
func (h *Handler) orgCreate(c *authCall) {
	var logo *string
	if l := str(c.body, "logo"); l != "" {
		logo = &l
	}
	org, owner, e, bad := h.orgs.create(str(c.body, "name"), str(c.body, "slug"), logo, c.user.ID)
	if bad {
		e.write(c.w)
		return
	}
	if keep, _ := boolField(c.body, "keepCurrentActiveOrganization"); !keep {
		h.store.setActiveOrganization(c.session.Token, org.ID)
	}
	writeRecordedJSON(c.w, recOrgCreated, orgView{Name: org.Name, Slug: org.Slug, Logo: org.Logo,
		CreatedAt: jsTime(org.CreatedAt), ID: org.ID, Members: []memberView{owner.view()}})
}

// orgInvite serves POST /organization/invite-member.
func (h *Handler) orgInvite(c *authCall) {
	orgID, e, bad := c.orgID()
	if bad {
		e.write(c.w)
		return
	}
	resend, _ := boolField(c.body, "resend")
	inv, e, bad := h.orgs.invite(orgID, c.user.ID, str(c.body, "email"), str(c.body, "role"), resend, h.userIDByEmail)
	if bad {
		e.write(c.w)
		return
	}
	writeRecordedJSON(c.w, recOrgInvited, inv.view())
}

// orgAccept serves POST /organization/accept-invitation.
func (h *Handler) orgAccept(c *authCall) {
	inv, m, e, bad := h.orgs.accept(str(c.body, "invitationId"), c.user.ID, c.user.Email)
	if bad {
		e.write(c.w)
		return
	}
	h.store.setActiveOrganization(c.session.Token, inv.OrganizationID)
	writeRecordedJSON(c.w, recOrgAccepted, struct {
		Invitation invitationView `json:"invitation"`
		Member     memberView     `json:"member"`
	}{inv.view(), m.view()})
}

// orgUpdateRole serves POST /organization/update-member-role.
func (h *Handler) orgUpdateRole(c *authCall) {
	orgID, e, bad := c.orgID()
	if bad {
		e.write(c.w)
		return
	}
	m, e, bad := h.orgs.updateRole(orgID, c.user.ID, str(c.body, "memberId"), str(c.body, "role"))
	if bad {
		e.write(c.w)
		return
	}
	writeRecordedJSON(c.w, recOrgRoleUpdated, m.view())
}

// orgRemoveMember serves POST /organization/remove-member.
func (h *Handler) orgRemoveMember(c *authCall) {
	orgID, e, bad := c.orgID()
	if bad {
		e.write(c.w)
		return
	}
	m, e, bad := h.orgs.remove(orgID, c.user.ID, str(c.body, "memberIdOrEmail"), h.userIDByEmail)
	if bad {
		e.write(c.w)
		return
	}
	out := removedMemberView{memberView: m.view()}
	if u, ok := h.store.userByID(m.UserID); ok {
		out.User = memberUser{ID: u.ID, Name: u.Name, Email: u.Email}
	}
	writeRecordedJSON(c.w, recOrgRemoved, struct {
		Member removedMemberView `json:"member"`
	}{out})
}
