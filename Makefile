# guardsim — common tasks. `make run` runs the default scenario; `make test`
# runs every check CI runs for Go (vet, staticcheck, tests incl. the Monte
# Carlo ones, short fuzzing).

GO           ?= go
STATICCHECK  ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN        ?= $(shell $(GO) env GOPATH)/bin
# Fuzz budgets are execution counts, not durations: with a duration, Go
# 1.26's fuzz coordinator can report a spurious "context deadline exceeded"
# failure at the deadline on a loaded machine (golang/go#75804, fixed in Go
# 1.27), with no failing input.
FUZZ_READER  ?= 1500x
FUZZ_PARSE   ?= 50000x
OUT          ?= out
BIN          ?= bin/guardsim

.PHONY: all build run test test-short vet lint fuzz bench bench-compare notebooks docs-images clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/guardsim

# The main job on built-in defaults: the default scenario with alerts sent to
# the in-process PagerDuty mock. Outputs go to out/<scenario>/.
run: build
	./$(BIN) run

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)

lint: vet
	@test -x $(GOBIN)/staticcheck || $(GO) install $(STATICCHECK)
	$(GOBIN)/staticcheck ./...

test: lint
	$(GO) test -count=1 -timeout 40m ./...
	$(MAKE) fuzz

test-short: vet
	$(GO) test -short ./...

# Each fuzz target runs briefly (a fixed number of executions, about 10–30 s)
# on top of its seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZ_READER) -fuzzminimizetime 3s ./sim/eventlog
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_PARSE) -fuzzminimizetime 3s ./scenarios

bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./engine/... ./sim/... ./reports/... ./pagerduty/...

# guardsim replay versus DuckDB computing the same aggregates on a ~30M-event
# file: agreement, then medians of wall time, CPU and peak memory (see
# bench/duckdb/README.md). RUNS=n sets the number of timed runs.
bench-compare: build
	bash bench/duckdb/compare.sh

notebooks: build
	bash notebooks/install.sh
	bash notebooks/run.sh

# Regenerates the README's example chart and power curve.
docs-images: build
	./$(BIN) run --scenario latency-regression --out $(OUT)/docs-run --quiet
	cp $(OUT)/docs-run/charts/latency_ms.png docs/images/difference-chart.png
	./$(BIN) sweep --scenario latency-regression --grid 'alpha=0.01,0.05;nstar=1000,5000;effect=0,1,2,3,4,6' --reps 2000 --out $(OUT)/docs-sweep --quiet
	cp $(OUT)/docs-sweep/power.png docs/images/power-curve.png

clean:
	rm -rf bin $(OUT)
