#!/usr/bin/env bash
# Performs the Dockerfile's build step for real, without Docker: installs the
# pinned xcaddy, builds Caddy at the version pinned in xcaddy.json with this
# checkout as the ocomms module, and checks the result:
#   - `version` is the pinned Caddy version;
#   - `list-modules` holds exactly the ocomms modules of cmd/ocomms-caddy;
#   - `ocomms doctor` is a subcommand.
# Prints the time each step took. Needs Go and the module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

caddy_version=$(sed -n 's/.*"caddy_version": *"\([^"]*\)".*/\1/p' xcaddy.json)
xcaddy_version=${XCADDY_VERSION:-$(sed -n 's/^ARG XCADDY_VERSION=//p' Dockerfile)}
docker_caddy=$(sed -n 's/^ARG CADDY_VERSION=//p' Dockerfile)
if [ -z "$caddy_version" ] || [ -z "$xcaddy_version" ]; then
	echo "xcaddy-check: cannot read the pinned versions (xcaddy.json, Dockerfile)" >&2
	exit 1
fi
if [ "v$docker_caddy" != "$caddy_version" ]; then
	echo "xcaddy-check: Dockerfile pins Caddy $docker_caddy but xcaddy.json $caddy_version" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
GOBIN=$work/bin go install "github.com/caddyserver/xcaddy/cmd/xcaddy@$xcaddy_version"
t1=$(date +%s)
echo "xcaddy-check: go install xcaddy@$xcaddy_version: $((t1 - t0)) s"

# As in the Dockerfile: --with names the plugin package, --replace points
# its module at this checkout, and the empty file:// proxy after "|" makes
# the proxy's refusal of the package path as a module (404, or 403 from
# some mirrors) a "not found", so Go falls back to the replaced module.
mkdir -p "$work/noproxy"
proxy=$(go env GOPROXY)
proxy=${proxy%,direct}
GOPROXY="$proxy|file://$work/noproxy" "$work/bin/xcaddy" build "$caddy_version" \
	--with github.com/ocomms/ocomms-edge/caddymodule \
	--replace "github.com/ocomms/ocomms-edge=$PWD" \
	--output "$work/ocomms-caddy"
t2=$(date +%s)
echo "xcaddy-check: xcaddy build $caddy_version: $((t2 - t1)) s"

got_version=$("$work/ocomms-caddy" version | awk '{print $1}')
if [ "$got_version" != "$caddy_version" ]; then
	echo "xcaddy-check: built Caddy reports $got_version, want $caddy_version" >&2
	exit 1
fi
"$work/ocomms-caddy" list-modules | grep -i ocomms | sort > "$work/xcaddy.modules"
go run ./cmd/ocomms-caddy list-modules | grep -i ocomms | sort > "$work/tree.modules"
if [ ! -s "$work/xcaddy.modules" ] || ! diff -u "$work/tree.modules" "$work/xcaddy.modules"; then
	echo "xcaddy-check: the xcaddy build's ocomms modules differ from cmd/ocomms-caddy's (above)" >&2
	exit 1
fi
"$work/ocomms-caddy" ocomms doctor --help > /dev/null
echo "xcaddy-check: OK, $got_version with: $(tr '\n' ' ' < "$work/xcaddy.modules")"
echo "xcaddy-check: total $(($(date +%s) - t0)) s"
