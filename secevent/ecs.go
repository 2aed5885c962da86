package secevent

// ECSVersion is the ECS release whose field names and allowed values the
// canonical encoding follows.
const ECSVersion = "9.4.0"

// ecsClass is how one Action is categorised in ECS: event.kind,
// event.category and event.type, each within the allowed values of ECS
// 9.x schemas/event.yml (category/type pairs chosen so every type is one
// the category allows).
type ecsClass struct {
	Kind     string
	Category []string
	Type     []string
}

// ecsTable maps every Action to its ECS categorisation. Producers never
// choose ECS values themselves.
var ecsTable = map[Action]ecsClass{
	ActionSignInSucceeded:   {"event", []string{"authentication"}, []string{"start"}},
	ActionSignInFailed:      {"event", []string{"authentication"}, []string{"start"}},
	ActionSignInRefused:     {"event", []string{"authentication"}, []string{"start"}},
	ActionSignOut:           {"event", []string{"authentication"}, []string{"end"}},
	ActionMFASucceeded:      {"event", []string{"authentication"}, []string{"start"}},
	ActionMFAFailed:         {"event", []string{"authentication"}, []string{"start"}},
	ActionMFARefused:        {"event", []string{"authentication"}, []string{"start"}},
	ActionMFALocked:         {"event", []string{"authentication"}, []string{"info"}},
	ActionSignUp:            {"event", []string{"iam"}, []string{"user", "creation"}},
	ActionPasswordChanged:   {"event", []string{"iam"}, []string{"user", "change"}},
	ActionPasswordReset:     {"event", []string{"iam"}, []string{"user", "change"}},
	ActionPasswordRejected:  {"event", []string{"iam"}, []string{"user", "change"}},
	ActionAccountLocked:     {"event", []string{"iam"}, []string{"user", "change"}},
	ActionAccountUnlocked:   {"event", []string{"iam"}, []string{"user", "change"}},
	ActionRateLimited:       {"event", []string{"network"}, []string{"denied"}},
	ActionRequestRefused:    {"event", []string{"network"}, []string{"denied"}},
	ActionAccessDenied:      {"event", []string{"network"}, []string{"access", "denied"}},
	ActionCSPViolation:      {"event", []string{"web"}, []string{"info"}},
	ActionAdmin:             {"event", []string{"iam"}, []string{"admin"}},
	ActionCertObtained:      {"event", []string{"configuration"}, []string{"creation"}},
	ActionCertRenewed:       {"event", []string{"configuration"}, []string{"change"}},
	ActionCertFailed:        {"event", []string{"configuration"}, []string{"change"}},
	ActionConfigLoaded:      {"event", []string{"configuration"}, []string{"change"}},
	ActionAuditCheckpoint:   {"state", []string{"configuration"}, []string{"info"}},
	ActionAuditRetentionCut: {"state", []string{"configuration"}, []string{"deletion"}},
}

// Actions lists every Action the edge records, in a stable order.
func Actions() []Action {
	return []Action{
		ActionSignInSucceeded, ActionSignInFailed, ActionSignInRefused, ActionSignOut,
		ActionSignUp, ActionPasswordChanged, ActionPasswordReset, ActionPasswordRejected,
		ActionAccountLocked, ActionAccountUnlocked, ActionRateLimited, ActionRequestRefused, ActionCSPViolation,
		ActionAdmin, ActionCertObtained, ActionCertRenewed, ActionCertFailed,
		ActionConfigLoaded, ActionAuditCheckpoint, ActionAuditRetentionCut,
		ActionMFASucceeded, ActionMFAFailed, ActionMFALocked, ActionMFARefused,
		ActionAccessDenied,
	}
}

// ECSClass returns the ECS event.kind, event.category and event.type of an
// action; ok is false for an action the table does not know (it is then
// encoded with kind "event" and no category or type).
func ECSClass(a Action) (kind string, category, typ []string, ok bool) {
	c, ok := ecsTable[a]
	if !ok {
		return "event", nil, nil, false
	}
	return c.Kind, c.Category, c.Type, true
}
