#!/usr/bin/env bash
# Go micro-benchmarks (make bench): every Benchmark of the packages in PKGS
# with -benchmem, COUNT samples each, in benchstat's input format, then
# benchstat's summary. Results: benchmarks/results/micro-<commit>.txt
# (prng's also to benchmarks/results-prng.txt, which prng.md reads).
# BASE=FILE compares with an earlier results file (benchstat BASE NEW);
# take both on the same machine in the same session, ratios only.
#
#   benchmarks/micro.sh
#   PKGS=./sinks/ BENCH=Encode COUNT=6 benchmarks/micro.sh
#   BASE=benchmarks/results/micro-abc1234.txt benchmarks/micro.sh
#
# storage's BenchmarkSplitStore is end-to-end (benchmarks/storage.sh), not
# part of this set.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=${PKGS:-"./prng/ ./splitter/ ./sources/ ./sinks/ ./internal/columnar/ ./internal/rowcheck/"}
BENCH=${BENCH:-.}
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-1s}
BASE=${BASE:-}
BENCHSTAT=(go run golang.org/x/perf/cmd/benchstat@latest)
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+dirty" || true)
mkdir -p benchmarks/results
out=${OUT:-benchmarks/results/micro-$commit.txt}
{
	echo "commit: $commit$dirty"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2086 # PKGS is a list
	go test -run='^$' -bench="$BENCH" -benchmem -benchtime="$BENCHTIME" -count="$COUNT" $PKGS
} | tee "$out"
if grep -q '^pkg: github.com/splitdata/splitdata/prng$' "$out"; then
	awk '/^pkg: /{p = ($2 == "github.com/splitdata/splitdata/prng")} p || /^(goos|goarch|cpu):/' "$out" >benchmarks/results-prng.txt
fi
if [ -n "$BASE" ]; then
	"${BENCHSTAT[@]}" "$BASE" "$out"
else
	"${BENCHSTAT[@]}" "$out"
fi
echo "micro.sh: wrote $out" >&2
