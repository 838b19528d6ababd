#!/usr/bin/env bash
# Issue 22, must-show 1: splitdata against Polars and DuckDB on five input
# shapes, generated here reproducibly:
#
#   mixed    MIXED_ROWS (5M) gen rows, 4 files, 7 mixed columns, rewritten by
#            DuckDB with row groups of 122,880 rows
#   wide     WIDE_ROWS (2M) rows x 20 string columns (splitdata gen --string-columns 20)
#   one      ONE_ROWS (5M) gen rows in one file with ONE row group
#   many     MANY_FILES (500) files x MANY_ROWS (10k) gen rows
#   flights  vega-datasets' flights-3m.parquet (zstd, Polars-written), from npm
#
# For each shape (SHAPES), RUNS rounds, the tools alternating inside each:
#   splitdata  splitdata split IN --out OUT --seed 42 (exact 80/20, snappy: the defaults)
#   polars     two lazy scans, each filtered on hash(KEY) % 100 and sunk to snappy Parquet
#              (polars/split.mjs, nodejs-polars)
#   duckdb     one COPY ... PARTITION_BY on hash(KEY) % 100 < 80, snappy (duckdb/peers.mjs)
# and, for the shapes in SHUFFLE_SHAPES (mixed), splitdata shuffle against
# DuckDB's COPY ... ORDER BY random(). Each command runs under /usr/bin/time
# (wall, user + system CPU, peak RSS); output bytes are the Parquet files'
# sizes. The last round's outputs are checked: each holds every input row.
# KEY is id (mixed, one, many), s02 (wide), date (flights). Polars and DuckDB
# run inside Node, whose start-up (about 0.3 s, 50-90 MiB) counts in their
# figures.
#
# Prints a table of medians per shape and tool with the ratios against the
# goals of issue 22 (splitdata wall <= 0.7x Polars on mixed, 0.8x on the
# others; peak RSS < 300 MB; output bytes <= 1.1x the smaller of Polars'
# and DuckDB's; shuffle <= 0.7x DuckDB's wall) and writes it, with the raw
# measurements, to benchmarks/results/peers-<commit>.{md,tsv}.
#
#   benchmarks/peers.sh                       # full size, 3 rounds (~25 min on 2 cores)
#   SCALE=10 RUNS=1 benchmarks/peers.sh       # a tenth of the rows (flights as it is)
#   SHAPES="mixed one" benchmarks/peers.sh
#   BENCH_DATA=DIR                            # inputs (kept) and outputs; default benchmarks/data/peers
# Installs GNU time (apt-get) and the pinned npm packages of polars/ and
# duckdb/ (npm ci) when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCALE=${SCALE:-1}
MIXED_ROWS=${MIXED_ROWS:-$((5000000 / SCALE))}
WIDE_ROWS=${WIDE_ROWS:-$((2000000 / SCALE))}
ONE_ROWS=${ONE_ROWS:-$((5000000 / SCALE))}
MANY_FILES=${MANY_FILES:-500}
MANY_ROWS=${MANY_ROWS:-$((10000 / SCALE))}
SHAPES=${SHAPES:-"mixed wide one many flights"}
SHUFFLE_SHAPES=${SHUFFLE_SHAPES:-mixed}
RUNS=${RUNS:-3}
export DUCKDB_THREADS=${DUCKDB_THREADS:-2}
DATA=${BENCH_DATA:-$ROOT/benchmarks/data/peers}
RESULTS=$ROOT/benchmarks/results
POLARS=$ROOT/benchmarks/polars
DUCK=$ROOT/benchmarks/duckdb
BIN=$ROOT/bin/splitdata

log() { printf '== %s\n' "$*" >&2; }
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
	"${sudo[@]}" apt-get install -y -qq "$@" >/dev/null ||
		{ "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null; }
}
[ -x /usr/bin/time ] || { log "installing GNU time"; apt_install time; }
command -v node >/dev/null || { log "installing node"; apt_install nodejs npm; }
for dir in "$DUCK" "$POLARS"; do
	if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		# npm ci refuses polars' lock file, which names the native package for this
		# platform only (npm 11 wants every platform's optional package listed);
		# npm install keeps the locked versions all the same.
		log "npm install in $dir (versions from its package-lock.json)"
		(cd "$dir" && npm install --no-audit --no-fund --no-save >/dev/null)
	fi
