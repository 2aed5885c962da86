package lockout

import (
	"github.com/ocomms/ocomms-edge/internal/ratelimitfields"
)

// Names of the lockout's budgets in the RateLimit fields of its 429s.
const (
	LimitSprayIP         = "sign_in_ip"
	LimitAccount         = "sign_in_account"
	LimitDevice          = "sign_in_device"
	LimitCurrentPassword = "current_password"
)

// limit describes the budget a refused attempt of this kind ran out of:
// the spray budget of the IP, a trusted device's budget, the account's
// (or session's) free failures, or, once hard-locked, the hard limit,
// which has no automatic reset.
func (l *Lockout) limit(kind int, adm Admission) ratelimitfields.Policy {
	p := ratelimitfields.Policy{Reset: max(adm.RetryAfter, 0)}
	switch {
	case adm.Reason == ReasonSpray:
		p.Name, p.Quota, p.Window = LimitSprayIP, int64(l.o.SprayAccounts), l.o.SprayWindow
	case kind == kindTrusted:
		p.Name, p.Quota, p.Window = LimitDevice, int64(l.o.DeviceFailures), l.o.DeviceWindow
	default:
		p.Name, p.Quota, p.Window = LimitAccount, int64(l.o.FreeFailures), l.o.ResetAfter
		if kind == kindSession {
			p.Name = LimitCurrentPassword
		}
		if adm.Reason == ReasonHardLocked {
			p.Quota, p.Reset = int64(l.o.HardLimit), -1
		}
	}
	return p
}
