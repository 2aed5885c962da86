package secevent

// The ECS field names of an Event, defined once. The canonical encoding
// nests them as JSON objects ("source.ip" is {"source":{"ip":…}}); the zap
// sink writes them flat as dotted keys; the Postgres sink indexes some of
// them as columns (PostgresColumns). Every encoder, decoder and filter that
// names a field uses these constants rather than spelling it again.
const (
	FieldTimestamp       = "@timestamp"
	FieldECSVersion      = "ecs.version"
	FieldEventAction     = "event.action"
	FieldEventCategory   = "event.category"
	FieldEventID         = "event.id"
	FieldEventKind       = "event.kind"
	FieldEventOutcome    = "event.outcome"
	FieldEventReason     = "event.reason"
	FieldEventSequence   = "event.sequence"
	FieldEventType       = "event.type"
	FieldHTTPMethod      = "http.request.method"
	FieldHTTPStatus      = "http.response.status_code"
	FieldLabels          = "labels" // a label k is the field "labels.k"
	FieldObserverName    = "observer.name"
	FieldRelatedIP       = "related.ip"
	FieldRelatedUser     = "related.user"
	FieldSourceIP        = "source.ip"
	FieldURLPath         = "url.path"
	FieldUserEmail       = "user.email"
	FieldUserID          = "user.id"
	FieldUserName        = "user.name"
	FieldUserTargetEmail = "user.target.email"
	FieldUserTargetID    = "user.target.id"
	FieldUserAgent       = "user_agent.original"
)

// Fields lists every ECS field an event can carry, in the canonical
// encoding's key order (labels as the bare prefix).
func Fields() []string {
	return []string{
		FieldTimestamp, FieldECSVersion,
		FieldEventAction, FieldEventCategory, FieldEventID, FieldEventKind, FieldEventOutcome,
		FieldEventReason, FieldEventSequence, FieldEventType,
		FieldHTTPMethod, FieldHTTPStatus, FieldLabels, FieldObserverName,
		FieldRelatedIP, FieldRelatedUser, FieldSourceIP, FieldURLPath,
		FieldUserEmail, FieldUserID, FieldUserName, FieldUserTargetEmail, FieldUserTargetID,
		FieldUserAgent,
	}
}

// LabelField is the flat field name of label k ("labels.zone").
func LabelField(k string) string { return FieldLabels + "." + k }

// PostgresColumns maps each indexed column of the Postgres sink to the ECS
// field it holds (the full event is stored verbatim beside them).
var PostgresColumns = map[string]string{
	"event_id":     FieldEventID,
	"ts":           FieldTimestamp,
	"action":       FieldEventAction,
	"outcome":      FieldEventOutcome,
	"user_id":      FieldUserID,
	"email":        FieldUserEmail,
	"user_name":    FieldUserName,
	"target_user":  FieldUserTargetID,
	"target_email": FieldUserTargetEmail,
	"source_ip":    FieldSourceIP,
	"status":       FieldHTTPStatus,
	"instance":     FieldObserverName,
	"seq":          FieldEventSequence,
}
