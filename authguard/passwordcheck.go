package authguard

import "github.com/ocomms/ocomms-edge/authguard/password"

// PasswordChecker decides whether a new password may be set. The guard
// calls it on sign-up (`password`), change-password and reset-password
// (`newPassword`) before anything is forwarded. context holds words the
// password must not be built on (the email, its local part, the name, the
// site's own words). A nil result admits the password; a Refusal (status
// 400, code PASSWORD_TOO_SHORT, PASSWORD_TOO_WEAK or PASSWORD_COMPROMISED,
// a message a person can act on) rejects it. It must never log or keep the
// password.
type PasswordChecker interface {
	CheckPassword(password string, context []string) *password.Refusal
}

var _ PasswordChecker = (*password.PasswordPolicy)(nil)
