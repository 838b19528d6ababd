#!/usr/bin/env bash
# test-slurm.sh: a sharded splitdata job on a real one-node Slurm cluster on
# loopback, checked byte for byte against a single-machine split.
#
#   make test-slurm                      # or: scripts/slurm/test-slurm.sh
#   SHARDS="1 2 4" scripts/slurm/test-slurm.sh   # measure several shard counts
#
# As root (a fresh container without systemd is fine), it:
#   1. installs Debian's slurmctld, slurmd, slurm-client and munge when missing;
#   2. starts munged, slurmctld and slurmd by hand with a generated slurm.conf
#      (one node "localhost" on 127.0.0.1 with this machine's CPUs and memory,
#      no cgroups, no accounting), every file under one temporary directory;
#   3. builds bin/splitdata, generates ROWS rows in FILES files, runs
#      `splitdata split` once;
#   4. for each N in SHARDS: `splitdata plan --shards N`, `sbatch --array=0-N-1`
#      of scripts/slurm/shard.sbatch, polls squeue until the tasks are gone
#      (TIMEOUT seconds at most), checks every task COMPLETED, `splitdata
#      merge`, and compares the sha256 of every output file, and the manifest
#      without its "created" line, with the single run;
#   5. prints timings, then PASS or FAIL, and removes everything it started
#      or wrote (daemons, temporary directory), on failure too.
#
# Settings (environment): ROWS (2000000), FILES (4), SHARDS ("4"), SEED (42),
# SPLIT_FLAGS ("--ratios train=0.8,valid=0.1,test=0.1"), TIMEOUT (600 s per
# job), SLURMCTLD_PORT (16817), SLURMD_PORT (16818), KEEP=1 keeps the
# temporary directory for a look after the run, SPLITDATA_BIN uses that
# binary instead of building bin/splitdata.
set -euo pipefail

ROWS=${ROWS:-2000000}
FILES=${FILES:-4}
SHARDS=${SHARDS:-4}
SEED=${SEED:-42}
SPLIT_FLAGS=${SPLIT_FLAGS:---ratios train=0.8,valid=0.1,test=0.1}
TIMEOUT=${TIMEOUT:-600}
SLURMCTLD_PORT=${SLURMCTLD_PORT:-16817}
SLURMD_PORT=${SLURMD_PORT:-16818}
KEEP=${KEEP:-0}

export PATH=$PATH:/usr/sbin:/sbin:/usr/local/go/bin
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${SPLITDATA_BIN:-$root/bin/splitdata}
say() { printf 'test-slurm: %s\n' "$*" >&2; }

# now prints the time in seconds with milliseconds; elapsed A B prints B-A.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- 1. packages --------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	say "FAIL: must run as root (it installs packages and runs slurmd, which starts jobs as their user)"
	exit 1
fi
missing=0
for cmd in munged munge slurmctld slurmd sbatch squeue scontrol sinfo; do
	command -v "$cmd" >/dev/null 2>&1 || missing=1
done
if [ "$missing" = 1 ]; then
	say "installing slurmctld slurmd slurm-client munge"
	export DEBIAN_FRONTEND=noninteractive
	pkgs=(slurmctld slurmd slurm-client munge)
	apt-get install -y -q "${pkgs[@]}" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q "${pkgs[@]}" >/dev/null; }
fi

# --- cleanup, armed before anything is started --------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/splitdata-slurm.XXXXXX")
pids=()
jobs_submitted=()
status=FAIL
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$status" != PASS ]; then
		for f in "$work"/log/*.log "$work"/logs-*/*.out; do
			[ -f "$f" ] || continue
			say "--- last lines of $f"
			tail -n 15 "$f" >&2 || true
		done
	fi
	for j in "${jobs_submitted[@]}"; do
		scancel "$j" >/dev/null 2>&1 || true
	done
	# Daemons in reverse order of start: slurmd (and any slurmstepd it
	# forked), slurmctld, munged.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
	echo "$status"
	if [ "$status" = PASS ]; then exit 0; fi
	exit $((rc == 0 ? 1 : rc))
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
	say "FAIL: $*"
	exit 1
}

