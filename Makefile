# Skirmish. `make run` and `make test` do all the set-up they need.
SHELL := /bin/bash
GO    ?= go
ADDR  ?= :8080
WEB   := client-web
BIN   := bin
BUF   := $(WEB)/node_modules/.bin/buf
# Debian's python3, which has python3-protobuf and python3-websockets
# (another python3 may come first on PATH without them).
PYTHON ?= /usr/bin/python3
# Generated code for clients in other languages: not committed (see
# docs/clients.md), written here by make proto-python, proto-cpp and
# proto-csharp.
GEN   := build/gen
# The build's name in `skirmish -version`, its logs and skirmish_build_info.
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# npm ci writes this file; it is newer than the lock file once installed.
NPM_STAMP := $(WEB)/node_modules/.package-lock.json

.PHONY: run build test test-stress check gotest webtest pytest cpptest proto vectors proto-python proto-cpp proto-csharp web bench metrics-cost robust interest bandwidth resume match match-away fuzz clean

## run: build everything and start the server with the web client embedded
run: build
	$(BIN)/skirmish -addr $(ADDR)

## build: the server and the bench bots into bin/
build: web
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/skirmish ./server/cmd/skirmish
	$(GO) build -o $(BIN)/skirmish-bots ./bench/cmd/skirmish-bots

## web: bundle the browser client into client-web/dist (embedded by go:embed)
web: $(NPM_STAMP)
	cd $(WEB) && npm run --silent build

$(NPM_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## proto: regenerate Go and TypeScript code from proto/, and the golden
## vectors (proto/testdata/vectors.json)
proto: $(NPM_STAMP)
	$(BUF) lint
	$(BUF) generate
	$(MAKE) -s vectors

## vectors: write the contract's golden vectors (proto/testdata/vectors.json)
## from the Go reference code
vectors:
	$(GO) generate ./game/vectors

## proto-python, proto-cpp, proto-csharp: generate the message code of
## other languages into build/gen/LANG (buf with protoc's built-in
## generators: Debian's protobuf-compiler)
proto-python proto-cpp proto-csharp: proto-%: $(NPM_STAMP)
	$(BUF) generate --template buf.gen.$*.yaml

## test: every check and test (formatting, vet, tidy go.mod, lint, breaking
## changes of the contract, stale generated code, Go tests with the race
## detector, fuzz smoke runs, browser tests, the Python client, the
## generated C++ and C#)
test: check gotest fuzz webtest pytest cpptest proto-csharp

## test-stress: make test STRESS_RUNS times in a row (10 by default) with
## one core kept busy; stops at the first failure or a run over 15 minutes
STRESS_RUNS ?= 10
test-stress:
	bash .ci/stress $(STRESS_RUNS)

## check: the static checks: gofmt, go vet, go.mod and go.sum tidy, buf lint,
## no breaking change of the contract, generated code, golden vectors and
## the web bundle current
check: $(NPM_STAMP)
	@fmt=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(BUF) lint
	bash .ci/check-breaking
	bash .ci/check-generated

## gotest: the Go tests with the race detector (a real /metrics scrape
## goes through promtool, from Debian's prometheus package). The bench's
## tests run real servers and bots: one package at a time, after the
## others, so that their load never meets the server's timing tests
gotest:
	SKIRMISH_REQUIRE_PROMTOOL=1 $(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/bench/')
	SKIRMISH_REQUIRE_PROMTOOL=1 $(GO) test -race -count=1 -p 1 ./bench/...

## fuzz: a short bounded run of every fuzz target (seed corpora are committed);
## a test package that does not compile fails it
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash .ci/fuzz

## webtest: typecheck the web client, then its unit and headless-browser tests
webtest: build
	cd $(WEB) && npm run --silent typecheck
	cd $(WEB) && SKIRMISH_BIN=$(abspath $(BIN)/skirmish) npm test

## pytest: the Python reference client: the golden vectors, then playing
## against the built server
pytest: build proto-python
	PYTHONPATH=$(GEN)/python:client-python SKIRMISH_BIN=$(abspath $(BIN)/skirmish) \
	  $(PYTHON) -m unittest discover -s client-python/tests -t client-python -v

## cpptest: the generated C++ compiles and links against Debian's
## libprotobuf, and round-trips a message
cpptest: proto-cpp
	@mkdir -p build/cpp
	g++ -std=c++17 -I$(GEN)/cpp -o build/cpp/roundtrip proto/examples/cpp/roundtrip.cc \
	  $(GEN)/cpp/skirmish/v1/skirmish.pb.cc -lprotobuf -pthread
	build/cpp/roundtrip

## bench: start a server and measure it with the bots (docs/performance.md)
bench: build
	$(BIN)/skirmish-bots suite -server $(BIN)/skirmish -json bench/results/latest.json

## metrics-cost: what Prometheus scrapes cost: scrape time with 19,000
## connections open, and server CPU per client·tick of the 20×50 play load
## with and without a scrape a second (~5 min; docs/operations.md)
metrics-cost: build
	bench/metrics-cost.sh

## robust: stall 5000, churn 100 000 and slow 20×50 against fresh servers,
## with pass lines (~2.5 min)
robust: build
	$(BIN)/skirmish-bots robust -server $(BIN)/skirmish -json bench/results/robustness.json

## interest: movers 10×50 vs movers-large 1×500 on fresh servers; PASS/FAIL
## on the CPU ratio ≤ 2× (~25 s)
interest: build
	$(BIN)/skirmish-bots interest -server $(BIN)/skirmish -json bench/results/interest.json

## bandwidth: deltas vs -full-snapshots, 10×50 with 100 ms latency; PASS/FAIL
## on ≤ 6,000 B/client·s (~25 s)
bandwidth: build
	$(BIN)/skirmish-bots bandwidth -server $(BIN)/skirmish -json bench/results/bandwidth.json

## resume: 500 bots drop their sockets and resume their sessions (~12 s)
resume: build
	$(BIN)/skirmish-bots resume -server $(BIN)/skirmish -n 500 -json bench/results/resume.json

## match: 10,000 quick-match joins at 1,000/s with the players staying (~60 s);
## match-away: the joins alone, each bot leaving its socket after Welcome (~10 s)
match: build
	$(BIN)/skirmish-bots match -server $(BIN)/skirmish -json bench/results/match.json
match-away: build
	$(BIN)/skirmish-bots match -server $(BIN)/skirmish -away -json bench/results/match-away.json

## clean: remove the binaries, generated code of other languages and the
## browser tests' screenshots
clean:
	rm -rf $(BIN) build test-output
