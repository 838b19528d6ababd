#!/usr/bin/env bash
# End-to-end benchmarks of splitdata against DuckDB on the gen dataset: the split (issue 4,
# points 5 and 6) and the shuffle (issue 6, point 6).
#
# Split section (SPLIT=1): times, in one hyperfine run on the same input files: DuckDB's plain COPY rewrite and its 80/20
# splits (several variants, see duckdb/bench.mjs), splitdata's plain rewrite (--ratios all=1),
# its exact 80/20 split and its --approx split. Then checks every output (row counts, schema,
# every id exactly once; splitdata's against manifest.json), measures peak RSS of each command
# and of `splitdata split` on ROWS_BIG rows, and prints a summary with the ratios.
#
# Shuffle section (SHUFFLE=1): times, in one hyperfine run on the same input, `splitdata shuffle`
# with --memory SHUFFLE_MEMORY and with its default --memory, DuckDB's COPY ... ORDER BY random()
# and a reproducible DuckDB shuffle (ORDER BY hash(id, 42), id); checks every output, measures
# peak RSS of each, then runs ORDER BY random() after setseed(0.42) twice with threads = 1 and
# twice with threads = 2 (and the hash variant at 1 and 2 threads, splitdata at --workers 1) and
# compares hashes of the id order. Results go to benchmarks/results/shuffle/.
#
# Usage: benchmarks/run.sh            (or: make bench-e2e)
# Environment:
#   ROWS=10000000      rows of the timed dataset (written as FILES files)
#   ROWS_BIG=50000000  rows of the memory-bound check (0 skips it)
#   FILES=8            input files
#   RUNS=3  WARMUP=1   hyperfine runs and warm-up runs per command
#   DUCKDB_THREADS=2   DuckDB threads (splitdata uses its default: one worker per CPU)
#   SPLIT=1 SHUFFLE=1  run the split and the shuffle section (0 skips one; its old results stay)
#   SHUFFLE_MEMORY=256MiB  the --memory of the first timed splitdata shuffle (the second: the default)
#   BENCH_DATA=benchmarks/data   where inputs and outputs go (needs ~10 GB with the defaults)
# Results (raw hyperfine JSON and Markdown, RSS table, logs, summary.md) go to benchmarks/results/
# (the shuffle's to benchmarks/results/shuffle/).
#
# Idempotent: installs hyperfine, GNU time and the DuckDB npm package only when missing,
# reuses a generated dataset whose stamp matches, and replaces old outputs and results.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROWS=${ROWS:-10000000}
ROWS_BIG=${ROWS_BIG:-50000000}
FILES=${FILES:-8}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
DUCKDB_THREADS=${DUCKDB_THREADS:-2}
SPLIT=${SPLIT:-1}
SHUFFLE=${SHUFFLE:-1}
SHUFFLE_MEMORY=${SHUFFLE_MEMORY:-256MiB}
DATA=${BENCH_DATA:-$ROOT/benchmarks/data}
RESULTS=$ROOT/benchmarks/results
DUCK=$ROOT/benchmarks/duckdb
BIN=$ROOT/bin/splitdata
GEN_SEED=1
SPLIT_SEED=42
export DUCKDB_THREADS

log() { printf '\n== %s\n' "$*" >&2; }

# apt_install PKG...: install Debian packages, as root or through sudo.
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
	"${sudo[@]}" apt-get install -y -qq "$@" >/dev/null ||
		{ "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null; }
}

