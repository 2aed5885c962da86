package auditmod

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/ocomms/ocomms-edge/auditlog/setup"
	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/secevent"
)

// State is the `ocomms` app's audit state: the app (package caddymodule)
// holds one and calls Provision, Start and Stop from its own.
type State struct {
	settings setup.Settings
	hub      *auditHub
	pooled   *pooledAudit
	logger   *zap.Logger
}

// Provision resolves the audit settings of cfg (nil: the defaults) and
// subscribes to Caddy's certificate events. It opens nothing.
func (au *State) Provision(ctx caddy.Context, cfg *AuditConfig, repl *caddy.Replacer) error {
	s, err := cfg.resolve(repl)
	if err != nil {
		return err
	}
	*au = State{settings: s, hub: &auditHub{off: s.Disabled}, logger: ctx.Logger().Named("audit")}
	if err := modkit.RegisterCollectors(ctx.GetMetricsRegistry(), auditHubDropped, auditStatsCollector{}); err != nil {
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
	return subscribeCertEvents(ctx, au.hub)
}

// Start acquires the audit log and records the configuration load.
func (au *State) Start() error {
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

// Stop releases the audit log; events emitted through this app's hub
// from now on go to the active app's log.
func (au *State) Stop() {
	if au.pooled == nil {
		return
	}
	au.hub.stop()
	activeHub.CompareAndSwap(au.hub, nil)
	au.pooled = nil
	releaseAudit(au.settings)
}

// Emitter is where the app's handlers send their events: the app's hub,
// or secevent.Discard before Provision.
func (au *State) Emitter() secevent.Emitter {
	if au.hub == nil {
		return secevent.Discard
	}
	return au.hub
}
