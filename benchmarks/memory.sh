#!/usr/bin/env bash
# Peak RSS of splitdata under --memory, against the promise of
# docs/architecture.md ("Memory"): at most --memory + 64 MiB.
#
# Three inputs, generated here: the gen table (GEN_ROWS rows, default 10M,
# row groups of 122,880 rows), a wide table of 20 string columns
# (WIDE_ROWS, default 2M) and the gen table in ONE row group (ONE_ROWS,
# default 5M). Four jobs on each: split, shuffle, split --stratify and
# split --group (label/user_id; s00/s01 on the wide table) (JOBS), at
# --memory 128MiB, 256MiB and 1GiB (MEMORIES). Peak RSS is /usr/bin/time -v's
# "Maximum resident set size" (Debian package time). Prints a table and
# writes it to benchmarks/results/memory-<commit>.txt. A job whose output
# row groups cannot fit in --memory, even streamed (encoded as their rows
# come), is refused at once ("refused: use --memory N MiB"): the script
# reports it rather than failing, though issue 23 asks for every cell to
# run; any other failure, or a peak above the bound, fails the script.
# Wall times depend on the machine's load; cpu_s is user + system time.
# WORK=DIR KEEP=1 keeps the generated inputs in DIR for the next run; OUT
# names the result file (default memory-<commit>.txt).
#
#   benchmarks/memory.sh                 # the full matrix
#   GEN_ROWS=1000000 WIDE_ROWS=200000 ONE_ROWS=500000 benchmarks/memory.sh
#   INPUTS=wide MEMORIES=256MiB benchmarks/memory.sh   # one row of the matrix
#   INPUTS="gen one" MEMORIES=128MiB JOBS=group benchmarks/memory.sh
set -euo pipefail

cd "$(dirname "$0")/.."
GEN_ROWS=${GEN_ROWS:-10000000}
WIDE_ROWS=${WIDE_ROWS:-2000000}
ONE_ROWS=${ONE_ROWS:-5000000}
MEMORIES=${MEMORIES:-"128MiB 256MiB 1GiB"}
INPUTS=${INPUTS:-"gen wide one"}
JOBS=${JOBS:-"split shuffle stratify group"}
WORKERS=${WORKERS:-2}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/splitdata-memory.XXXXXX")}
KEEP=${KEEP:-0}
if [ "$KEEP" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

[ -x /usr/bin/time ] || { echo "memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+dirty" || true)
go build -o "$WORK/splitdata" ./cmd/splitdata
bin="$WORK/splitdata"

gen() { # name args...
	local name=$1; shift
	[ -d "$WORK/$name" ] || "$bin" gen --out "$WORK/$name" --seed 1 -q "$@"
}
for input in $INPUTS; do
	case $input in
	gen) gen gen --rows "$GEN_ROWS";;
	wide) gen wide --rows "$WIDE_ROWS" --string-columns 20;;
	one) gen one --rows "$ONE_ROWS" --row-group-rows "$ONE_ROWS";;
	*) echo "memory.sh: unknown input $input" >&2; exit 1;;
	esac
done

mib() { echo $(( $1 / 1048576 )); }
bytes() { # 128MiB, 1GiB -> bytes
	case $1 in
	*GiB) echo $(( ${1%GiB} << 30 ));;
	*MiB) echo $(( ${1%MiB} << 20 ));;
	*) echo "memory.sh: size $1: want MiB or GiB" >&2; exit 1;;
	esac
}

out=${OUT:-"benchmarks/results/memory-$commit$dirty.txt"}
{
	echo "# splitdata memory at $commit$dirty, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, --workers $WORKERS"
	echo "# inputs: gen $GEN_ROWS rows (row groups of 122880), wide $WIDE_ROWS rows x 20 strings, one $ONE_ROWS rows in one row group"
	printf '%-5s %-9s %-7s %9s %9s %7s %6s %s\n' input job memory peak_MiB bound_MiB wall_s cpu_s result
} | tee "$out"
fail=0
for input in $INPUTS; do
	strat=label group=user_id
	if [ "$input" = wide ]; then strat=s00 group=s01; fi
	for mem in $MEMORIES; do
		for job in $JOBS; do
			case $job in
			split) args=(split "$WORK/$input");;
			shuffle) args=(shuffle "$WORK/$input");;
			stratify) args=(split "$WORK/$input" --stratify "$strat");;
			group) args=(split "$WORK/$input" --group "$group");;
			esac
			rm -rf "$WORK/out"
			log="$WORK/time.log"
			start=$(date +%s.%N)
			status=0
			env -u GOMEMLIMIT -u GOGC /usr/bin/time -v -o "$log" "$bin" "${args[@]}" --out "$WORK/out" \
				--seed 7 --memory "$mem" --workers "$WORKERS" --temp-dir "$WORK" -q 2>"$WORK/err" || status=$?
			wall=$(echo "$(date +%s.%N) - $start" | bc)
			peak=$(( $(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log") * 1024 ))
			cpu=$(awk -F: '/User time|System time/ {s += $2} END {print s}' "$log")
			bound=$(( $(bytes "$mem") + (64 << 20) ))
			result=pass
			if [ "$status" != 0 ] && grep -q "too large for memory" "$WORK/err"; then
				# Refused at once: the job's output row groups cannot fit.
				result="refused: $(grep -o 'use --memory [0-9]* MiB' "$WORK/err" | head -1)"
			elif [ "$status" != 0 ]; then
				result="exit $status: $(head -c 200 "$WORK/err" | tr '\n' ' ')"
				fail=1
			elif [ "$peak" -gt "$bound" ]; then
				result=FAIL
				fail=1
			fi
			printf '%-5s %-9s %-7s %9d %9d %7.1f %6.1f %s\n' "$input" "$job" "$mem" "$(mib "$peak")" "$(mib "$bound")" "$wall" "$cpu" "$result" | tee -a "$out"
		done
	done
done
echo "wrote $out"
exit $fail