# --- tools ------------------------------------------------------------------------------------
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	export PATH=$PATH:/usr/local/go/bin
fi
command -v go >/dev/null || { echo "run.sh: go not found" >&2; exit 1; }
command -v hyperfine >/dev/null || { log "installing hyperfine"; apt_install hyperfine; }
[ -x /usr/bin/time ] || { log "installing GNU time"; apt_install time; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	log "installing node"
	apt_install nodejs npm
fi

# npm ci only when node_modules is missing or older than the lockfile (npm ci wipes it).
if [ ! -f "$DUCK/node_modules/.package-lock.json" ] ||
	[ "$DUCK/package-lock.json" -nt "$DUCK/node_modules/.package-lock.json" ]; then
	log "installing @duckdb/node-api (npm ci)"
	(cd "$DUCK" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "building splitdata"
make --no-print-directory build >/dev/null

# --- data -------------------------------------------------------------------------------------
# gen_data N: make sure $DATA/gen-N holds the gen dataset with N rows; print its path. The stamp
# names everything the bytes depend on, so a changed generator regenerates the data.
gen_data() {
	local n=$1 dir=$DATA/gen-$1 stamp
	stamp="rows=$n files=$FILES seed=$GEN_SEED gendata=$(cat internal/gendata/*.go cmd/splitdata/gen.go | sha256sum | cut -c1-16)"
	if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
		echo "$dir"
		return
	fi
	log "generating $n rows in $FILES files under $dir"
	rm -rf "$dir"
	"$BIN" gen --rows "$n" --files "$FILES" --out "$dir" --seed "$GEN_SEED" -q >&2
	echo "$stamp" >"$dir/.stamp"
	echo "$dir"
}

mkdir -p "$DATA" "$RESULTS"
IN=$(gen_data "$ROWS")
OUT=$DATA/out
rm -rf "${OUT:?}"
mkdir -p "$OUT"

# --- environment ------------------------------------------------------------------------------
# describe_env: the machine, versions and input, for the results of a section.
describe_env() {
	echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:      $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	# Uncommitted changes are built into bin/splitdata too: name them.
	dirty=$(git diff --name-only HEAD 2>/dev/null | tr '\n' ' ')
	[ -z "$dirty" ] || echo "uncommitted: $dirty"
	echo "cpu:         $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "memory:      $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "go:          $(go version | cut -d' ' -f3-)"
	echo "splitdata:   $("$BIN" version 2>/dev/null | head -1)"
	echo "duckdb:      $(cd "$DUCK" && node bench.mjs version 2>/dev/null) (@duckdb/node-api $(node -p "require('$DUCK/node_modules/@duckdb/node-api/package.json').version"), threads=$DUCKDB_THREADS)"
	echo "node:        $(node --version)"
	echo "hyperfine:   $(hyperfine --version | cut -d' ' -f2)"
	echo "input:       $ROWS rows, $FILES files, $(du -sh "$IN" | cut -f1)"
	echo "load start:  $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Paths are shell-quoted: the commands go through sh -c (hyperfine, GNU time).
qIN=$(printf '%q' "$IN") qOUT=$(printf '%q' "$OUT") qBIN=$(printf '%q' "$BIN")
DUCKJS="node $(printf '%q' "$DUCK/bench.mjs")"

# --- peak memory ------------------------------------------------------------------------------
# rss FILE NAME ROWS COMMAND: run COMMAND once under GNU time, append
# "name rows max_rss_kib wall_s" to FILE.
rss() {
	local file=$1 name=$2 n=$3 cmd=$4 t
	t=$(mktemp)
	rm -rf "${OUT:?}/${name:?}" && sync
	/usr/bin/time -f '%M %e' -o "$t" sh -c "$cmd"
	read -r kib wall <"$t"
	rm -f "$t"
	printf '%s\t%s\t%s\t%s\n' "$name" "$n" "$kib" "$wall" >>"$file"
	awk -v name="$name" -v n="$n" -v kib="$kib" -v wall="$wall" \
		'BEGIN { printf "%-42s %10s rows  %8.1f MiB  %6.1f s\n", name, n, kib / 1024, wall }' >&2
}

# hyperfine_run JSON MD LOG NAME|COMMAND...: time the commands in one hyperfine invocation.
# Each timed run starts from an absent output directory with no dirty pages left by the
# previous run (rm + sync in --prepare, which hyperfine does not time).
hyperfine_run() {
	local json=$1 md=$2 hlog=$3 c
	shift 3
	local args=(--warmup "$WARMUP" --runs "$RUNS" --export-json "$json" --export-markdown "$md")
	for c in "$@"; do
		args+=(--prepare "rm -rf $qOUT/${c%%|*} && sync" -n "${c%%|*}" "${c#*|}")
	done
	log "hyperfine: $# commands, $WARMUP warm-up + $RUNS runs each, $ROWS rows"
	hyperfine --style basic "${args[@]}" 2>&1 | tee "$hlog" >&2
}

if [ "$SPLIT" = 1 ]; then
# Remove the split section's old results, and only those: the shuffle's live in their own
# directory, and other scripts write beside them.
rm -f "$RESULTS"/{checks.log,env.txt,rss.tsv,summary.md} "$RESULTS"/e2e-*.{json,md} "$RESULTS"/hyperfine-*.log
describe_env >"$RESULTS/env.txt"
cat "$RESULTS/env.txt" >&2

# --- commands ---------------------------------------------------------------------------------
# name|command; every command writes $OUT/name. DuckDB variants: COPY ... PARTITION_BY writes both
# splits in one scan, "2copy" runs one COPY per split (two scans); "-unordered" sets
# preserve_insertion_order=false, letting DuckDB drop input order (splitdata always keeps it).
# splitdata-split-nolimit is for information: the default split with GOMEMLIMIT=off, i.e.
# without the soft memory limit splitdata sets for itself, to show what that limit costs.
CMDS=(
	"duckdb-copy|$DUCKJS copy $qIN $qOUT/duckdb-copy"
	"duckdb-copy-unordered|DUCKDB_PRESERVE_ORDER=false $DUCKJS copy $qIN $qOUT/duckdb-copy-unordered"
	"duckdb-split-hash-partition|$DUCKJS split-hash-partition $qIN $qOUT/duckdb-split-hash-partition"
	"duckdb-split-hash-partition-unordered|DUCKDB_PRESERVE_ORDER=false $DUCKJS split-hash-partition $qIN $qOUT/duckdb-split-hash-partition-unordered"
	"duckdb-split-hash-2copy|$DUCKJS split-hash-2copy $qIN $qOUT/duckdb-split-hash-2copy"
	"duckdb-split-hash-2copy-unordered|DUCKDB_PRESERVE_ORDER=false $DUCKJS split-hash-2copy $qIN $qOUT/duckdb-split-hash-2copy-unordered"
	"duckdb-split-random-partition-unordered|DUCKDB_PRESERVE_ORDER=false $DUCKJS split-random-partition $qIN $qOUT/duckdb-split-random-partition-unordered"
	"splitdata-rewrite|$qBIN split $qIN --out $qOUT/splitdata-rewrite --seed $SPLIT_SEED --ratios all=1 -q"
	"splitdata-split|$qBIN split $qIN --out $qOUT/splitdata-split --seed $SPLIT_SEED -q"
	"splitdata-split-approx|$qBIN split $qIN --out $qOUT/splitdata-split-approx --seed $SPLIT_SEED --approx -q"
	"splitdata-split-nolimit|GOMEMLIMIT=off $qBIN split $qIN --out $qOUT/splitdata-split-nolimit --seed $SPLIT_SEED -q"
)

hyperfine_run "$RESULTS/e2e-$ROWS.json" "$RESULTS/e2e-$ROWS.md" "$RESULTS/hyperfine-$ROWS.log" "${CMDS[@]}"

# --- checks (on the outputs of the last timed run) ---------------------------------------------
log "checking outputs"
for c in "${CMDS[@]}"; do
	name=${c%%|*}
	case $name in
	duckdb-copy*) $DUCKJS check-copy "$IN" "$OUT/$name" ;;
	duckdb-split*) $DUCKJS check-split "$IN" "$OUT/$name" ;;
	splitdata-*) $DUCKJS check-splitdata "$IN" "$OUT/$name" ;;
	esac
