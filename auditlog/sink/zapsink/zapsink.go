package zapsink

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ocomms/ocomms-edge/auditlog/record"
	"github.com/ocomms/ocomms-edge/secevent"
)

// ZapLoggerName is the logger name audit events are written under.
const ZapLoggerName = "ocomms.audit"

// ZapSink writes every record to a zap logger as one Info entry with ECS
// field names as typed fields, and every checkpoint as an entry of its
// own. It is a mirror for Caddy's log pipeline, not the store of record.
type ZapSink struct {
	log  *zap.Logger
	ocsf bool
	mu   sync.Mutex
	// last seq written per instance: replays after a restart are skipped.
	last map[string]uint64
}

// NewZapSink returns a sink that writes to l, which should be named
// ZapLoggerName (in Caddy: caddy.Log().Named("ocomms.audit")).
func NewZapSink(l *zap.Logger) *ZapSink {
	return &ZapSink{log: l, last: map[string]uint64{}}
}

// NewZapSinkOCSF is NewZapSink with each event logged as its OCSF 1.8
// projection (the OCSF attributes as typed fields) instead of ECS fields;
// the chain hashes are added as audit.prev and audit.hash.
func NewZapSinkOCSF(l *zap.Logger) *ZapSink {
	z := NewZapSink(l)
	z.ocsf = true
	return z
}

// Name implements Sink.
func (z *ZapSink) Name() string { return "zap" }

// Write implements Sink.
func (z *ZapSink) Write(_ context.Context, recs []record.Record) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		if r.Seq <= z.last[r.Instance] {
			continue
		}
		z.last[r.Instance] = r.Seq
		e := r.Event
		if e == nil {
			ev, err := record.UnmarshalEvent(r.Data)
			if err != nil {
				z.log.Error("audit record undecodable", zap.String(secevent.FieldObserverName, r.Instance), zap.Uint64(secevent.FieldEventSequence, r.Seq), zap.Error(err))
				continue
			}
			e = &ev
		}
		if ce := z.log.Check(zapcore.InfoLevel, string(e.Action)); ce != nil {
			if z.ocsf {
				ce.Write(OCSFZapFields(*e, r.PrevHash, r.Hash)...)
			} else {
				ce.Write(ZapFields(*e, r.PrevHash, r.Hash)...)
			}
		}
	}
	return nil
}

// ZapFields returns an event's ECS fields (dotted names) and its chain
// hashes as typed zap fields.
func ZapFields(e secevent.Event, prev, hash [32]byte) []zap.Field {
	kind, cat, typ, _ := secevent.ECSClass(e.Action)
	f := make([]zap.Field, 0, 32)
	f = append(f,
		zap.String(secevent.FieldTimestamp, e.Time.UTC().Format(record.TimeLayout)),
		zap.String(secevent.FieldECSVersion, secevent.ECSVersion),
		zap.String(secevent.FieldEventID, e.ID),
		zap.String(secevent.FieldEventKind, kind),
		zap.Strings(secevent.FieldEventCategory, cat),
		zap.Strings(secevent.FieldEventType, typ),
		zap.String(secevent.FieldEventAction, string(e.Action)),
		zap.String(secevent.FieldEventOutcome, string(e.Outcome)),
		zap.Uint64(secevent.FieldEventSequence, e.Sequence),
		zap.String(secevent.FieldObserverName, e.Instance),
	)
	str := func(k, v string) {
		if v != "" {
			f = append(f, zap.String(k, v))
		}
	}
	str(secevent.FieldEventReason, e.Reason)
	str(secevent.FieldUserID, e.UserID)
	str(secevent.FieldUserEmail, e.UserEmail)
	str(secevent.FieldUserName, e.UserName)
	str(secevent.FieldUserTargetID, e.TargetUser)
	str(secevent.FieldUserTargetEmail, e.TargetEmail)
	str(secevent.FieldSourceIP, e.SourceIP)
	str(secevent.FieldUserAgent, e.UserAgent)
	str(secevent.FieldHTTPMethod, e.Method)
	str(secevent.FieldURLPath, e.Path)
	if e.Status != 0 {
		f = append(f, zap.Int(secevent.FieldHTTPStatus, e.Status))
	}
	ips, users := record.Related(e)
	if len(ips) > 0 {
		f = append(f, zap.Strings(secevent.FieldRelatedIP, ips))
	}
	if len(users) > 0 {
		f = append(f, zap.Strings(secevent.FieldRelatedUser, users))
	}
	for _, k := range record.SortedKeys(e.Labels) {
		f = append(f, zap.String(secevent.LabelField(k), e.Labels[k]))
	}
	f = append(f, zap.String("audit.prev", hex.EncodeToString(prev[:])), zap.String("audit.hash", hex.EncodeToString(hash[:])))
	return f
}