# read_ranges PLAN prints, for each shard, the units it owns, the units it
# reads (from the first unit holding a row of its first row group to the
# last unit holding a row of its last), and the input rows it reads: the
# rule of docs/scale-out.md, recomputed from plan.json alone.
read_ranges() {
	tr -d ' \n' <"$1" | awk '
	function num(key,   m) { match($0, "\"" key "\":[0-9]+"); m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 }
	function unit_of(s, row,   u) { for (u = 0; u < nu; u++) if (pre[s, u + 1] > row) return u; return nu }
	{
		rpf = num("rows_per_file"); rgr = num("row_group_rows")
		rest = $0; nu = 0
		while (match(rest, /"rows":[0-9]+,"counts":\[[0-9,]*\]/)) {
			m = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
			split(m, parts, /[\[\]]/); ns = split(parts[2], c, ",")
			r = m; sub(/^"rows":/, "", r); sub(/,.*/, "", r); rows[nu] = r + 0
			for (s = 0; s < ns; s++) cnt[s, nu] = c[s + 1]
			nu++
		}
		match($0, /"shards":\[[0-9,]*\]/); m = substr($0, RSTART + 10, RLENGTH - 11); nk = split(m, st, ",")
		for (s = 0; s < ns; s++) { pre[s, 0] = 0; for (u = 0; u < nu; u++) pre[s, u + 1] = pre[s, u] + cnt[s, u] }
		all = 0; for (u = 0; u < nu; u++) all += rows[u]
		sumread = 0
		for (k = 1; k <= nk; k++) {
			a = st[k]; b = (k < nk) ? st[k + 1] : nu; lo = nu; hi = 0
			for (s = 0; s < ns; s++) {
				total = pre[s, nu]; first = -1
				for (f = 0; f * rpf < total; f++) {
					e = f * rpf + rpf; if (e > total) e = total
					for (from = f * rpf; from < e; from += rgr) {
						to = from + rgr; if (to > e) to = e
						u = unit_of(s, from)
						if (u >= a && u < b) { if (first < 0) first = from; last = to }
					}
				}
				if (first < 0) continue
				u = unit_of(s, first); if (u < lo) lo = u
				u = unit_of(s, last - 1) + 1; if (u > hi) hi = u
			}
			if (lo >= hi) { lo = a; hi = a }
			read = 0; for (u = lo; u < hi; u++) read += rows[u]
			sumread += read
			printf "  shard %d: owns units [%d,%d), reads units [%d,%d) (%d past its range), %d input rows (%.0f%%)\n", k - 1, a, b, lo, hi, (hi > b ? hi - b : 0), read, 100 * read / all
		}
		printf "  all shards read %d input rows for %d: %.2fx\n", sumread, all, sumread / all
	}'
}

# --- 2. munge and slurm --------------------------------------------------------
mkdir -p "$work"/{munge,state,spool,log,data}
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
sock=$work/munge/munge.socket
munged --foreground --force --socket="$sock" --key-file="$work/munge/munge.key" \
	--pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
	--seed-file="$work/munge/munged.seed" >"$work/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.1
done
munge -n -S "$sock" | unmunge -S "$sock" >/dev/null || fail "munged does not answer on $sock"

cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
conf=$work/slurm.conf
cat >"$conf" <<EOF
ClusterName=splitdata
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$work/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
InactiveLimit=0
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
: >"$work/plugstack.conf"
export SLURM_CONF=$conf
slurmctld -D -f "$conf" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$conf" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
say "waiting for node localhost to be idle"
for i in $(seq 120); do
	state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	[ "$i" = 120 ] && fail "node not idle after 60 s (state: ${state:-none})"
	sleep 0.5
done
say "cluster up: $(sinfo -h -o '%P %D nodes, %c CPUs, %m MB, %T')"

# --- 3. build, data, single run ----------------------------------------------
load0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -z "${SPLITDATA_BIN:-}" ]; then
	say "building $bin"
	(cd "$root" && go build -o "$bin" ./cmd/splitdata)
fi
data=$work/data/in
"$bin" gen --rows "$ROWS" --files "$FILES" --out "$data" --seed 1 -q
t0=$(now)
# shellcheck disable=SC2086 # SPLIT_FLAGS is a list of flags
"$bin" split "$data" --out "$work/single" --seed "$SEED" $SPLIT_FLAGS -q
t1=$(now)
single_s=$(elapsed "$t0" "$t1")
t0=$(now)
"$bin" inspect "$data" >/dev/null
t1=$(now)
footers_s=$(elapsed "$t0" "$t1")
t0=$(now)
"$bin" version >/dev/null
t1=$(now)
startup_s=$(elapsed "$t0" "$t1")
(cd "$work/single" && find . -type f ! -name manifest.json | LC_ALL=C sort | xargs sha256sum) >"$work/single.sha256"
nfiles=$(wc -l <"$work/single.sha256")
[ "$nfiles" -gt 0 ] || fail "the single run wrote no files"

