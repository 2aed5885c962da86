package auditmod

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
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
	duration := func(dst *caddy.Duration) error {
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
	count := func(dst *int, allowKeep bool) error {
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
	str := func(dst *string) error {
		if !d.AllArgs(dst) {
			return d.ArgErr()
		}
		return nil
	}
	for n := d.Nesting(); d.NextBlock(n); {
		var err error
		switch d.Val() {
		case "instance":
			err = str(&c.Instance)
		case "spool_dir":
			err = str(&c.SpoolDir)
		case "signing_key_file":
			err = str(&c.SigningKeyFile)
		case "fsync_interval":
			err = duration(&c.FsyncInterval)
		case "queue_size":
			err = count(&c.QueueSize, false)
		case "checkpoint_interval":
			err = duration(&c.CheckpointInterval)
		case "checkpoint_every":
			err = count(&c.CheckpointEvery, false)
		case "retry_max":
			err = duration(&c.RetryMax)
		case "log_format":
			if err = str(&c.LogFormat); err == nil && c.LogFormat != "ecs" && c.LogFormat != "ocsf" {
				return nil, d.Errf("audit log_format %q: use ecs or ocsf", c.LogFormat)
			}
		case "log":
			var v string
			if err = str(&v); err == nil && v != "off" {
				return nil, d.Errf("audit log %q: the only value is off", v)
			}
			c.LogOff = true
		case "jsonl":
			err = parseAuditJSONL(d, c, count)
		case "postgres":
			err = parseAuditPostgres(d, c, count, duration)
		default:
			return nil, d.Errf("unrecognized audit option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseAuditJSONL(d *caddyfile.Dispenser, c *AuditConfig, count func(*int, bool) error) error {
	if c.JSONL != nil {
		return d.Err("audit jsonl already configured")
	}
	c.JSONL = new(AuditJSONLConfig)
	if !d.NextArg() {
		return d.Err("audit jsonl needs a directory (or off), e.g. jsonl {env.OCOMMS_AUDIT_FILE}")
	}
	if d.Val() == "off" {
		c.JSONL.Off = true
	} else {
		c.JSONL.Dir = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for m := d.Nesting(); d.NextBlock(m); {
		switch d.Val() {
		case "retention_days":
			if err := count(&c.JSONL.RetentionDays, true); err != nil {
				return err
			}
		default:
			return d.Errf("unrecognized audit jsonl option %q", d.Val())
		}
	}
	return nil
}

func parseAuditPostgres(d *caddyfile.Dispenser, c *AuditConfig, count func(*int, bool) error, duration func(*caddy.Duration) error) error {
	if c.Postgres != nil {
		return d.Err("audit postgres already configured")
	}
	c.Postgres = new(AuditPostgresConfig)
	if !d.NextArg() {
		return d.Err("audit postgres needs a URL, e.g. postgres {env.OCOMMS_POSTGRES_URL}")
	}
	c.Postgres.URL = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for m := d.Nesting(); d.NextBlock(m); {
		switch d.Val() {
		case "retention_days":
			if err := count(&c.Postgres.RetentionDays, true); err != nil {
				return err
			}
		case "partitions_ahead":
			if err := count(&c.Postgres.PartitionsAhead, false); err != nil {
				return err
			}
		case "batch_size":
			if err := count(&c.Postgres.BatchSize, false); err != nil {
				return err
			}
		case "max_conns":
			if err := count(&c.Postgres.MaxConns, false); err != nil {
				return err
			}
		case "write_timeout":
			if err := duration(&c.Postgres.WriteTimeout); err != nil {
				return err
			}
		case "insecure_allow_plaintext":
			if d.NextArg() {
				return d.ArgErr()
			}
			c.Postgres.InsecureAllowPlaintext = true
		case "insecure_allow_unverified_tls":
			if d.NextArg() {
				return d.ArgErr()
			}
			c.Postgres.InsecureAllowUnverifiedTLS = true
		default:
			return d.Errf("unrecognized audit postgres option %q", d.Val())
		}
	}
	return nil
}
