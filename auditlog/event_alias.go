package auditlog

import "github.com/ocomms/ocomms-edge/secevent"

// Transitional names while the audit log moves onto secevent; the split of
// auditlog removes this file.
type (
	Action      = secevent.Action
	Outcome     = secevent.Outcome
	Event       = secevent.Event
	Emitter     = secevent.Emitter
	EmitterFunc = secevent.EmitterFunc
)

const (
	ActionSignInSucceeded   = secevent.ActionSignInSucceeded
	ActionSignInFailed      = secevent.ActionSignInFailed
	ActionSignOut           = secevent.ActionSignOut
	ActionSignUp            = secevent.ActionSignUp
	ActionPasswordChanged   = secevent.ActionPasswordChanged
	ActionPasswordReset     = secevent.ActionPasswordReset
	ActionPasswordRejected  = secevent.ActionPasswordRejected
	ActionAccountLocked     = secevent.ActionAccountLocked
	ActionAccountUnlocked   = secevent.ActionAccountUnlocked
	ActionSignInRefused     = secevent.ActionSignInRefused
	ActionMFASucceeded      = secevent.ActionMFASucceeded
	ActionMFAFailed         = secevent.ActionMFAFailed
	ActionMFALocked         = secevent.ActionMFALocked
	ActionMFARefused        = secevent.ActionMFARefused
	ActionRateLimited       = secevent.ActionRateLimited
	ActionRequestRefused    = secevent.ActionRequestRefused
	ActionCSPViolation      = secevent.ActionCSPViolation
	ActionAdmin             = secevent.ActionAdmin
	ActionCertObtained      = secevent.ActionCertObtained
	ActionCertRenewed       = secevent.ActionCertRenewed
	ActionCertFailed        = secevent.ActionCertFailed
	ActionConfigLoaded      = secevent.ActionConfigLoaded
	ActionAuditCheckpoint   = secevent.ActionAuditCheckpoint
	ActionAuditRetentionCut = secevent.ActionAuditRetentionCut
	OutcomeSuccess          = secevent.OutcomeSuccess
	OutcomeFailure          = secevent.OutcomeFailure
	OutcomeUnknown          = secevent.OutcomeUnknown
	ECSVersion              = secevent.ECSVersion
)

var (
	Discard  = secevent.Discard
	ECSClass = secevent.ECSClass
	Actions  = secevent.Actions
)