# --- 4. sharded runs ----------------------------------------------------------
report=()
for n in $SHARDS; do
	job=$work/job-$n
	logs=$work/logs-$n
	mkdir -p "$logs"
	cpt=$((cpus / n))
	((cpt >= 1)) || cpt=1
	t_start=$(now)
	# shellcheck disable=SC2086
	"$bin" plan "$data" --out "$job" --seed "$SEED" $SPLIT_FLAGS --shards "$n" -q
	t_plan=$(now)
	jobid=$(SPLITDATA=$bin sbatch --parsable --array=0-$((n - 1)) --cpus-per-task="$cpt" \
		--chdir="$work" --output="$logs/task-%a.out" "$root/scripts/slurm/shard.sbatch" "$job/plan.json")
	jobid=${jobid%%;*}
	jobs_submitted+=("$jobid")
	t_submit=$(now)
	say "$n shards: job $jobid submitted (--array=0-$((n - 1)) --cpus-per-task=$cpt)"
	deadline=$((SECONDS + TIMEOUT))
	while :; do
		queued=$(squeue -h -j "$jobid" -o %i) || fail "squeue failed"
		[ -z "$queued" ] && break
		((SECONDS < deadline)) || fail "job $jobid still queued or running after $TIMEOUT s"
		sleep 0.25
	done
	t_done=$(now)
	states=$(scontrol -o show job "$jobid" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ' | sed 's/^ //')
	ok=$(scontrol -o show job "$jobid" | grep -c 'JobState=COMPLETED' || true)
	[ "$ok" = "$n" ] || fail "job $jobid: $ok of $n tasks completed ($states)"
	"$bin" merge "$job" -q
	t_merge=$(now)

	(cd "$job" && find . -type f ! -name manifest.json ! -name plan.json | LC_ALL=C sort | xargs sha256sum) >"$work/job-$n.sha256"
	diff -u "$work/single.sha256" "$work/job-$n.sha256" >&2 || fail "$n shards: output files differ from the single run"
	diff -u <(grep -v '"created"' "$work/single/manifest.json") <(grep -v '"created"' "$job/manifest.json") >&2 ||
		fail "$n shards: manifest differs from the single run's (beyond created)"
	say "$n shards: $nfiles files and the manifest identical to the single run"

	# Per-task timings from the batch script's start/end lines.
	tasks=$(cat "$logs"/task-*.out | awk -v submit="$t_submit" '
		$1 == "task" && $3 == "start" { s[$2] = $4 }
		$1 == "task" && $3 == "end" { e[$2] = $4 }
		END {
			first = -1; last = 0; slow = 0; sum = 0
			for (k in s) {
				d = e[k] - s[k]; sum += d; if (d > slow) slow = d
				if (first < 0 || s[k] < first) first = s[k]
				if (e[k] > last) last = e[k]
				line = line sprintf(" %s@%.2f+%.2f", k, s[k] - submit, d)
			}
			printf "slowest_shard_s=%.2f sum_shards_s=%.2f first_start_s=%.2f last_end_s=%.2f tasks(index@start+duration)=%s", slow, sum, first - submit, last - submit, line
		}')
	total=$(elapsed "$t_start" "$t_merge")
	report+=("shards=$n cpus_per_task=$cpt plan_s=$(elapsed "$t_start" "$t_plan") job_wall_s=$(elapsed "$t_submit" "$t_done") $tasks merge_s=$(elapsed "$t_done" "$t_merge") total_s=$total rows_per_s=$(awk -v r="$ROWS" -v t="$total" 'BEGIN { printf "%.0f", r / t }')")
	units=$(grep -c '"row_group":' "$job/plan.json")
	report+=("shards=$n plan: $units units" "$(read_ranges "$job/plan.json")")
done

# --- 5. report ------------------------------------------------------------------
{
	echo "rows=$ROWS files=$FILES flags=$SPLIT_FLAGS cpus=$cpus mem_mb=$mem_mb"
	echo "slurm: $(sinfo -V) munge: $(munged -V 2>&1 | head -n 1) splitdata: $("$bin" version | head -n 1)"
	echo "load average before: $load0 after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "single split: ${single_s}s, $(awk -v r="$ROWS" -v t="$single_s" 'BEGIN { printf "%.0f", r / t }') rows/s; $nfiles output files"
	echo "process start (splitdata version): ${startup_s}s; footers of every input (splitdata inspect): ${footers_s}s"
	printf '%s\n' "${report[@]}"
} | tee "$work/report.txt"
status=PASS
