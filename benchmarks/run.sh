#!/usr/bin/env bash
# End-to-end benchmark of splitdata against DuckDB on the gen dataset (issue 4, points 5 and 6).
#
# Times, in one hyperfine run on the same input files: DuckDB's plain COPY rewrite and its 80/20
# splits (several variants, see duckdb/bench.mjs), splitdata's plain rewrite (--ratios all=1),
# its exact 80/20 split and its --approx split. Then checks every output (row counts, schema,
# every id exactly once; splitdata's against manifest.json), measures peak RSS of each command
# and of `splitdata split` on ROWS_BIG rows, and prints a summary with the ratios.
#
# Usage: benchmarks/run.sh            (or: make bench-e2e)
# Environment:
#   ROWS=10000000      rows of the timed dataset (written as FILES files)
#   ROWS_BIG=50000000  rows of the memory-bound check (0 skips it)
#   FILES=8            input files
#   RUNS=3  WARMUP=1   hyperfine runs and warm-up runs per command
#   DUCKDB_THREADS=2   DuckDB threads (splitdata uses its default: one worker per CPU)
#   BENCH_DATA=benchmarks/data   where inputs and outputs go (needs ~10 GB with the defaults)
# Results (raw hyperfine JSON and Markdown, RSS table, logs, summary.md) go to benchmarks/results/.
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
rm -rf "${OUT:?}" "${RESULTS:?}"/*
mkdir -p "$OUT"

# --- environment ------------------------------------------------------------------------------
{
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
} >"$RESULTS/env.txt"
cat "$RESULTS/env.txt" >&2

# --- commands ---------------------------------------------------------------------------------
# name|command; every command writes $OUT/name. DuckDB variants: COPY ... PARTITION_BY writes both
# splits in one scan, "2copy" runs one COPY per split (two scans); "-unordered" sets
# preserve_insertion_order=false, letting DuckDB drop input order (splitdata always keeps it).
# splitdata-split-nolimit is for information: the default split with GOMEMLIMIT=off, i.e.
# without the soft memory limit splitdata sets for itself, to show what that limit costs.
# Paths are shell-quoted: the commands go through sh -c (hyperfine, GNU time).
qIN=$(printf '%q' "$IN") qOUT=$(printf '%q' "$OUT") qBIN=$(printf '%q' "$BIN")
DUCKJS="node $(printf '%q' "$DUCK/bench.mjs")"
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

# Each timed run starts from an absent output directory with no dirty pages left by the
# previous run (rm + sync in --prepare, which hyperfine does not time).
args=(--warmup "$WARMUP" --runs "$RUNS" --export-json "$RESULTS/e2e-$ROWS.json"
	--export-markdown "$RESULTS/e2e-$ROWS.md")
for c in "${CMDS[@]}"; do
	args+=(--prepare "rm -rf $qOUT/${c%%|*} && sync" -n "${c%%|*}" "${c#*|}")
done

log "hyperfine: ${#CMDS[@]} commands, $WARMUP warm-up + $RUNS runs each, $ROWS rows"
hyperfine --style basic "${args[@]}" 2>&1 | tee "$RESULTS/hyperfine-$ROWS.log" >&2

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
# rss NAME ROWS COMMAND: run COMMAND once under GNU time, append "name rows max_rss_kib wall_s".
rss() {
	local name=$1 n=$2 cmd=$3 t
	t=$(mktemp)
	rm -rf "${OUT:?}/${name:?}" && sync
	/usr/bin/time -f '%M %e' -o "$t" sh -c "$cmd"
	read -r kib wall <"$t"
	rm -f "$t"
	printf '%s\t%s\t%s\t%s\n' "$name" "$n" "$kib" "$wall" >>"$RESULTS/rss.tsv"
	awk -v name="$name" -v n="$n" -v kib="$kib" -v wall="$wall" \
		'BEGIN { printf "%-42s %10s rows  %8.1f MiB  %6.1f s\n", name, n, kib / 1024, wall }' >&2
}

log "peak RSS, one run each ($ROWS rows)"
for c in "${CMDS[@]}"; do rss "${c%%|*}" "$ROWS" "${c#*|}"; done

if [ "$ROWS_BIG" -gt 0 ]; then
	IN_BIG=$(gen_data "$ROWS_BIG")
	log "peak RSS of splitdata split on $ROWS_BIG rows"
	rss splitdata-split "$ROWS_BIG" "$qBIN split $(printf '%q' "$IN_BIG") --out $qOUT/splitdata-split --seed $SPLIT_SEED -q"
	$DUCKJS check-splitdata "$IN_BIG" "$OUT/splitdata-split" 2>&1 | tee -a "$RESULTS/checks.log" >&2
fi
rm -rf "$OUT"

echo "load end:    $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/env.txt"

# --- summary ----------------------------------------------------------------------------------
log "summary (also in benchmarks/results/summary.md)"
node "$DUCK/summary.mjs" "$RESULTS" "$ROWS" "$ROWS_BIG"