done 2>&1 | tee "$RESULTS/checks.log" >&2
# Exact mode must give the test split ceil(0.2 * ROWS) rows, as scikit-learn does.
want_test=$(node -p "String(Math.ceil($ROWS * 0.2))")
got_test=$(node -p "require('$OUT/splitdata-split/manifest.json').splits.find(s => s.name === 'test').rows")
[ "$got_test" = "$want_test" ] || { echo "run.sh: exact test split has $got_test rows, want $want_test" >&2; exit 1; }

# --- peak memory ------------------------------------------------------------------------------
log "peak RSS, one run each ($ROWS rows)"
for c in "${CMDS[@]}"; do rss "$RESULTS/rss.tsv" "${c%%|*}" "$ROWS" "${c#*|}"; done

if [ "$ROWS_BIG" -gt 0 ]; then
	IN_BIG=$(gen_data "$ROWS_BIG")
	log "peak RSS of splitdata split on $ROWS_BIG rows"
	rss "$RESULTS/rss.tsv" splitdata-split "$ROWS_BIG" "$qBIN split $(printf '%q' "$IN_BIG") --out $qOUT/splitdata-split --seed $SPLIT_SEED -q"
	$DUCKJS check-splitdata "$IN_BIG" "$OUT/splitdata-split" 2>&1 | tee -a "$RESULTS/checks.log" >&2
