#!/usr/bin/env bash
# Runs the edge on embedded defaults (no Redis, no PostgreSQL) in front of the
# bundled demo upstream, which answers like OComms. Ctrl-C stops both.
#   https://localhost:8443  (certificate from Caddy's local CA; its root is
#   written to .demo/root.crt — trust it or use curl --cacert .demo/root.crt)
set -euo pipefail
cd "$(dirname "$0")/.."

export OCOMMS_SITE=${OCOMMS_SITE:-localhost}
export OCOMMS_HTTP_PORT=${OCOMMS_HTTP_PORT:-8080}
export OCOMMS_HTTPS_PORT=${OCOMMS_HTTPS_PORT:-8443}
export OCOMMS_UPSTREAM=${OCOMMS_UPSTREAM:-127.0.0.1:3000}
# Keep Caddy's certificates and autosave inside the checkout.
export XDG_DATA_HOME=$PWD/.demo/data XDG_CONFIG_HOME=$PWD/.demo/config
mkdir -p .demo

bin/ocomms-demo-upstream -listen "$OCOMMS_UPSTREAM" &
upstream=$!
caddy=
stop() {
	kill $upstream $caddy 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

(
	root=$XDG_DATA_HOME/caddy/pki/authorities/local/root.crt
	for _ in $(seq 1 100); do
		[ -f "$root" ] && cp "$root" .demo/root.crt && break
		sleep 0.1
	done
	echo "demo: https://$OCOMMS_SITE:$OCOMMS_HTTPS_PORT  (CA root: .demo/root.crt; sign in as demo@ocomms.test)"
) &

bin/ocomms-caddy run --config Caddyfile.example --adapter caddyfile &
caddy=$!
wait $caddy