// WriteCheckpoint implements Sink.
func (z *ZapSink) WriteCheckpoint(_ context.Context, cp record.Checkpoint) error {
	z.log.Info(string(secevent.ActionAuditCheckpoint), CheckpointFields(cp)...)
	return nil
}

// CheckpointFields returns a checkpoint as typed zap fields.
func CheckpointFields(cp record.Checkpoint) []zap.Field {
	action := secevent.ActionAuditCheckpoint
	if cp.Retention {
		action = secevent.ActionAuditRetentionCut
	}
	return []zap.Field{
		zap.String(secevent.FieldEventAction, string(action)),
		zap.String(secevent.FieldEventKind, "state"),
		zap.String(secevent.FieldObserverName, cp.Instance),
		zap.Uint64("audit.checkpoint.seq", cp.Seq),
		zap.String("audit.checkpoint.hash", hex.EncodeToString(cp.Hash[:])),
		zap.String("audit.checkpoint.prev", hex.EncodeToString(cp.PrevHash[:])),
		zap.String("audit.checkpoint.time", cp.Time.UTC().Format(record.TimeLayout)),
		zap.Bool("audit.checkpoint.retention", cp.Retention),
		zap.String("audit.checkpoint.public_key", base64.StdEncoding.EncodeToString(cp.PublicKey)),
		zap.String("audit.checkpoint.signature", base64.StdEncoding.EncodeToString(cp.Signature)),
	}
}

// Close implements Sink; it syncs the logger.
func (z *ZapSink) Close() error {
	_ = z.log.Sync() // stderr/stdout cannot always sync; nothing to do about it
	return nil
}

// OCSFZapFields returns an event's OCSF projection as typed zap fields
// (one per top-level attribute) plus its chain hashes.
func OCSFZapFields(e secevent.Event, prev, hash [32]byte) []zap.Field {
	o := record.OCSF(e)
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	f := make([]zap.Field, 0, len(keys)+2)
	for _, k := range keys {
		f = append(f, ocsfField(k, o[k]))
	}
	return append(f, zap.String("audit.prev", hex.EncodeToString(prev[:])), zap.String("audit.hash", hex.EncodeToString(hash[:])))
}

// ocsfField turns one OCSF value (the types OCSF builds) into a typed field.
func ocsfField(k string, v any) zap.Field {
	switch x := v.(type) {
	case string:
		return zap.String(k, x)
	case int:
		return zap.Int(k, x)
	case int64:
		return zap.Int64(k, x)
	case uint64:
		return zap.Uint64(k, x)
	case bool:
		return zap.Bool(k, x)
	case map[string]any:
		return zap.Object(k, ocsfObject(x))
	case []any:
		return zap.Array(k, ocsfArray(x))
	}
	return zap.String(k, fmt.Sprint(v))
}

type ocsfObject map[string]any

// MarshalLogObject implements zapcore.ObjectMarshaler with sorted keys.
func (o ocsfObject) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ocsfField(k, o[k]).AddTo(enc)
	}
	return nil
}

type ocsfArray []any

// MarshalLogArray implements zapcore.ArrayMarshaler.
func (a ocsfArray) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, v := range a {
		switch x := v.(type) {
		case map[string]any:
			if err := enc.AppendObject(ocsfObject(x)); err != nil {
				return err
			}
		case string:
			enc.AppendString(x)
		default:
			enc.AppendString(fmt.Sprint(x))
		}
	}
	return nil
}
