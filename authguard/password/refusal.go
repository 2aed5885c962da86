package password

// Refusal is the policy's verdict on a password it rejects: the status
// (400), the code and a message a person can act on, which the guard
// answers with instead of forwarding the password.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

// Error is the code and the message; neither names the password.
func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

func refuse(status int, code, message string) *Refusal {
	return &Refusal{Status: status, Code: code, Message: message}
}
