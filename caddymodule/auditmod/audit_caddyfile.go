package auditmod

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
)

// ParseAuditOption parses the audit block of the ocomms global option:
//
//	audit off
//	audit {
//	    instance            <name>         # default: the host name
//	    spool_dir           <dir>          # default <jsonl dir>/spool
//	    signing_key_file    <file>         # default <jsonl dir>/checkpoint.key
//	    fsync_interval      <duration>     # default 100ms
//	    queue_size          <n>            # default 65536
//	    checkpoint_interval <duration>     # default 1s (at most 1s)
//	    checkpoint_every    <n>            # default 10000 (at most)
//	    retry_max           <duration>     # default 30s
//	    log_format          ecs|ocsf       # zap mirror (logger ocomms.audit); default ecs
//	    log off                            # no zap mirror
//	    jsonl <dir> {                      # default <data dir>/ocomms-audit; {env.OCOMMS_AUDIT_FILE}
//	        retention_days  <n>            # default 90; -1 keeps all
//	    }
//	    jsonl off
//	    postgres <url> {                   # {env.OCOMMS_POSTGRES_URL}; sslmode=verify-full off loopback
//	        retention_days                 <n>  # default 90; -1 keeps all
//	        partitions_ahead               <n>  # default 3
//	        batch_size                     <n>  # rows per COPY; default 1000
//	        max_conns                      <n>  # default 4
//	        write_timeout                  <d>  # default 15s
//	        insecure_allow_unverified_tls       # allow sslmode=require|verify-ca off loopback
//	        insecure_allow_plaintext            # allow any sslmode off loopback
//	    }
//	}
func ParseAuditOption(d *caddyfile.Dispenser) (*AuditConfig, error) {
	c := new(AuditConfig)
	if d.NextArg() {
		if d.Val() != "off" {
			return nil, d.Errf("audit %q: the only argument is off", d.Val())
		}
		c.Disabled = true
		if d.NextArg() {
			return nil, d.ArgErr()
		}
		if d.NextBlock(d.Nesting()) {
			return nil, d.Err("audit off takes no block")
		}
		return c, nil
	}
	err := modkit.Subdirectives{
		"instance":            modkit.SetString(&c.Instance),
		"spool_dir":           modkit.SetString(&c.SpoolDir),
		"signing_key_file":    modkit.SetString(&c.SigningKeyFile),
		"fsync_interval":      auditDuration(&c.FsyncInterval),
		"queue_size":          auditCount(&c.QueueSize, false),
		"checkpoint_interval": auditDuration(&c.CheckpointInterval),
		"checkpoint_every":    auditCount(&c.CheckpointEvery, false),
		"retry_max":           auditDuration(&c.RetryMax),
		"log_format": func(d *caddyfile.Dispenser) error {
			if err := modkit.SetString(&c.LogFormat)(d); err != nil {
				return err
			}
			if c.LogFormat != "ecs" && c.LogFormat != "ocsf" {
				return d.Errf("audit log_format %q: use ecs or ocsf", c.LogFormat)
			}
			return nil
		},
		"log": func(d *caddyfile.Dispenser) error {
			var v string
			if err := modkit.SetString(&v)(d); err != nil {
				return err
			}
			if v != "off" {
				return d.Errf("audit log %q: the only value is off", v)
			}
			c.LogOff = true
			return nil
		},
		"jsonl":    func(d *caddyfile.Dispenser) error { return parseAuditJSONL(d, c) },
		"postgres": func(d *caddyfile.Dispenser) error { return parseAuditPostgres(d, c) },
	}.Parse(d, "unrecognized audit option %q")
	if err != nil {
		return nil, err
	}
	return c, nil
}

// auditDuration reads a positive duration.
func auditDuration(dst *caddy.Duration) modkit.ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		name, raw := d.Val(), ""
		if !d.AllArgs(&raw) {
			return d.ArgErr()
		}
		v, err := caddy.ParseDuration(raw)
		if err != nil || v <= 0 {
			return d.Errf("%s %q: want a positive duration such as 100ms or 30s", name, raw)
		}
		*dst = caddy.Duration(v)
		return nil
	}
}

// auditCount reads a positive count, or -1 (keep all) where allowKeep.
func auditCount(dst *int, allowKeep bool) modkit.ParseFunc {
	return func(d *caddyfile.Dispenser) error {
		name, raw := d.Val(), ""
		if !d.AllArgs(&raw) {
			return d.ArgErr()
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n == 0 || (n < 0 && !(allowKeep && n == -1)) {
			return d.Errf("%s %q: want a positive count", name, raw)
		}
		*dst = n
		return nil
	}
}

func parseAuditJSONL(d *caddyfile.Dispenser, c *AuditConfig) error {
	if c.JSONL != nil {
		return d.Err("audit jsonl already configured")
	}
	c.JSONL = new(AuditJSONLConfig)
	var dir string
	if err := modkit.RequiredArg(d, &dir, "audit jsonl needs a directory (or off), e.g. jsonl {env.OCOMMS_AUDIT_FILE}"); err != nil {
		return err
	}
	if dir == "off" {
		c.JSONL.Off = true
	} else {
		c.JSONL.Dir = dir
	}
	return modkit.Subdirectives{
		"retention_days": auditCount(&c.JSONL.RetentionDays, true),
	}.Parse(d, "unrecognized audit jsonl option %q")
}

func parseAuditPostgres(d *caddyfile.Dispenser, c *AuditConfig) error {
	if c.Postgres != nil {
		return d.Err("audit postgres already configured")
	}
	c.Postgres = new(AuditPostgresConfig)
	if err := modkit.RequiredArg(d, &c.Postgres.URL, "audit postgres needs a URL, e.g. postgres {env.OCOMMS_POSTGRES_URL}"); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"retention_days":                auditCount(&c.Postgres.RetentionDays, true),
		"partitions_ahead":              auditCount(&c.Postgres.PartitionsAhead, false),
		"batch_size":                    auditCount(&c.Postgres.BatchSize, false),
		"max_conns":                     auditCount(&c.Postgres.MaxConns, false),
		"write_timeout":                 auditDuration(&c.Postgres.WriteTimeout),
		"insecure_allow_plaintext":      modkit.SetFlag(&c.Postgres.InsecureAllowPlaintext),
		"insecure_allow_unverified_tls": modkit.SetFlag(&c.Postgres.InsecureAllowUnverifiedTLS),
	}.Parse(d, "unrecognized audit postgres option %q")
}