done
log "building splitdata"
go build -o "$BIN" ./cmd/splitdata

# --- inputs: DIR/<shape>-<size>/, a stamp when complete ------------------------------------
mkdir -p "$DATA" "$RESULTS"
input_dir() { # shape -> directory
	case $1 in
	mixed) echo "$DATA/mixed-$MIXED_ROWS" ;;
	wide) echo "$DATA/wide-$WIDE_ROWS" ;;
	one) echo "$DATA/one-$ONE_ROWS" ;;
	many) echo "$DATA/many-$MANY_FILES-$MANY_ROWS" ;;
	flights) echo "$DATA/flights-3m" ;;
	*) echo "peers.sh: unknown shape $1" >&2; exit 2 ;;
	esac
}
key_of() { case $1 in wide) echo s02 ;; flights) echo date ;; *) echo id ;; esac; }
make_input() { # shape
	local dir; dir=$(input_dir "$1")
	[ -f "$dir/.complete" ] && return
	log "generating $1 in $dir"
	rm -rf "$dir" "$dir.tmp"
	case $1 in
	mixed)
		"$BIN" gen --rows "$MIXED_ROWS" --files 4 --seed 1 --out "$dir.tmp" -q
		node "$DUCK/peers.mjs" rewrite "$dir.tmp" "$dir" 122880
		rm -rf "$dir.tmp" ;;
	wide) "$BIN" gen --rows "$WIDE_ROWS" --string-columns 20 --seed 1 --out "$dir" -q ;;
	one) "$BIN" gen --rows "$ONE_ROWS" --row-group-rows "$ONE_ROWS" --seed 1 --out "$dir" -q ;;
	many) "$BIN" gen --rows $((MANY_FILES * MANY_ROWS)) --files "$MANY_FILES" --seed 1 --out "$dir" -q ;;
	flights)
		mkdir -p "$dir"
		cp "$POLARS/node_modules/vega-datasets/data/flights-3m.parquet" "$dir/" ;;
	esac
	touch "$dir/.complete"
}
for s in $SHAPES; do make_input "$s"; done

# --- measurements ----------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+dirty" || true)
TSV=$RESULTS/peers-$commit.tsv
MD=$RESULTS/peers-$commit.md
printf 'shape\ttask\ttool\trun\twall_s\tcpu_s\trss_kib\tbytes\n' >"$TSV"
OUT=$DATA/out
TIMES=$(mktemp)
trap 'rm -f "$TIMES" "$TIMES.err"; rm -rf "$OUT"' EXIT

command_of() { # task tool shape in
	local task=$1 tool=$2 shape=$3 in=$4 key
	key=$(key_of "$shape")
	case $task/$tool in
	split/splitdata) echo "$BIN split $in --out $OUT --seed 42 -q" ;;
	split/polars) echo "node $POLARS/split.mjs $in/*.parquet $key $OUT" ;;
	split/duckdb) echo "node $DUCK/peers.mjs split $in/*.parquet $key $OUT" ;;
	shuffle/splitdata) echo "$BIN shuffle $in --out $OUT --seed 42 -q" ;;
	shuffle/duckdb) echo "node $DUCK/peers.mjs shuffle $in/*.parquet $OUT" ;;
	esac
}
measure() { # shape task tool run
	local shape=$1 task=$2 tool=$3 run=$4 in cmd
	in=$(input_dir "$shape")
	cmd=$(command_of "$task" "$tool" "$shape" "$in")
	rm -rf "$OUT"
	sync
	# cmd is split on words on purpose (no path holds a space), its globs
	# left to the tools (set -f)
	set -f
	# shellcheck disable=SC2086
	if ! /usr/bin/time -f '%e %U %S %M' -o "$TIMES" $cmd >/dev/null 2>"$TIMES.err"; then
		echo "peers.sh: $shape $task $tool failed:" >&2
		cat "$TIMES.err" >&2
		exit 1
	fi
	set +f
	local bytes
	bytes=$(find "$OUT" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	read -r wall user sys rss <"$TIMES"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shape" "$task" "$tool" "$run" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')" "$rss" "$bytes" >>"$TSV"
	printf '   %-8s %-8s %-10s run %d: %6.2f s wall, %6.2f s CPU, %5d MiB, %d bytes\n' "$shape" "$task" "$tool" "$run" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" $((rss / 1024)) "$bytes" >&2
	if [ "$run" = "$RUNS" ]; then # check the last round's output holds every input row
		local want got
		want=$(node "$DUCK/peers.mjs" rows "$in/*.parquet")
		got=$(node "$DUCK/peers.mjs" rows "$OUT/**/*.parquet")
		[ "$want" = "$got" ] || { echo "peers.sh: $shape $task $tool wrote $got rows of $want" >&2; exit 1; }
	fi
}
for run in $(seq 1 "$RUNS"); do
	for shape in $SHAPES; do
		log "round $run of $RUNS: $shape"
		for tool in splitdata polars duckdb; do measure "$shape" split "$tool" "$run"; done
		case " $SHUFFLE_SHAPES " in *" $shape "*)
			for tool in splitdata duckdb; do measure "$shape" shuffle "$tool" "$run"; done ;;
		esac
	done
