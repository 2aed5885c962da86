package auditmod

// Unexported names the package's tests through Caddy (package
// auditmod_test) use.
type (
	PivotJSON      = pivotJSON
	AuditPageJSON  = auditPageJSON
	AuditStatsJSON = auditStatsJSON
)

var (
	NewAuditCommand = newAuditCommand
	ActiveAudit     = activeAudit
)
