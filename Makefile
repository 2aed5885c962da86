# OComms edge. The two commands that matter: `make demo` and `make test`.
GO       ?= go
BIN      := bin
FUZZTIME ?= 20s

.PHONY: all build demo test test-short vet testapps bench bench-e2e bench-e2e-quick bench-audit-verify bench-postgres test-postgres-loss-60 fuzz fuzz-auth observatory doctor xcaddy-check clean

all: build

build:
	$(GO) build -o $(BIN)/ocomms-caddy ./cmd/ocomms-caddy
	$(GO) build -o $(BIN)/ocomms-demo-upstream ./cmd/ocomms-demo-upstream

## demo: the edge with every module on embedded defaults, in front of a demo
## upstream that answers like OComms, on https://localhost:8443.
demo: build
	./scripts/demo.sh

## test: every test (unit, through an in-process Caddy, real Redis, ACME
## with Pebble, Chromium, several edge processes). Integration tests skip
## with a message when a service is missing, unless OCOMMS_REQUIRE_SERVICES=1.
## Packages run one at a time (-p 1): several tests measure timing (renewal,
## outage recovery) on a 2-core machine, and must not compete for it.
test: vet testapps
	$(GO) test -count=1 -p 1 -timeout 40m ./...

## testapps: the real Node upstreams under testapps/ that integration tests
## start: `npm ci` in each folder whose package-lock.json changed, and
## `next build` of testapps/nextjs when its sources changed (.next/ is not
## committed). Nothing is redone when nothing changed.
TESTAPPS      := $(patsubst %/package-lock.json,%,$(wildcard testapps/*/package-lock.json))
NEXTAPP       := testapps/nextjs
NEXTAPP_SRC   := $(shell find $(NEXTAPP)/app $(NEXTAPP)/public -type f 2>/dev/null) $(NEXTAPP)/next.config.mjs $(NEXTAPP)/jsconfig.json

testapps: $(TESTAPPS:%=%/node_modules/.package-lock.json) $(NEXTAPP)/.next/BUILD_ID

testapps/%/node_modules/.package-lock.json: testapps/%/package-lock.json testapps/%/package.json
	cd testapps/$* && npm ci --no-audit --no-fund
	@touch $@

$(NEXTAPP)/.next/BUILD_ID: $(NEXTAPP)/node_modules/.package-lock.json $(NEXTAPP_SRC)
	cd $(NEXTAPP) && NEXT_TELEMETRY_DISABLED=1 node_modules/.bin/next build
	@touch $@

## fuzz-auth: the differential test of the edge's reading of auth requests
## against the real better-auth (integration/authdiff_*_test.go) with a fresh
## seed and AUTHDIFF_CASES cases (default 50000, 1 to 4 minutes); failing
## cases are saved to integration/testdata/authdiff/, which
## TestAuthDiffFixtures replays in `make test`.
AUTHDIFF_CASES ?= 50000
fuzz-auth: testapps/betterauth/node_modules/.package-lock.json
	OCOMMS_AUTHDIFF_SEED=random OCOMMS_AUTHDIFF_CASES=$(AUTHDIFF_CASES) OCOMMS_AUTHDIFF_SAVE=testdata/authdiff \
		$(GO) test -count=1 -p 1 -timeout 90m -run 'TestAuthDiffAgainstBetterAuth$$' -v ./integration/

test-short:
	$(GO) test -short -count=1 ./...

vet:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: the benchmarks behind the figures in BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench 'HeadersVersus|RateLimitVersus|AuthGuardVersus' -benchtime 40x -count 3 ./caddymodule/
	$(GO) test -run '^$$' -bench . -benchmem ./headers/
	$(GO) test -run '^$$' -bench 'MemoryTake|MemoryBytesPerKey|RedisTake|DecideSignIn|DecideAPI' -benchmem ./ratelimit/
	$(GO) test -run '^$$' -bench 'RedisTakeConcurrent' -benchtime 3s ./ratelimit/
	$(GO) test -run '^$$' -bench 'BenchmarkCheckPassword$$|ScoreLength|Blocklist' -benchtime 200x -benchmem ./authguard/password/
	$(GO) test -run '^$$' -bench 'CheckPasswordConcurrent' -benchtime 4000x -count 2 ./authguard/password/
	$(GO) test -run '^$$' -bench 'Lockout' -benchtime 3000x -count 3 -benchmem ./authguard/lockout/
	$(GO) test -run '^$$' -bench 'NonAuthPath|SignIn$$' -benchmem ./authguard/
	$(GO) test -run '^$$' -bench . -benchtime 1000x -count 3 ./certstore/
	$(GO) test -run '^$$' -bench 'BenchmarkEmit$$|BenchmarkEmitPaced|BenchmarkEmitParallel|BenchmarkMarshalEvent' -benchmem -benchtime 20000x -count 3 ./auditlog/pipeline/
	$(GO) test -run '^$$' -bench 'BenchmarkJSONLQuery' -benchtime 10x ./auditlog/pipeline/
	$(GO) test -run '^$$' -bench 'BenchmarkAuditNonAdmin' -benchtime 2000000x -benchmem -count 3 ./caddymodule/auditmod/
	$(GO) test -run '^$$' -bench 'EdgeVersusStock' -benchtime 20000x -benchmem -count 3 ./caddymodule/
	# End to end, with the goals table of issue 15 (ratios and lockout round trips; about 10 minutes).
	$(GO) run ./cmd/ocomms-bench

## bench-postgres: the audit PostgreSQL sink: ingest (COPY vs one row per
## transaction), the chain read behind verify, and investigator queries
## over 10,000,000 events (loading them takes about half an hour).
bench-postgres:
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkPostgresIngest' -benchtime 5s ./auditlog/sink/postgres/
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkPostgresReadRecords' -benchtime 3x ./auditlog/sink/postgres/
	OCOMMS_BENCH_EVENTS=10000000 $(GO) test -count=1 -run '^$$' -bench 'BenchmarkPostgresQuery' -benchtime 100x -timeout 60m -v ./auditlog/sink/postgres/

## test-postgres-loss-60: the 60 s-per-scenario zero-loss proof of the audit
## PostgreSQL sink (make test runs it with 20 s; this takes about 2.5 min).
test-postgres-loss-60:
	OCOMMS_AUDIT_LOSS_SECONDS=60 $(GO) test -count=1 -p 1 -v -run TestPostgresNoLossAcrossRestarts ./auditlog/sink/postgres/

## bench-audit-verify: audit Verify over 5,000,000 records (writes a 4 GB
## store under $$TMPDIR; minutes), kept out of `make bench` for its size.
bench-audit-verify:
	AUDIT_BENCH_ROWS=5000000 $(GO) test -run '^$$' -bench 'BenchmarkVerify' -benchtime 1x -count 2 -timeout 30m ./auditlog/pipeline/

## bench-e2e: the end-to-end benchmark (four ocomms-caddy processes in front
## of one demo upstream, about 3 minutes); markdown to bench-e2e.md.
bench-e2e:
	$(GO) run ./cmd/ocomms-bench -o bench-e2e.md

bench-e2e-quick:
	$(GO) run ./cmd/ocomms-bench -quick

## fuzz: a short run of every fuzz target.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzInjector$$' -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz '^FuzzNonceResponse$$' -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz '^FuzzInjectorVersusTokenizer$$' -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz FuzzParseReports -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz FuzzBodyKey -fuzztime $(FUZZTIME) ./ratelimit/
	$(GO) test -run '^$$' -fuzz FuzzParseRate -fuzztime $(FUZZTIME) ./ratelimit/
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./reqbody/
	$(GO) test -run '^$$' -fuzz '^FuzzParseMediaType$$' -fuzztime $(FUZZTIME) ./reqbody/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckPassword$$' -fuzztime $(FUZZTIME) ./authguard/password/
	$(GO) test -run '^$$' -fuzz '^FuzzDeviceCookie$$' -fuzztime $(FUZZTIME) ./authguard/lockout/
	$(GO) test -run '^$$' -fuzz '^FuzzRecoveryCookie$$' -fuzztime $(FUZZTIME) ./authguard/lockout/
	$(GO) test -run '^$$' -fuzz '^FuzzParseEntry$$' -fuzztime $(FUZZTIME) ./ipallow/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./origin/
	$(GO) test -run '^$$' -fuzz '^FuzzGuard$$' -fuzztime $(FUZZTIME) ./authguard/
	$(GO) test -run '^$$' -fuzz '^FuzzNewSessionCookie$$' -fuzztime $(FUZZTIME) ./authguard/
	$(GO) test -run '^$$' -fuzz '^FuzzLockTemplate$$' -fuzztime $(FUZZTIME) ./authguard/
	$(GO) test -run '^$$' -fuzz '^FuzzTwoFactorSubject$$' -fuzztime $(FUZZTIME) ./authguard/
	$(GO) test -run '^$$' -fuzz '^FuzzParseKey$$' -fuzztime $(FUZZTIME) ./certstore/
	$(GO) test -run '^$$' -fuzz '^FuzzOpenRecord$$' -fuzztime $(FUZZTIME) ./certstore/
	$(GO) test -run '^$$' -fuzz '^FuzzStorageCaddyfile$$' -fuzztime $(FUZZTIME) ./caddymodule/
	$(GO) test -run '^$$' -fuzz '^FuzzEvaluateHeaders$$' -fuzztime $(FUZZTIME) ./doctor/
	$(GO) test -run '^$$' -fuzz '^FuzzRedactURL$$' -fuzztime $(FUZZTIME) ./doctor/
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshalEvent$$' -fuzztime $(FUZZTIME) ./auditlog/record/
	$(GO) test -run '^$$' -fuzz '^FuzzJSONLLine$$' -fuzztime $(FUZZTIME) ./auditlog/sink/jsonl/
	$(GO) test -run '^$$' -fuzz '^FuzzPostgresScanColumns$$' -fuzztime $(FUZZTIME) ./auditlog/sink/postgres/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCursor$$' -fuzztime $(FUZZTIME) ./auditlog/query/
	$(GO) test -run '^$$' -fuzz '^FuzzParseFrame$$' -fuzztime $(FUZZTIME) ./auditlog/pipeline/
	$(GO) test -run '^$$' -fuzz '^FuzzReadZapCheckpoints$$' -fuzztime $(FUZZTIME) ./auditlog/sink/zapsink/
	$(GO) test -run '^$$' -fuzz '^FuzzAdminTarget$$' -fuzztime $(FUZZTIME) ./adminaction/
	$(GO) test -run '^$$' -fuzz '^FuzzParseSession$$' -fuzztime $(FUZZTIME) ./adminaction/
	$(GO) test -run '^$$' -fuzz '^FuzzFilterText$$' -fuzztime $(FUZZTIME) ./secevent/

## observatory: scan `make demo` with MDN HTTP Observatory 1.4.8 (offline).
observatory: build
	./scripts/observatory.sh

## doctor: check a running edge from outside; by default `make demo`'s.
DOCTOR_URL      ?= https://localhost:8443
DOCTOR_HTTP_URL ?= http://localhost:8080/
doctor: build
	$(BIN)/ocomms-caddy ocomms doctor --url $(DOCTOR_URL) --http-url $(DOCTOR_HTTP_URL) --cacert .demo/root.crt

## xcaddy-check: the Dockerfile's xcaddy build step, for real, without Docker.
xcaddy-check:
	./scripts/xcaddy-check.sh

clean:
	rm -rf $(BIN) .demo
