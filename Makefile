# splitdata — build, demo, tests and benchmarks.
# Every target works on a fresh clone with Go installed (.ci/run installs the rest).

GO        ?= go
BIN       := bin/splitdata
DEMO_DIR  := demo
DEMO_ROWS ?= 1000000

.PHONY: all build demo test test-race test-progress fuzz bench lint vectors clean duckdb-deps image test-image test-docs examples stream-rss test-beam chromium-deps screenshot

all: build

build:
	$(GO) build -o $(BIN) ./cmd/splitdata

## demo: generate a 1M-row sample, split it 80/10/10, print a per-split summary and what to try next.
## The build is announced first: on a fresh clone it downloads modules and is silent for minutes.
demo:
	@echo "building splitdata (first build downloads modules, about 2 minutes)"
	$(GO) build -o $(BIN) ./cmd/splitdata
	rm -rf $(DEMO_DIR)
	$(BIN) gen --rows $(DEMO_ROWS) --files 4 --out $(DEMO_DIR)/input --seed 1
	$(BIN) split $(DEMO_DIR)/input --out $(DEMO_DIR)/out --seed 42 --ratios train=0.8,valid=0.1,test=0.1
	$(BIN) verify $(DEMO_DIR)/out --input $(DEMO_DIR)/input
	@echo
	@echo "look at: $(DEMO_DIR)/out/manifest.json (seed, sizes and SHA-256 of every file) and the Parquet files in $(DEMO_DIR)/out/train/"
	@echo "try: $(BIN) explain --seed 42 --rows 0-9 --ratios train=0.8,valid=0.1,test=0.1 --total $(DEMO_ROWS)   (any row's split, recomputable with NumPy)"
	@echo "next: $(BIN) split YOUR_DATA/ --out splits --seed 42; docs/coming-from.md maps scikit-learn, Hugging Face, DuckDB and PyTorch habits to commands"


## test: the suite CI runs (no Python needed; vectors are committed). Needs only Go:
## the DuckDB readback tests skip, saying so, until make duckdb-deps has run.
test:
	@command -v chromium >/dev/null 2>&1 || echo "make test: chromium not found: TestReportInBrowser (report/browser_test.go) skips; make chromium-deps installs it"
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## duckdb-deps: install the pinned DuckDB package (Node.js 18+ and npm needed) for the
## tests that have DuckDB read splitdata's output (see sinks/testdata/duckdb/README.md).
duckdb-deps:
	cd sinks/testdata/duckdb && npm ci --no-audit --no-fund

## fuzz: run every Go fuzz target for FUZZTIME each (seed corpora in */testdata/fuzz),
## except those named in FUZZSKIP, one worker each, under an address-space limit
## (prlimit --as=FUZZ_AS) so that an allocation driven by a lying number in an input
## fails the target instead of passing unnoticed. Go 1.26 reserves about 1.4 GiB of
## address space at start that it never touches, so 2.5 GiB leaves about 1 GiB to use;
## CGO_ENABLED=0 because glibc would reserve 128 MiB of arena per thread.
FUZZTIME ?= 10s
FUZZSKIP ?=
FUZZ_AS  ?= 2684354560
FUZZ_LIMIT := $(if $(shell command -v prlimit),CGO_ENABLED=0 prlimit --as=$(FUZZ_AS),)
# FUZZPKGS narrows the packages whose targets run (default: all).
FUZZPKGS ?= ./...
fuzz:
	@$(if $(FUZZ_LIMIT),,echo "fuzz: prlimit not found (Debian's util-linux): fuzzing without an address-space limit" >&2;) \
	set -e; for pkg in $$($(GO) list $(FUZZPKGS)); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' | grep -vxF -e '$(or $(FUZZSKIP),-)' || true); do \
	    echo "fuzz $$pkg $$target"; \
	    $(FUZZ_LIMIT) $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -parallel 1 $$pkg; \
	  done; \
	done

## test-race: the suite under the race detector (-short); RACE_PKGS narrows it (CI runs the
## packages whose goroutines are their own: the engine, sources, sinks, internal/).
RACE_PKGS ?= ./...
test-race:
	$(GO) test -race -short -count=1 $(RACE_PKGS)

## image: the container image as an OCI layout (bin/image) and one archive, without a container daemon.
image:
	$(GO) run ./tools/ociimage -out bin/image -archive bin/splitdata-image.tar

