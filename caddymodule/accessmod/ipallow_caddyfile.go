package accessmod

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/ocomms/ocomms-edge/caddymodule/internal/modkit"
	"github.com/ocomms/ocomms-edge/ipallow"
)

func init() {
	modkit.RegisterHandlerDirective[IPAllow]("ocomms_ip_allow")
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	ocomms_ip_allow [<matcher>] {
//	    allow               <cidr|address...>   # commas also separate; none: off
//	    preset              ocomms
//	    path                <prefix...>
//	    server_action_pages <pattern...>
//	    server_action_manifest <path>          # the app build's server-reference-manifest.json
//	    server_action_names <name...>          # default: OComms' admin actions
//	}
//
// Without preset, path and server_action_pages, every request the
// matcher selects is administrative. An allow line with no arguments (an
// empty {$OCOMMS_ADMIN_ALLOW}) adds nothing.
func (a *IPAllow) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if err := modkit.SettingsInBlock(d, "allow <cidr...>"); err != nil {
		return err
	}
	return modkit.Subdirectives{
		"allow": allowList(&a.Allow, "", func(entry string) error {
			_, err := ipallow.ParseEntry(entry)
			return err
		}),
		"preset": func(d *caddyfile.Dispenser) error {
			if a.Preset != "" {
				return d.Err("preset already specified")
			}
			if !d.AllArgs(&a.Preset) {
				return d.ArgErr()
			}
			if _, err := ipallow.Preset(a.Preset); err != nil {
				return d.Errf("%v", err)
			}
			return nil
		},
		"path":                   modkit.AppendStrings(&a.Paths),
		"server_action_pages":    modkit.AppendStrings(&a.ActionPages),
		"server_action_manifest": modkit.SetString(&a.ActionManifest),
		"server_action_names":    modkit.AppendStrings(&a.ActionNames),
	}.Parse(d, "unrecognized ocomms_ip_allow subdirective %q")
}

// Interface guard
var _ caddyfile.Unmarshaler = (*IPAllow)(nil)
