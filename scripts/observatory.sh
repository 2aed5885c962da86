#!/usr/bin/env bash
# Scans the demo (make demo's setup, on the real ports 80 and 443 so the
# redirection test is real) with MDN HTTP Observatory 1.4.8, offline, with
# the demo's local CA trusted. Prints grade, score and every test's modifier.
# Needs root (ports 80/443), Node.js 20 and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.demo/observatory
if [ ! -f "$dir/node_modules/@mdn/mdn-http-observatory/src/scan.js" ]; then
	mkdir -p "$dir"
	# --ignore-scripts: postinstall downloads the CA bundle and the HSTS
	# preload list, which an offline scan does not need.
	(cd "$dir" && npm init -y >/dev/null && npm install --silent --ignore-scripts @mdn/mdn-http-observatory@1.4.8)
fi
obs=$dir/node_modules/@mdn/mdn-http-observatory
echo '{}' >"$obs/conf/hsts-preload.json"

export OCOMMS_HTTP_PORT=80 OCOMMS_HTTPS_PORT=443
./scripts/demo.sh >.demo/observatory-demo.log 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	[ -f .demo/root.crt ] && curl -sf --cacert .demo/root.crt -o /dev/null https://localhost/ && break
	sleep 0.2
done

NODE_EXTRA_CA_CERTS=$PWD/.demo/root.crt node "$obs/src/scan.js" localhost >.demo/observatory.json
node -e '
const r = require(process.argv[1]);
if (r.error) { console.error("scan failed:", r.error); process.exit(1); }
console.log(`grade ${r.scan.grade}  score ${r.scan.score}  (tests passed ${r.scan.testsPassed}/${r.scan.testsQuantity})`);
for (const [name, t] of Object.entries(r.tests)) {
  console.log(`${String(t.scoreModifier).padStart(4)}  ${name}: ${t.result}`);
}
const negative = Object.values(r.tests).filter(t => t.scoreModifier < 0);
if (r.scan.grade !== "A+" || r.scan.score < 135 || negative.length) { console.error("goal missed: A+, >= 135, no negative modifier"); process.exit(2); }
' "$PWD/.demo/observatory.json"