## test-image: build the image twice (same digest) and run splitdata from its unpacked layer.
test-image:
	$(GO) test -count=1 -timeout 30m -run 'TestImage|TestLayout' ./tools/ociimage/

## test-docs: run every splitdata command of docs/pipelines.md marked "# doc-test" (also in make test).
test-docs:
	$(GO) test -count=1 -run 'TestPipelineDocs' ./cmd/splitdata/

## examples: build and run the three example programs (also part of make test).
examples:
	$(GO) test -count=1 -run TestExamples ./examples/

## stream-rss: peak RSS of a 10M-row stream split (must stay under 150 MB; a minute or two).
stream-rss:
	SPLITDATA_STREAM_ROWS=10000000 $(GO) test -count=1 -v -run TestSplitStreamPeakRSS ./pipeline/

## chromium-deps: Debian's chromium, for TestReportInBrowser (needs root).
chromium-deps:
	bash scripts/install-chromium.sh

## screenshot: refresh docs/report.png from the browser test.
screenshot:
	SPLITDATA_SCREENSHOT=$(CURDIR)/docs/report.png $(GO) test -count=1 -run TestReportInBrowser ./report/

## test-beam: the Apache Beam transforms (beam/, a module of its own) on Prism, Beam's local
## runner: go vet and the tests (make lint runs staticcheck on it too). The first run downloads and builds Beam's SDK
## (several minutes on a 2-core machine); then about 3 minutes, ~1 of them tests.
## TMPDIR is a directory of its own, removed after: Beam's loopback runner leaves an empty
## beamloopbackworker-* file in the temporary directory per pipeline it runs
## (runnerlib/execute.go; the TODO there cites apache/beam#27569).
test-beam:
	tmp=$$(mktemp -d) && (cd beam && $(GO) vet ./... && TMPDIR="$$tmp" $(GO) test -count=1 ./...); \
	  rc=$$?; rm -rf "$$tmp"; exit $$rc

## test-progress: the terminal recording of shuffle and split --stratify on 10M rows
## (script(1), Debian's bsdutils; minutes on a small machine), checked against
## cmd/splitdata/testdata/progress_recording.golden (-update-recording rewrites it).
test-progress:
	SPLITDATA_RECORDING=1 $(GO) test -count=1 -timeout 30m -run '^TestProgressRecording$$' ./cmd/splitdata/

## bench: Go micro-benchmarks of every package with -benchmem, 10 samples each, in benchstat's format
## (benchmarks/results/micro-<commit>.txt; prng's also benchmarks/results-prng.txt, see benchmarks/prng.md).
bench:
	benchmarks/micro.sh

## bench-peers: splitdata against Polars and DuckDB on the five input shapes of issue 22 (benchmarks/README.md).
.PHONY: bench-peers bench-storage
bench-peers:
	benchmarks/peers.sh

## bench-storage: a 10M-row split read from and written to an S3 server on loopback, against local files (issue 17).
bench-storage:
	benchmarks/storage.sh

## lint: go vet, staticcheck and govulncheck.
lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...
	cd beam && $(GO) vet ./... && $(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...
	$(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./...

## vectors: regenerate the reference vectors (needs Debian's python3-numpy and python3-sklearn) and show any drift.
vectors:
	/usr/bin/python3 prng/testdata/gen_vectors.py
	/usr/bin/python3 prng/testdata/gen_compat_vectors.py
	/usr/bin/python3 splitter/testdata/gen_vectors.py
	/usr/bin/python3 splitter/testdata/gen_compat_vectors.py
	/usr/bin/python3 splitter/testdata/gen_stratify_vectors.py
	/usr/bin/python3 splitter/testdata/gen_stratgroup_vectors.py
	/usr/bin/python3 splitter/testdata/gen_timeseries_vectors.py
	git diff --stat -- prng/testdata splitter/testdata

clean:
	rm -rf bin $(DEMO_DIR)

## bench-e2e: end-to-end benchmark against DuckDB (ROWS, ROWS_BIG, RUNS: see benchmarks/README.md).
.PHONY: bench-e2e
bench-e2e:
	benchmarks/run.sh

## test-slurm: a sharded split on a one-node Slurm cluster on loopback (as root; installs
## Debian's slurmctld, slurmd, slurm-client and munge when missing), compared byte for byte
## with a single run. ROWS, FILES, SHARDS ("1 2 4" to measure): see docs/scale-out.md.
.PHONY: test-slurm
test-slurm:
	scripts/slurm/test-slurm.sh
