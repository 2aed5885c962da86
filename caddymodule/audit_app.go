package caddymodule

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/secevent"
)

// appAudit is the ocomms app's audit state.
type appAudit struct {
	settings setup.Settings
	hub      *auditHub
	pooled   *pooledAudit
	logger   *zap.Logger
}

// provisionAudit resolves the audit settings and subscribes to Caddy's
// certificate events. It opens nothing.
func (a *App) provisionAudit(ctx caddy.Context, repl *caddy.Replacer) error {
	s, err := a.Audit.resolve(repl)
	if err != nil {
		return err
	}
	a.audit = appAudit{settings: s, hub: &auditHub{off: s.Disabled}, logger: ctx.Logger().Named("audit")}
	if err := registerCollectors(ctx.GetMetricsRegistry(), auditHubDropped, auditStatsCollector{}); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	if s.Disabled {
		return nil
	}
	if s.PostgresURL != "" {
		// Check the URL and its TLS rule now, so that caddy validate
		// catches them; building the pool dials nothing.
		pg, err := setup.OpenPostgres(s, nil, zap.NewNop())
		if err != nil {
			return err
		}
		_ = pg.Close()
	}
	return subscribeCertEvents(ctx, a.audit.hub)
}

// startAudit acquires the audit log and records the configuration load.
func (a *App) startAudit() error {
	au := &a.audit
	if au.hub == nil || au.settings.Disabled {
		return nil
	}
	p, err := acquireAudit(au.settings, caddy.Log().Named("ocomms.audit"))
	if err != nil {
		return err
	}
	au.pooled = p
	p.Emit(secevent.Event{
		Action:  secevent.ActionConfigLoaded,
		Outcome: secevent.OutcomeSuccess,
		Labels:  map[string]string{"sinks": strings.Join(au.settings.Sinks(), ",")},
	})
	au.hub.start(p)
	activeHub.Store(au.hub)
	au.logger.Info("audit log started",
		zap.String("dir", au.settings.Dir), zap.String("instance", au.settings.Instance),
		zap.Strings("sinks", au.settings.Sinks()))
	return nil
}

// stopAudit releases the audit log; events emitted through this app's hub
// from now on go to the active app's log.
func (a *App) stopAudit() {
	au := &a.audit
	if au.pooled == nil {
		return
	}
	au.hub.stop()
	activeHub.CompareAndSwap(au.hub, nil)
	au.pooled = nil
	releaseAudit(au.settings)
}

// auditEmitterFor returns the Emitter of the config's ocomms app (which it
// instantiates when the config has no ocomms option: the audit log is on
// by default).
func auditEmitterFor(ctx caddy.Context) (secevent.Emitter, error) {
	v, err := ctx.App("ocomms")
	if err != nil {
		return nil, fmt.Errorf("loading the ocomms app: %w", err)
	}
	app := v.(*App)
	if app.audit.hub == nil {
		return secevent.Discard, nil
	}
	return app.audit.hub, nil
}