fi
rm -rf "${OUT:?}"/*

echo "load end:    $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/env.txt"

# --- summary ----------------------------------------------------------------------------------
log "summary (also in benchmarks/results/summary.md)"
node "$DUCK/summary.mjs" "$RESULTS" "$ROWS" "$ROWS_BIG"
fi

# --- shuffle (issue 6) ------------------------------------------------------------------------
# splitdata shuffle with --memory SHUFFLE_MEMORY (spills) and with its default --memory, against
# DuckDB's ORDER BY random() (not reproducible) and ORDER BY hash(id, 42), id (reproducible);
# DuckDB keeps its default preserve_insertion_order (an ORDER BY output is ordered either way).
if [ "$SHUFFLE" = 1 ]; then
SR=$RESULTS/shuffle
rm -rf "${SR:?}"
mkdir -p "$SR"
describe_env >"$SR/env.txt"
echo "shuffle:     --memory $SHUFFLE_MEMORY and the default; DuckDB threads=$DUCKDB_THREADS" >>"$SR/env.txt"
cat "$SR/env.txt" >&2
SMEM=$(printf '%q' "$SHUFFLE_MEMORY")
SCMDS=(
	"splitdata-shuffle-$SHUFFLE_MEMORY|$qBIN shuffle $qIN --out $qOUT/splitdata-shuffle-$SHUFFLE_MEMORY --seed $SPLIT_SEED --memory $SMEM -q"
	"splitdata-shuffle-default|$qBIN shuffle $qIN --out $qOUT/splitdata-shuffle-default --seed $SPLIT_SEED -q"
	"duckdb-shuffle-random|$DUCKJS shuffle-random $qIN $qOUT/duckdb-shuffle-random"
	"duckdb-shuffle-hash|$DUCKJS shuffle-hash $qIN $qOUT/duckdb-shuffle-hash"
)
hyperfine_run "$SR/shuffle-$ROWS.json" "$SR/shuffle-$ROWS.md" "$SR/hyperfine-$ROWS.log" "${SCMDS[@]}"

log "checking shuffle outputs"
for c in "${SCMDS[@]}"; do
	name=${c%%|*}
	case $name in
	duckdb-*) $DUCKJS check-copy "$IN" "$OUT/$name" ;;
	splitdata-*) $DUCKJS check-splitdata "$IN" "$OUT/$name" ;;
	esac
done 2>&1 | tee "$SR/checks.log" >&2

log "peak RSS, one run each ($ROWS rows)"
for c in "${SCMDS[@]}"; do rss "$SR/rss.tsv" "${c%%|*}" "$ROWS" "${c#*|}"; done

# Does the order change with the thread count? "name threads run rows order-hash" per output;
# the hash covers every id and its place (bench.mjs order-hash).
log "order against thread count (setseed(0.42) before ORDER BY random())"
order() { # NAME THREADS RUN MODE [ENV...]
	local name=$1 threads=$2 run=$3 mode=$4 dir=$OUT/order
	shift 4
	rm -rf "$dir"
	env DUCKDB_THREADS="$threads" "$@" node "$DUCK/bench.mjs" "$mode" "$IN" "$dir"
	printf '%s\t%s\t%s\t%s\n' "$name" "$threads" "$run" "$(node "$DUCK/bench.mjs" order-hash "$IN" "$dir" | tr ' ' '\t')" |
		tee -a "$SR/order.tsv" >&2
}
order duckdb-random-setseed 1 1 shuffle-random SEED=0.42
order duckdb-random-setseed 1 2 shuffle-random SEED=0.42
order duckdb-random-setseed 2 1 shuffle-random SEED=0.42
order duckdb-random-setseed 2 2 shuffle-random SEED=0.42
order duckdb-hash 1 1 shuffle-hash
order duckdb-hash 2 1 shuffle-hash
# splitdata: --workers 2 with two --memory values from the timed runs, and --workers 1.
for name in "splitdata-shuffle-$SHUFFLE_MEMORY" splitdata-shuffle-default; do
	printf '%s\t%s\t%s\t%s\n' "$name" 2 1 "$($DUCKJS order-hash "$IN" "$OUT/$name" | tr ' ' '\t')" | tee -a "$SR/order.tsv" >&2
done
rm -rf "$OUT/order"
"$BIN" shuffle "$IN" --out "$OUT/order" --seed "$SPLIT_SEED" --memory "$SHUFFLE_MEMORY" --workers 1 -q
printf '%s\t%s\t%s\t%s\n' "splitdata-shuffle-$SHUFFLE_MEMORY" 1 1 "$($DUCKJS order-hash "$IN" "$OUT/order" | tr ' ' '\t')" | tee -a "$SR/order.tsv" >&2
rm -rf "${OUT:?}"/*

echo "load end:    $(cut -d' ' -f1-3 /proc/loadavg)" >>"$SR/env.txt"
log "shuffle summary (also in benchmarks/results/shuffle/summary.md)"
node "$DUCK/shuffle-summary.mjs" "$SR" "$ROWS" "$SHUFFLE_MEMORY"
fi
rm -rf "$OUT"
