#!/usr/bin/env bash
# Issue 17, must-show 3: a split read from and written to an S3 server on
# loopback against the same split on local files.
#
# Runs storage.BenchmarkSplitStore (storage/split_bench_test.go): gen rows
# (ROWS, default 10M, in FILES files, default 8), split 80/20 exactly with
# the command line's memory bounds, once from local files to a local
# directory and once from objects to objects on gofakes3 (on-disk backend,
# in a process of its own), through the library. Each of RUNS rounds is
# one process running "local" then "s3", so the two alternate; the input
# is generated once under WORK and reused. Prints and writes
# benchmarks/results/storage-<commit>.txt: per run wall, CPU and peak RSS
# of the client, CPU of the server process and requests by kind; then
# medians, the wall ratio against its goal (<= 1.3x local) and the peak RSS against the local peak plus
# the read-ahead bound (storage.DefaultReadAhead, 16 MiB) and the upload
# parts (two of storage.DefaultPartSize per file being written).
#
#   benchmarks/storage.sh                       # 10M rows, 5 rounds
#   ROWS=1000000 RUNS=3 benchmarks/storage.sh   # a quick run
#   WORK=DIR benchmarks/storage.sh              # keep the input in DIR
#   SPLITDATA_BENCH_S3=read benchmarks/storage.sh   # "s3": objects to a local dir
#   SPLITDATA_BENCH_S3=write benchmarks/storage.sh  # "s3": local files to objects
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
FILES=${FILES:-8}
RUNS=${RUNS:-5}
WORK=${WORK:-}
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/splitdata-storage.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK" benchmarks/results
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+dirty" || true)
OUT=${OUT:-benchmarks/results/storage-$commit.txt}

go test -c -o "$WORK/storage.test" ./storage/
raw="$WORK/raw.txt"
: >"$raw"
for i in $(seq 1 "$RUNS"); do
	echo "storage.sh: round $i of $RUNS" >&2
	SPLITDATA_BENCH_ROWS=$ROWS SPLITDATA_BENCH_FILES=$FILES SPLITDATA_BENCH_DIR=$WORK \
		"$WORK/storage.test" -test.run='^$' -test.bench='^BenchmarkSplitStore$' -test.benchtime=1x \
		-test.count=1 | tee -a "$raw" | grep '^Benchmark' >&2
done

{
	echo "# benchmarks/storage.sh at $commit$dirty, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# ROWS=$ROWS FILES=$FILES RUNS=$RUNS SPLITDATA_BENCH_S3=${SPLITDATA_BENCH_S3:-both}; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# $(go version)"
	echo
	echo "## raw go test -bench lines (benchstat-comparable)"
	grep -E '^(goos|goarch|pkg|cpu|Benchmark)' "$raw"
	echo
	awk '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	/^BenchmarkSplitStore\// {
		split($1, p, "/"); v = p[2]; sub(/-[0-9]+$/, "", v)
		k = ++n[v]
		wall[v, k] = $3 / 1e9
		for (i = 5; i < NF; i++) m[v, $(i+1), k] = $i
	}
	END {
		printf "## per run\n\n| variant | run | wall [s] | CPU [s] | server CPU [s] | peak RSS [MiB] | GET | PUT | LIST | HEAD | COPY | DELETE | retries | MB fetched | fetched/asked |\n"
		printf "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
		for (vi = 1; vi <= 2; vi++) {
			v = vi == 1 ? "local" : "s3"
			for (k = 1; k <= n[v]; k++)
				printf "| %s | %d | %.2f | %.2f | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", v, k, wall[v, k], m[v, "cpu-s/op", k], m[v, "server-cpu-s/op", k], m[v, "peak-RSS-MiB", k],
					m[v, "GET/op", k], m[v, "PUT/op", k], m[v, "LIST/op", k], m[v, "HEAD/op", k], m[v, "COPY/op", k], m[v, "DELETE/op", k], m[v, "retries/op", k], m[v, "MB-fetched/op", k], m[v, "fetched/asked", k]
		}
		for (vi = 1; vi <= 2; vi++) {
			v = vi == 1 ? "local" : "s3"
			for (k = 1; k <= n[v]; k++) { a[k] = wall[v, k] }; W[v] = median(a, n[v])
			for (k = 1; k <= n[v]; k++) { a[k] = m[v, "cpu-s/op", k] }; C[v] = median(a, n[v])
			for (k = 1; k <= n[v]; k++) { a[k] = m[v, "cpu-s/op", k] + m[v, "server-cpu-s/op", k] }; T[v] = median(a, n[v])
			R[v] = 0; for (k = 1; k <= n[v]; k++) if (m[v, "peak-RSS-MiB", k] > R[v]) R[v] = m[v, "peak-RSS-MiB", k]
		}
		bound = R["local"] + 16 + 2 * 16 * 2
		printf "\n## summary (medians of %d runs; peak RSS: the largest)\n\n", n["s3"]
		printf "| | local | s3 | s3 / local | goal |\n|:---|---:|---:|---:|:---|\n"
		printf "| wall [s] | %.2f | %.2f | %.2f | <= 1.30 %s |\n", W["local"], W["s3"], W["s3"] / W["local"], W["s3"] / W["local"] <= 1.3 ? "(met)" : "(NOT met)"
		printf "| CPU [s] | %.2f | %.2f | %.2f | |\n", C["local"], C["s3"], C["s3"] / C["local"]
		printf "| CPU with the server [s] | %.2f | %.2f | %.2f | |\n", T["local"], T["s3"], T["s3"] / T["local"]
		printf "| peak RSS [MiB] | %.0f | %.0f | %.2f | <= local + 16 MiB read-ahead + 2 files x 2 parts x 16 MiB = %.0f MiB %s |\n", R["local"], R["s3"], R["s3"] / R["local"], bound, R["s3"] <= bound ? "(met)" : "(NOT met)"
	}' "$raw"
} | tee "$OUT"
echo "storage.sh: wrote $OUT (git add -f it to commit it)" >&2
