# OComms edge. The two commands that matter: `make demo` and `make test`.
GO       ?= go
BIN      := bin
FUZZTIME ?= 20s

.PHONY: all build demo test test-short vet bench fuzz observatory clean

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
test: vet
	$(GO) test -count=1 -p 1 -timeout 40m ./...

test-short:
	$(GO) test -short -count=1 ./...

vet:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: the benchmarks behind the figures in BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench 'HeadersVersus|RateLimitVersus' -benchtime 40x -count 3 ./caddymodule/
	$(GO) test -run '^$$' -bench . -benchmem ./headers/
	$(GO) test -run '^$$' -bench 'MemoryTake|MemoryBytesPerKey|RedisTake|DecideSignIn' -benchmem ./ratelimit/
	$(GO) test -run '^$$' -bench 'RedisTakeConcurrent' -benchtime 3s ./ratelimit/

## fuzz: a short run of every fuzz target.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzInjector -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz FuzzParseReports -fuzztime $(FUZZTIME) ./headers/
	$(GO) test -run '^$$' -fuzz FuzzReadFields -fuzztime $(FUZZTIME) ./ratelimit/
	$(GO) test -run '^$$' -fuzz FuzzParseRate -fuzztime $(FUZZTIME) ./ratelimit/
	$(GO) test -run '^$$' -fuzz FuzzReadBody -fuzztime $(FUZZTIME) ./authguard/

## observatory: scan `make demo` with MDN HTTP Observatory 1.4.8 (offline).
observatory: build
	./scripts/observatory.sh

clean:
	rm -rf $(BIN) .demo
