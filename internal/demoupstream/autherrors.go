package demoupstream

import (
	"net/http"

	"github.com/ocomms/ocomms-edge/internal/fixtures"
)

// apiError is a better-auth APIError answer: {"code","message"} JSON.
type apiError struct {
	status      int
	contentType string
	code        string
	message     string
}

// fixtureError takes status, content type, code and message from a
// recorded error response.
func fixtureError(name string) apiError {
	rec := fixtures.MustLoad(name).Response
	code, message := rec.ErrorFields()
	return apiError{status: rec.Status, contentType: rec.ContentType(), code: code, message: message}
}

// Errors recorded in the fixtures.
var (
	errInvalidCredentials  = fixtureError("sign-in-wrong-password")
	errInvalidEmail        = fixtureError("sign-in-invalid-email-format")
	errUserExists          = fixtureError("sign-up-duplicate-email")
	errPasswordTooShort    = fixtureError("sign-up-password-too-short")
	errPasswordTooLong     = fixtureError("sign-up-password-too-long")
	errInvalidPassword     = fixtureError("change-password-wrong-current")
	errInvalidToken        = fixtureError("reset-password-bad-token")
	errMissingOrigin       = fixtureError("change-password-missing-origin")
	errInvalidOrigin       = fixtureError("change-password-untrusted-origin")
	errCrossSiteNavigation = fixtureError("sign-in-form-cross-site-navigation")
	errNotAllowedToUpdate  = fixtureError("organization-update-member-role-forbidden")
	// The next two keep the recorded status and type; the message is
	// built per request in the recorded wording.
	errUnsupportedMediaType = fixtureError("sign-in-text-plain-body")
	errValidation           = fixtureError("sign-in-missing-field")
)

// Errors with no recording, in better-auth 1.4's wording (BASE_ERROR_CODES
// and the organization plugin's codes); status as better-auth throws them.
var (
	errFailedToGetSession = apiError{http.StatusBadRequest, "application/json", "FAILED_TO_GET_SESSION", "Failed to get session"}
	errOrgNotFound        = apiError{http.StatusBadRequest, "application/json", "ORGANIZATION_NOT_FOUND", "Organization not found"}
	errOrgExists          = apiError{http.StatusBadRequest, "application/json", "ORGANIZATION_ALREADY_EXISTS", "Organization already exists"}
	errNoActiveOrg        = apiError{http.StatusBadRequest, "application/json", "NO_ACTIVE_ORGANIZATION", "No active organization"}
	errMemberNotFound     = apiError{http.StatusBadRequest, "application/json", "MEMBER_NOT_FOUND", "Member not found"}
	errInvitationNotFound = apiError{http.StatusBadRequest, "application/json", "INVITATION_NOT_FOUND", "Invitation not found"}
	errAlreadyMember      = apiError{http.StatusBadRequest, "application/json", "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION", "User is already a member of this organization"}
	errNotRecipient       = apiError{http.StatusForbidden, "application/json", "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION", "You are not the recipient of the invitation"}
	errNotAllowedToInvite = apiError{http.StatusForbidden, "application/json", "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION", "You are not allowed to invite users to this organization"}
	errNotAllowedToDelete = apiError{http.StatusForbidden, "application/json", "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", "You are not allowed to delete this member"}
	errCannotRemoveOwner  = apiError{http.StatusBadRequest, "application/json", "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "You cannot leave the organization as the only owner"}
	errRoleNotFound       = apiError{http.StatusBadRequest, "application/json", "ROLE_NOT_FOUND", "Role not found"}
)

// withMessage returns e with another message (same code, status, type).
func (e apiError) withMessage(message string) apiError {
	e.message = message
	return e
}

// write sends the error as better-auth does.
func (e apiError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", e.contentType)
	writeBody(w, e.status, marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.code, e.message}))
}