done

# --- summary ---------------------------------------------------------------------------------
{
	echo "# peers.sh at $commit$dirty, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "RUNS=$RUNS SCALE=$SCALE; rows: mixed $MIXED_ROWS, wide $WIDE_ROWS, one $ONE_ROWS, many $MANY_FILES x $MANY_ROWS, flights 3M;" \
		"$(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3);" \
		"nodejs-polars $(node "$POLARS/split.mjs" --version), DuckDB threads $DUCKDB_THREADS; Node $(node --version)."
	echo "Medians of the runs (peak RSS: the largest); raw: $(basename "$TSV")."
	echo
	awk -F'\t' '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	NR > 1 {
		k = $1 SUBSEP $2 SUBSEP $3
		if (!(k in W)) { order[++nk] = k }
		W[k] = W[k] " " $5; C[k] = C[k] " " $6; B[k] = $8
		if ($7 + 0 > R[k]) R[k] = $7 + 0
	}
	END {
		print "| shape | task | tool | wall [s] | CPU [s] | peak RSS [MiB] | output [MB] |"
		print "|:---|:---|:---|---:|---:|---:|---:|"
		for (i = 1; i <= nk; i++) {
			k = order[i]; split(k, p, SUBSEP)
			w[k] = median(W[k]); c[k] = median(C[k])
			printf "| %s | %s | %s | %.2f | %.2f | %.0f | %.1f |\n", p[1], p[2], p[3], w[k], c[k], R[k] / 1024, B[k] / 1e6
		}
		print ""
		print "| shape | splitdata / Polars wall | goal | splitdata peak RSS [MB] | goal | splitdata bytes / min(Polars, DuckDB) | goal | splitdata / DuckDB wall |"
		print "|:---|---:|:---|---:|:---|---:|:---|---:|"
		for (i = 1; i <= nk; i++) {
			k = order[i]; split(k, p, SUBSEP)
			if (p[2] != "split" || p[3] != "splitdata") continue
			s = p[1]; kp = s SUBSEP "split" SUBSEP "polars"; kd = s SUBSEP "split" SUBSEP "duckdb"
			goal = s == "mixed" ? 0.7 : 0.8
			rw = w[k] / w[kp]; rss = R[k] * 1024 / 1e6
			mb = B[kp] < B[kd] ? B[kp] : B[kd]; rb = B[k] / mb
			printf "| %s | %.2f | <= %.1f %s | %.0f | < 300 %s | %.2f | <= 1.1 %s | %.2f |\n", s, rw, goal, rw <= goal ? "met" : "**not met**",
				rss, rss < 300 ? "met" : "**not met**", rb, rb <= 1.1 ? "met" : "**not met**", w[k] / w[kd]
		}
		first = 1
		for (i = 1; i <= nk; i++) {
			k = order[i]; split(k, p, SUBSEP)
			if (p[2] != "shuffle" || p[3] != "splitdata") continue
			if (first) { print ""; print "| shape | splitdata shuffle / DuckDB ORDER BY random() wall | goal | peak RSS splitdata / DuckDB [MiB] |"; print "|:---|---:|:---|---:|"; first = 0 }
			kd = p[1] SUBSEP "shuffle" SUBSEP "duckdb"; r = w[k] / w[kd]
			printf "| %s | %.2f | <= 0.7 %s | %.0f / %.0f |\n", p[1], r, r <= 0.7 ? "met" : "**not met**", R[k] / 1024, R[kd] / 1024
		}
	}' "$TSV"
} | tee "$MD"
log "wrote $MD and $TSV (git add -f them to commit them)"
