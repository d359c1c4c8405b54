#!/usr/bin/env bash
# Benchmarks for `make bench` (which runs `make all` first; this script builds
# nothing).  Every figure is a ratio measured side by side in one run on this
# machine.  The script is a report: it prints PASS/FAIL per target and exits 0
# whatever the figures; it exits non-zero only when it cannot run at all.
#
#   tests/bench/run.sh [BENCH...]          BENCH: inspect diagnose_cost (or diagnose)
#                                          profile top window timerslack warm
#                                          (default: all)
#
# Environment:
#   AGENTUNE=path       binary under test (default build/agentune)
#   GENHOST=path        tree generator (default build/tests/genhost)
#   BENCH_REPEAT=N      timed runs per command, median taken (default 5)
#   BENCH_SIZES="C:I …" CPU:IRQ sizes (default "2:16 64:256 256:1024 1024:4096")
#   BENCH_GROWTH_UNIT   byte (default) or file: what the growth check divides
#                       inspect time by (files grow ~16x from 64 to 1024
#                       CPUs, bytes ~170x: "file" is the stricter check)
#   BENCH_TMPDIR=dir    where trees are generated (default /dev/shm when
#                       writable: a tmpfs keeps disk speed out of the figures)
set -euo pipefail

cd "$(dirname "$0")/../.."

AGENTUNE=${AGENTUNE:-build/agentune}
GENHOST=${GENHOST:-build/tests/genhost}
BENCH_REPEAT=${BENCH_REPEAT:-5}
BENCH_SIZES=${BENCH_SIZES:-"2:16 64:256 256:1024 1024:4096"}
BENCH_GROWTH_UNIT=${BENCH_GROWTH_UNIT:-byte}

WORK=""
cleanup() {
	[[ -z $WORK ]] && return
	# a benchmark stopped while a profile was applied puts the host back
	if [[ -e $WORK/run/journal ]]; then
		AGENTUNE_RUN_DIR=$WORK/run "$AGENTUNE" revert --force >/dev/null 2>&1 || true
	fi
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

# The one scratch directory (removed on exit); benchmarks use subdirectories.
make_workdir() {
	local base=${BENCH_TMPDIR:-}
	if [[ -z $base ]]; then
		if [[ -d /dev/shm && -w /dev/shm ]]; then base=/dev/shm; else base=${TMPDIR:-/tmp}; fi
	fi
	WORK=$(mktemp -d "$base/agentune-bench.XXXXXX")
}

# Nanoseconds; $EPOCHREALTIME (bash 5) costs no fork, so nothing but the
# command lands inside the measured interval.  date +%s%N otherwise.
now_ns() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		local t=${EPOCHREALTIME/[.,]/}
		printf '%s\n' "$((10#$t * 1000))"
	else
		date +%s%N
	fi
}

# Runs "$@" once with stdout to /dev/null; prints its wall time in ns.
# Returns the command's status.
time_ns() {
	local t0 t1 rc=0
	t0=$(now_ns)
	"$@" >/dev/null || rc=$?
	t1=$(now_ns)
	printf '%s\n' "$((t1 - t0))"
	return "$rc"
}

# Median of the numbers on stdin (mean of the two middle ones when even).
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# awk as a calculator: calc 'a / b' a=1 b=2
calc() {
	local expr=$1
	shift
	awk -v OFS= "$@" "BEGIN { print $expr }"
}

require_bins() {
	[[ -x $GENHOST ]] || die "$GENHOST missing (run make all, or set GENHOST=)"
	[[ -x $AGENTUNE ]] || command -v "$AGENTUNE" >/dev/null ||
		die "$AGENTUNE missing (run make all, or set AGENTUNE=)"
}

# ---------------------------------------------------------------------------
# inspect: `agentune inspect --root DIR --json` against `cat` of the very same
# files, on synthetic trees of 2 to 1024 CPUs.  Targets: inspect at most 3x
# cat at every size, and inspect time per byte at 1024 CPUs at most 2x the
# one at 64 CPUs (time grows linearly with the snapshot).

inspect_cmd() {
	"$AGENTUNE" inspect --root "$1" --json
}

# The text report, for comparison (it summarises per-CPU columns).
inspect_text_cmd() {
	"$AGENTUNE" inspect --root "$1"
}

cat_cmd() {
	xargs -0 cat <"$1"
}

# One size: appends "cpus irqs files bytes inspect_ns cat_ns status" to
# INSPECT_ROWS.
bench_inspect_size() {
	local cpus=$1 irqs=$2 dir tree list out files bytes rc=0 t i
	local -a ti=() tc=() tt=()

	dir=$WORK/inspect-$cpus-$irqs
	mkdir -p "$dir"
	tree=$dir/root
	list=$dir/files.list
	out=$dir/inspect.json
	"$GENHOST" --cpus "$cpus" --irqs "$irqs" --seed 1 "$tree" || die "genhost failed ($cpus CPUs)"
	find "$tree" -type f -print0 >"$list"
	files=$(tr -cd '\0' <"$list" | wc -c)
	bytes=$(xargs -0 cat <"$list" | wc -c)

	# Untimed first run of each: warms the page cache and checks the output.
	local status=ok
	"$AGENTUNE" inspect --root "$tree" --json >"$out" 2>"$dir/inspect.err" || rc=$?
	if ((rc != 0)); then
		status="inspect-exit-$rc"
		echo "bench: inspect failed on $cpus CPUs (exit $rc): $(head -c 300 "$dir/inspect.err")" >&2
	elif [[ ! -s $out ]]; then
		status="empty-output"
		echo "bench: inspect --json on $cpus CPUs printed nothing" >&2
	elif command -v jq >/dev/null && ! jq -e . "$out" >/dev/null 2>&1; then
		status="bad-json"
		echo "bench: inspect --json on $cpus CPUs printed invalid JSON" >&2
	fi
	cat_cmd "$list" >/dev/null

	# Interleaved, so both see the same machine state.
	for ((i = 0; i < BENCH_REPEAT; i++)); do
		t=$(time_ns inspect_cmd "$tree" 2>/dev/null) || true
		ti+=("$t")
		t=$(time_ns cat_cmd "$list")
		tc+=("$t")
		t=$(time_ns inspect_text_cmd "$tree" 2>/dev/null) || true
		tt+=("$t")
	done
	INSPECT_ROWS+=("$cpus $irqs $files $bytes $(printf '%s\n' "${ti[@]}" | median) \
$(printf '%s\n' "${tc[@]}" | median) $status $(printf '%s\n' "${tt[@]}" | median)")
	rm -rf -- "$dir"
}

bench_inspect() {
	local row size cpus irqs
	INSPECT_ROWS=()
	echo "## inspect vs cat of the same files (median of $BENCH_REPEAT runs)"
	echo
	echo "binary: $AGENTUNE; trees: $GENHOST, seed 1"
	[[ $AGENTUNE == build/agentune ]] || echo "note: AGENTUNE overridden: figures are for $AGENTUNE"
	echo
	for size in $BENCH_SIZES; do
		cpus=${size%%:*}
		irqs=${size##*:}
		echo "  $cpus CPUs, $irqs IRQs ..." >&2
		bench_inspect_size "$cpus" "$irqs"
	done

	echo "| cpus | irqs | files | bytes | inspect --json ms | cat ms | ratio | inspect (text) ms | text ratio | inspect µs/file | status |"
	echo "|-----:|-----:|------:|------:|------------------:|-------:|------:|------------------:|-----------:|----------------:|--------|"
	local ratio_ok=1 f b ti tc st tt1
	local g_from="" g_to=""
	for row in "${INSPECT_ROWS[@]}"; do
		read -r cpus irqs f b ti tc st tt1 <<<"$row"
		calc '"| " c " | " i " | " f " | " b " | " sprintf("%.2f", ti / 1e6) " | " \
			sprintf("%.2f", tc / 1e6) " | " sprintf("%.2f", tc > 0 ? ti / tc : 0) " | " \
			sprintf("%.2f", tt / 1e6) " | " sprintf("%.2f", tc > 0 ? tt / tc : 0) " | " \
			sprintf("%.1f", f > 0 ? ti / 1e3 / f : 0) " | " st " |"' \
			-v c="$cpus" -v i="$irqs" -v f="$f" -v b="$b" -v ti="$ti" -v tc="$tc" -v st="$st" -v tt="$tt1"
		if [[ $st != ok ]] || [[ $(calc 'ti <= 3 * tc' -v ti="$ti" -v tc="$tc") != 1 ]]; then
			ratio_ok=0
		fi
		[[ $cpus == 64 ]] && g_from=$row
		[[ $cpus == 1024 ]] && g_to=$row
	done
	echo

	if ((ratio_ok)); then
		echo "PASS inspect/cat ratio <= 3 at every size"
	else
		echo "FAIL inspect/cat ratio <= 3 at every size (or inspect failed; see status)"
	fi

	if [[ -z $g_from || -z $g_to ]]; then
		echo "SKIP growth check: needs the 64- and 1024-CPU sizes in BENCH_SIZES"
		return 0
	fi
	local f1 b1 t1 c1 s1 f2 b2 t2 c2 s2 per_byte per_file per_cat growth
	read -r _ _ f1 b1 t1 c1 s1 _ <<<"$g_from"
	read -r _ _ f2 b2 t2 c2 s2 _ <<<"$g_to"
	if [[ $s1 != ok || $s2 != ok ]]; then
		echo "FAIL growth check: inspect did not run cleanly at 64 or 1024 CPUs ($s1, $s2)"
		return 0
	fi
	per_byte=$(calc 'sprintf("%.2f", (t2 / b2) / (t1 / b1))' -v t1="$t1" -v b1="$b1" -v t2="$t2" -v b2="$b2")
	per_file=$(calc 'sprintf("%.2f", (t2 / f2) / (t1 / f1))' -v t1="$t1" -v f1="$f1" -v t2="$t2" -v f2="$f2")
	per_cat=$(calc 'sprintf("%.2f", (t2 / c2) / (t1 / c1))' -v t1="$t1" -v c1="$c1" -v t2="$t2" -v c2="$c2")
	echo "growth 64 -> 1024 CPUs: inspect time per byte x$per_byte, per file x$per_file," \
		"per ms of cat x$per_cat (files x$(calc 'sprintf("%.1f", f2 / f1)' -v f1="$f1" -v f2="$f2")," \
		"bytes x$(calc 'sprintf("%.1f", b2 / b1)' -v b1="$b1" -v b2="$b2"))"
	case $BENCH_GROWTH_UNIT in
	byte) growth=$per_byte ;;
	file) growth=$per_file ;;
	*) die "BENCH_GROWTH_UNIT must be byte or file" ;;
	esac
	if [[ $(calc 'p <= 2' -v p="$growth") == 1 ]]; then
		echo "PASS inspect time per $BENCH_GROWTH_UNIT at 1024 CPUs <= 2x that at 64 CPUs (x$growth)"
	else
		echo "FAIL inspect time per $BENCH_GROWTH_UNIT at 1024 CPUs <= 2x that at 64 CPUs (x$growth)"
	fi
}

# ---------------------------------------------------------------------------
# diagnose_cost: what tracing costs `perf bench sched pipe -T` (two threads
# passing a token through pipes on CPU 1: a wakeup and a context switch per
# message, the events diagnose traces), side by side in one run:
#   none       no tracing
#   empty      empty BPF programs (build/tests/emptytp, tests/bench/emptytp.*)
#              on the very tracepoints diagnose attaches, of the same kind:
#              the floor any tracer of these events pays
#   floor      empty programs on sched_waking and sched_switch alone: the
#              two events of every step here, which any tracer of
#              wakeup->run must see (the others hardly fire in this run)
#   diagnose   agentune diagnose --pid <the benchmark> (its programs run on
#              every CPU, for every task; beyond 40 steps per 10 ms on a CPU
#              it analyses one step in K: the benchmark is sampled)
#   diagnose_full  the same with --no-sampling: every step analysed (what
#              sampling saves; no target applies)
#   bpftrace   the one-stage wakeup->run script below
# Each run starts perf through a shell that waits on a FIFO and then execs
# perf (same pid), so the tracer is attached before the first message.
# Fixed loop count; rounds interleaved (the order rotates).  A tracer's cost
# in a round is against that round's untraced run (paired: this machine's
# speed drifts between rounds more than tracing changes it); the figure is
# the median over the rounds where both runs were quiet (paired_costs).  cost = 1 - throughput(tracer) /
# throughput(none).  Targets: diagnose's cost < 5%, and <= 1.5x the empty
# programs' cost.

BENCH_PIPE_LOOPS=${BENCH_PIPE_LOOPS:-200000}
BENCH_PIPE_ROUNDS=${BENCH_PIPE_ROUNDS:-7}
BENCH_QUIET_PCT=${BENCH_QUIET_PCT:-10}
EMPTYTP=${EMPTYTP:-${B:-build}/tests/emptytp}
# Today's diagnose (schema /1) does not list its tracepoints in its JSON;
# this file holds the ones its programs attach (bpf/diagnose.bpf.c).
DIAG_TP_LIST=tests/bench/diagnose-tracepoints.list

# The one-stage bpftrace equivalent: wakeup -> switch-in of the benchmark's
# threads (filtered by the wakee's comm, in the kernel), as a histogram.
BPFTRACE_WAKE_RUN='tracepoint:sched:sched_wakeup /args->comm == "sched-pipe"/ { @ts[args->pid] = nsecs; }
tracepoint:sched:sched_switch /@ts[args->next_pid]/ { @wake_run = hist(nsecs - @ts[args->next_pid]); delete(@ts[args->next_pid]); }'

# The machine kind: what the figures depend on besides the CPU.
machine_kind() {
	local drv
	drv=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || drv=""
	printf 'cpuidle driver %s, cpufreq %s, %s CPUs, kernel %s' "${drv:-absent}" \
		"$([[ -d /sys/devices/system/cpu/cpu0/cpufreq ]] && echo yes || echo no)" \
		"$(nproc)" "$(uname -r)"
}

# BPF attachments process $1 holds: BPF links (tp_btf, raw_tp) and perf
# events (classic tracepoints, as bpftrace attaches them).
bpf_links_of() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -cE 'bpf_link|perf_event' || true
}

# Waits (up to 60 s) until process $1 holds at least $2 BPF attachments and
# sleeps in a wait of its own (epoll, pause, poll...): attached and set up.
wait_tracer_ready() {
	local i
	for ((i = 0; i < 6000; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		if (($(bpf_links_of "$1") >= $2)) &&
		   [[ $(cat "/proc/$1/wchan" 2>/dev/null) =~ ^(do_epoll_wait|do_sys_poll|do_select|.*sys_pause)$ ]]; then
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# The tracepoints diagnose attaches: .tracepoints[] of its JSON (those
# attached), else the list file.  Sets DIAG_TPS (names), DIAG_TP_SRC and
# DIAG_TP_KIND (tp_btf or raw_tp, from .mode when it says raw_tp).
diag_tracepoints() {
	local js=$WORK/diag-tps.json sp
	sleep 30 &
	sp=$!
	"$AGENTUNE" diagnose --pid "$sp" --duration 1 --json >"$js" 2>"$WORK/diag-tps.err" || true
	kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null || true
	DIAG_TP_KIND=tp_btf
	[[ $(jq -r '.mode // empty' "$js" 2>/dev/null) == raw_tp ]] && DIAG_TP_KIND=raw_tp
	mapfile -t DIAG_TPS < <(jq -r '.tracepoints[]? | select(.attached) | .name' "$js" 2>/dev/null)
	if ((${#DIAG_TPS[@]})); then
		DIAG_TP_SRC="diagnose --json .tracepoints[] (attached)"
	else
		mapfile -t DIAG_TPS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$DIAG_TP_LIST")
		DIAG_TP_SRC="$DIAG_TP_LIST (this diagnose's JSON has no .tracepoints[])"
	fi
}

# Runs the pipe benchmark under tracer $1 (none, empty, diagnose,
# bpftrace); prints "usecs/op links" (links: BPF links the tracer held).
pipe_round() {
	local tracer=$1 fifo=$WORK/go out=$WORK/pipe.out tpid="" links=0 i
	rm -f "$fifo"
	mkfifo "$fifo"
	taskset -c 1 bash -c 'read -r _ <"$1"; exec perf bench sched pipe -T -l "$2"' _ \
		"$fifo" "$BENCH_PIPE_LOOPS" >"$out" 2>&1 &
	local bpid=$!
	case $tracer in
	empty | floor)
		local kind=() tps=("${DIAG_TPS[@]}")
		[[ $DIAG_TP_KIND == raw_tp ]] && kind=(--raw-tp)
		[[ $tracer == floor ]] && tps=(sched_waking sched_switch)
		taskset -c 0 "$EMPTYTP" "${kind[@]}" "${tps[@]}" >"$WORK/$tracer.out" 2>"$WORK/$tracer.err" &
		tpid=$! ;;
	diagnose)
		"$AGENTUNE" diagnose --pid "$bpid" --duration 600 >"$WORK/diag.out" 2>&1 &
		tpid=$! ;;
	diagnose_full)
		"$AGENTUNE" diagnose --pid "$bpid" --duration 600 --no-sampling >"$WORK/diagfull.out" 2>&1 &
		tpid=$! ;;
	bpftrace)
		taskset -c 0 bpftrace -e "$BPFTRACE_WAKE_RUN" >"$WORK/bt.out" 2>&1 &
		tpid=$! ;;
	esac
	if [[ -n $tpid ]]; then
		wait_tracer_ready "$tpid" "$( [[ $tracer == bpftrace ]] && echo 2 || echo 1)" ||
			echo "bench: $tracer did not attach" >&2
		# the empty loader attaches one by one; take the count once it said ready
		if [[ $tracer == empty || $tracer == floor ]]; then
			for ((i = 0; i < 6000; i++)); do
				grep -q ready "$WORK/$tracer.out" 2>/dev/null && break
				sleep 0.01
			done
		fi
		sleep 0.5
		links=$(bpf_links_of "$tpid")
	fi
	echo go >"$fifo"
	wait "$bpid"
	[[ -n $tpid ]] && { kill -INT "$tpid" 2>/dev/null; wait "$tpid" || true; }
	echo "$(awk '/usecs\/op/ { print $1 }' "$out") $links"
}

# The cost of tracer $1 in each round where both its run and the untraced
# run were quiet, against that untraced run (percent, one per line).
# RUNS_OF holds "us us ..." per tracer in round order.  A run is quiet when
# it is within BENCH_QUIET_PCT of the fastest run of the same tracer: this
# machine is shared, and other guests slow it by 30-50% for tens of seconds
# at a time, which one run of a pair may meet and the other not.
paired_costs() {
	paste -d' ' <(printf '%s\n' ${RUNS_OF[none]}) <(printf '%s\n' ${RUNS_OF[$1]}) |
		awk -v q="$BENCH_QUIET_PCT" -v n0="$(fastest_run none)" -v t0="$(fastest_run "$1")" \
			'$1 <= n0 * (1 + q / 100) && $2 <= t0 * (1 + q / 100) {
				printf "%.2f\n", 100 * (1 - $1 / $2) }'
}

# The fastest run of tracer $1.
fastest_run() {
	printf '%s\n' ${RUNS_OF[$1]} | sort -g | head -1
}

# The range (max - min) of the numbers on stdin, as percent of their median $1.
spread_pct() {
	awk -v m="$1" 'NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { printf "%.0f", 100 * (hi - lo) / m }'
}

bench_diagnose_cost() {
	echo "## diagnose cost: perf bench sched pipe -T -l $BENCH_PIPE_LOOPS on CPU 1, $BENCH_PIPE_ROUNDS interleaved rounds"
	echo
	echo "machine: $(machine_kind)"
	echo
	if [[ $(id -u) -ne 0 ]] || ! command -v perf >/dev/null || ! command -v jq >/dev/null || (($(nproc) < 2)); then
		echo "SKIP needs root, perf (linux-perf), jq and 2 CPUs"
		return 0
	fi
	[[ -x $EMPTYTP ]] || die "$EMPTYTP missing (run make all, or set EMPTYTP=)"
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	diag_tracepoints
	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	local -a tracers=(none empty floor diagnose diagnose_full)
	local r i t us l
	command -v bpftrace >/dev/null && tracers+=(bpftrace)
	local -A links=()
	declare -gA RUNS_OF=()
	for ((r = 0; r < BENCH_PIPE_ROUNDS; r++)); do
		echo "  round $((r + 1)) of $BENCH_PIPE_ROUNDS ..." >&2
		for ((i = 0; i < ${#tracers[@]}; i++)); do
			t=${tracers[(i + r) % ${#tracers[@]}]}
			read -r us l < <(pipe_round "$t")
			RUNS_OF[$t]+="$us "
			links[$t]=$l
		done
	done
	echo "tracepoints (${#DIAG_TPS[@]}, $DIAG_TP_KIND) from $DIAG_TP_SRC: ${DIAG_TPS[*]}"
	echo "BPF links held during the last round: empty programs ${links[empty]}, floor ${links[floor]}, diagnose ${links[diagnose]}"
	echo "empty loader: $(cat "$WORK/empty.out"); floor: $(cat "$WORK/floor.out")"
	[[ -s $WORK/empty.err ]] && echo "empty programs not attached: $(tr '\n' ';' <"$WORK/empty.err")"
	echo
	local -A med=() cost=() spread=() cspread=() quiet=()
	local noisy=""
	for t in "${tracers[@]}"; do
		quiet[$t]=$(paired_costs "$t" | wc -l)
		if ((quiet[$t] < 3)); then
			noisy+=" only ${quiet[$t]} of $BENCH_PIPE_ROUNDS rounds of $t were quiet;"
		fi
		med[$t]=$(printf '%s\n' ${RUNS_OF[$t]} | median)
		spread[$t]=$(printf '%s\n' ${RUNS_OF[$t]} | spread_pct "${med[$t]}")
		cost[$t]=$(paired_costs "$t" | median)
		cost[$t]=$(calc 'sprintf("%.1f", c)' -v c="${cost[$t]}")
		cspread[$t]=$(paired_costs "$t" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f to %.1f", v[1], v[NR] }')
		# tracing that makes the benchmark faster is noise, not a figure
		if [[ $(calc 'c < -2' -v c="${cost[$t]}") == 1 ]]; then
			noisy+=" $t runs faster than none (${cost[$t]}%);"
		fi
	done
	echo "load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "costs over the quiet rounds: both runs of the pair within $BENCH_QUIET_PCT% of their tracer's fastest run"
	echo
	echo "| tracing | usecs/op (median) | runs | spread (max-min)/median | cost: median of the quiet rounds' paired costs | quiet rounds | those costs (min to max) |"
	echo "|---|---:|---|---:|---:|---:|---|"
	local label
	for t in "${tracers[@]}"; do
		case $t in
		none) label="none" ;;
		empty) label="empty programs, same ${#DIAG_TPS[@]} tracepoints ($DIAG_TP_KIND)" ;;
		floor) label="empty programs on sched_waking + sched_switch only ($DIAG_TP_KIND)" ;;
		diagnose) label="agentune diagnose" ;;
		diagnose_full) label="agentune diagnose --no-sampling (every step analysed)" ;;
		bpftrace) label="bpftrace, wakeup->run only" ;;
		esac
		echo "| $label | ${med[$t]} | ${RUNS_OF[$t]% } | ${spread[$t]}% | ${cost[$t]}% | ${quiet[$t]} | ${cspread[$t]} |"
	done
	echo
	diagnose_cost_verdict "${cost[diagnose]}" "${cost[empty]}" "${cost[floor]}" "$noisy"
	echo
	echo "diagnose's own cost and sampling lines in the last round:"
	grep -E '^(cost|steps):' "$WORK/diag.out" || echo "(none printed)"
	echo "with --no-sampling:"
	grep -E '^(cost|steps):' "$WORK/diagfull.out" || echo "(none printed)"
}

# PASS/FAIL of the two targets: $1 diagnose's cost, $2 the empty programs',
# $3 the floor's (percent), $4 why the run is too noisy to say ("" none).
# Where the floor alone reaches 5%, no tracer of wakeup->run can cost less
# here: the FAIL line says so.
diagnose_cost_verdict() {
	local d=$1 e=$2 f=$3 noisy=$4 ratio
	ratio=$(calc '(e > 0 ? sprintf("%.2f", d / e) : "inf")' -v d="$d" -v e="$e")
	echo "diagnose costs $d%, the empty programs $e% (on sched_waking + sched_switch alone $f%): diagnose/empty cost ratio $ratio"
	if [[ -n $noisy ]]; then
		echo "INCONCLUSIVE the machine was too noisy for these figures:$noisy run again on a quiet machine (more rounds: BENCH_PIPE_ROUNDS)"
		return 0
	fi
	if [[ $(calc 'c < 5' -v c="$d") == 1 ]]; then
		echo "PASS diagnose costs under 5% of the no-tracing throughput ($d%)"
	elif [[ $(calc '(f >= 5)' -v f="$f") == 1 ]]; then
		echo "FAIL diagnose costs under 5% of the no-tracing throughput ($d%): below the floor of this machine, where empty programs on the two scheduler events alone cost $f%"
	else
		echo "FAIL diagnose costs under 5% of the no-tracing throughput ($d%)"
	fi
	if [[ $ratio != inf ]] && [[ $(calc 'r <= 1.5' -v r="$ratio") == 1 ]]; then
		echo "PASS diagnose costs at most 1.5x the empty programs (x$ratio)"
	else
		echo "FAIL diagnose costs at most 1.5x the empty programs (x$ratio)"
	fi
}

# The previous name of this benchmark.
bench_diagnose() {
	bench_diagnose_cost
}

# ---------------------------------------------------------------------------
# profile: what agent-latency does to a request/response workload.  sockperf
# ping-pong over loopback at a fixed message rate, the server (the "agent")
# pinned to CPU 1 and the client to CPU 0.  Rounds interleave baseline and
# profile (apply to the server's pid, measure, revert), so both see the same
# machine; medians over the rounds.

BENCH_SOCKPERF_MPS=${BENCH_SOCKPERF_MPS:-2000}
BENCH_SOCKPERF_SECONDS=${BENCH_SOCKPERF_SECONDS:-10}
BENCH_SOCKPERF_ROUNDS=${BENCH_SOCKPERF_ROUNDS:-3}
BENCH_PROFILE=${BENCH_PROFILE:-agent-latency}

# One client run; prints "avg p50 p99 p99.9" in microseconds.
sockperf_round() {
	taskset -c 0 sockperf ping-pong -i 127.0.0.1 -p "$1" --mps "$BENCH_SOCKPERF_MPS" \
		-t "$BENCH_SOCKPERF_SECONDS" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | awk '
		/avg-latency=/ { sub(/.*avg-latency=/, ""); avg = $1 + 0 }
		/percentile 50.000 =/ { p50 = $NF }
		/percentile 99.000 =/ { p99 = $NF }
		/percentile 99.900 =/ { p999 = $NF }
		END { if (avg == "" || p999 == "") exit 1; print avg, p50, p99, p999 }'
}

bench_profile() {
	echo "## profile: sockperf ping-pong, loopback, ${BENCH_SOCKPERF_MPS} msg/s, ${BENCH_SOCKPERF_SECONDS} s x ${BENCH_SOCKPERF_ROUNDS} rounds, baseline vs ${BENCH_PROFILE}"
	echo
	if [[ $(id -u) -ne 0 ]] || ! command -v sockperf >/dev/null || (($(nproc) < 2)); then
		echo "SKIP needs root, sockperf and 2 CPUs"
		return 0
	fi
	export AGENTUNE_RUN_DIR=$WORK/run
	local unsafe="" port=11311 r spid
	"$AGENTUNE" apply profile "$BENCH_PROFILE" --cpus 1 --dry-run >/dev/null 2>&1 ||
		unsafe=--allow-unsafe-profile
	taskset -c 1 sockperf server -i 127.0.0.1 -p "$port" >"$WORK/sockperf-server.out" 2>&1 &
	spid=$!
	sleep 1
	local -a base=() prof=()
	for ((r = 0; r < BENCH_SOCKPERF_ROUNDS; r++)); do
		echo "  round $((r + 1)) of $BENCH_SOCKPERF_ROUNDS ..." >&2
		base+=("$(sockperf_round "$port")") || { kill "$spid"; die "sockperf failed"; }
		"$AGENTUNE" apply $unsafe profile "$BENCH_PROFILE" --pid "$spid" >"$WORK/apply.out" 2>&1 ||
			{ cat "$WORK/apply.out"; kill "$spid"; die "apply failed"; }
		prof+=("$(sockperf_round "$port")") || true
		"$AGENTUNE" revert >/dev/null || { kill "$spid"; die "revert failed"; }
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true
	echo "| us (median of rounds) | avg | p50 | p99 | p99.9 |"
	echo "|---|---:|---:|---:|---:|"
	local -a mb=() mp=() k
	for k in 1 2 3 4; do
		mb+=("$(printf '%s\n' "${base[@]}" | awk -v k=$k '{ print $k }' | median)")
		mp+=("$(printf '%s\n' "${prof[@]}" | awk -v k=$k '{ print $k }' | median)")
	done
	echo "| baseline | ${mb[0]} | ${mb[1]} | ${mb[2]} | ${mb[3]} |"
	echo "| $BENCH_PROFILE | ${mp[0]} | ${mp[1]} | ${mp[2]} | ${mp[3]} |"
	printf '| %s / baseline |' "$BENCH_PROFILE"
	for k in 0 1 2 3; do printf ' %s |' "$(calc 'sprintf("%.2f", p / b)' -v p="${mp[$k]}" -v b="${mb[$k]}")"; done
	echo
	echo
	echo "rounds (avg p50 p99 p99.9): baseline: ${base[*]/%/;} profile: ${prof[*]/%/;}"
}

# ---------------------------------------------------------------------------
# top: what `agentune top` costs while it watches.  `top -b -d 1 -n N` runs
# beside the bundled workload (1000 steps/s, consumer on CPU 1) without and
# with --pid; its own CPU time comes from the shell's `time` (user + system,
# the BPF programs' load included), the programs' run time in the kernel from
# top's own header ("programs N us/s", the kernel's BPF statistics sampled by
# the probe), averaged over the frames.

BENCH_TOP_FRAMES=${BENCH_TOP_FRAMES:-30}

# Runs top with the given extra options; prints "cpu_seconds bpf_us_per_s".
top_round() {
	local out=$WORK/top.out t
	t=$( { TIMEFORMAT='%3U %3S'; time "$AGENTUNE" top -b -d 1 -n "$BENCH_TOP_FRAMES" "$@" \
		>"$out" 2>"$WORK/top.err"; } 2>&1 ) || { cat "$WORK/top.err" >&2; die "top failed"; }
	local bpf
	# Every frame, the first one's start-up runs included.
	bpf=$(sed -n 's/.*programs \([0-9.]*\) us\/s.*/\1/p' "$out" | awk '{ s += $1; n++ }
		END { printf "%.1f", n ? s / n : 0 }')
	awk -v t="$t" -v b="$bpf" 'BEGIN { split(t, a, " "); printf "%.3f %s\n", a[1] + a[2], b }'
}

bench_top() {
	echo "## top: CPU cost of agentune top -b -d 1 -n $BENCH_TOP_FRAMES beside the bundled workload"
	echo
	local wl=${B:-build}/agentloop wpid plain pid
	"$wl" --cpu 1 --duration 0 --quiet 2>/dev/null &
	wpid=$!
	sleep 0.5
	echo "  top without --pid ..." >&2
	plain=$(top_round) || { kill "$wpid"; return 1; }
	if [[ $(id -u) -eq 0 && -r /sys/kernel/btf/vmlinux ]]; then
		echo "  top --pid (BPF) ..." >&2
		pid=$(top_round --pid "$wpid") || { kill "$wpid"; return 1; }
	else
		pid=""
	fi
	kill "$wpid"; wait "$wpid" 2>/dev/null || true
	echo "| top | CPU s (user+sys) | ms per refresh | share of one CPU | BPF programs us/s | total share |"
	echo "|---|---:|---:|---:|---:|---:|"
	local row
	for row in "plain $plain" "--pid ${pid:-}"; do
		set -- $row
		[[ -n ${2:-} ]] || { echo "| $1 | SKIP needs root and BTF | | | | |"; continue; }
		calc 'sprintf("| %s | %.3f | %.2f | %.3f%% | %.1f | %.3f%% |", m, c, 1000 * c / n,
			100 * c / n, b, 100 * c / n + b / 1e4)' -v m="$1" -v c="$2" -v n="$BENCH_TOP_FRAMES" -v b="$3"
	done
	echo
	for row in "without --pid $plain" "with --pid ${pid:-}"; do
		set -- $row
		local c=${3:-} b=${4:-0}
		[[ -n $c ]] || continue
		if [[ $(calc 'c / n * 100 + b / 1e4 < 1' -v c="$c" -v n="$BENCH_TOP_FRAMES" -v b="$b") == 1 ]]; then
			echo "PASS $1 $2: under 1% of one CPU at a 1 s refresh, BPF included"
		else
			echo "FAIL $1 $2: over 1% of one CPU at a 1 s refresh, BPF included"
		fi
	done
}

# ---------------------------------------------------------------------------
# window: PM QoS windows against a static constraint and against nothing, on
# an agent that pauses.  Three modes side by side: baseline (nothing
# applied), static (a profile in $WORK: [pmqos] mode = static,
# resume_latency_us = n/a) and window (mode = window, n/a, the window keys at
# their defaults), each applied with --pid AGENT --cpus 1 before a mode's
# cycles and reverted after them.  A cycle is an active phase of
# BENCH_WINDOW_ACTIVE_S then an idle phase of BENCH_WINDOW_IDLE_S; rounds
# run every mode, the order rotating from round to round.  At each phase
# boundary the script reads (builtins, no fork) CPU 1's polling idle time
# (cpuidle state0 "time"), the package energy where RAPL is readable, and
# the controller's voluntary context switches (its wakeups: the counters in
# its status file are written only on window events, so they cannot tell
# an idle phase's wakeups apart).
#  - sockperf: the ping-pong server pinned to CPU 1 is the agent (one server
#    for the whole benchmark); an active phase is one client run on CPU 0,
#    from its "Starting test" to its "Test end".  The client's 2 s pause
#    between its warm-up messages and the test belongs to neither phase.
#  - agentloop --cpu 1 (1000 steps/s, producer on CPU 0): one process per
#    mode and round, paused by its own --pause-ms-every ACTIVE:IDLE, the
#    phase boundaries computed from its ready line plus --start-delay-ms.
#    One process keeps the agent's pid, so the window watches the agent
#    alone (--pid); a process per active phase would need --cpus 1 with no
#    pid, where anything else on CPU 1 during an idle phase (this script
#    included) counts as a step and opens windows that are not the agent's.
#    Its JSON latencies then cover exactly the active phases' steps.  Its
#    main thread (not pinned; it wakes once a second to check the deadline)
#    is moved to CPU 0: on CPU 1 it would be an agent step in every second
#    of an idle phase and open a window each time.
# Environment: BENCH_WINDOW_ROUNDS (1), BENCH_WINDOW_CYCLES (3),
# BENCH_WINDOW_ACTIVE_S (5), BENCH_WINDOW_IDLE_S (5), BENCH_WINDOW_MPS
# (BENCH_SOCKPERF_MPS); the defaults take about 3.5 minutes.

BENCH_WINDOW_ROUNDS=${BENCH_WINDOW_ROUNDS:-1}
BENCH_WINDOW_CYCLES=${BENCH_WINDOW_CYCLES:-3}
BENCH_WINDOW_ACTIVE_S=${BENCH_WINDOW_ACTIVE_S:-5}
BENCH_WINDOW_IDLE_S=${BENCH_WINDOW_IDLE_S:-5}
BENCH_WINDOW_MPS=${BENCH_WINDOW_MPS:-$BENCH_SOCKPERF_MPS}

WIN_CPU=1
WIN_MODES=(baseline static window)
WIN_START_DELAY_MS=1500	# agentloop: time for apply between ready and first step
WIN_POLL=/sys/devices/system/cpu/cpu$WIN_CPU/cpuidle/state0/time
WIN_PMQOS=/sys/devices/system/cpu/cpu$WIN_CPU/power/pm_qos_resume_latency_us
WIN_RAPL=/sys/class/powercap/intel-rapl:0
WIN_PIDS=()		# workloads to kill if the script stops early

# Kills the workloads this benchmark started (by pid), then the usual cleanup.
window_exit() {
	local p
	for p in "${WIN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	cleanup
}

# Drops pid $1 from WIN_PIDS once it has been waited for (its number may be
# reused).
window_forget() {
	local p keep=()
	for p in "${WIN_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	WIN_PIDS=("${keep[@]}")
}

# Microseconds since the epoch into WIN_NOW, without a fork where bash has
# $EPOCHREALTIME.
window_now() {
	if [[ -n ${EPOCHREALTIME:-} ]]; then
		WIN_NOW=${EPOCHREALTIME/[.,]/}
		WIN_NOW=$((10#$WIN_NOW))
	else
		WIN_NOW=$(date +%s%6N)
	fi
}

# Sleeps until the epoch time $1 (us): read -t on a FIFO nobody writes, a
# builtin, so no process of ours runs at a phase boundary.
window_sleep_until() {
	local d s
	window_now
	d=$(($1 - WIN_NOW))
	((d > 0)) || return 0
	printf -v s '%d.%06d' $((d / 1000000)) $((d % 1000000))
	read -r -t "$s" -u "$WIN_SLEEP_FD" _ || true
}

# Voluntary context switches of all the controller's threads (0 without one).
window_ctl_switches() {
	local f k v n=0
	WIN_CTL_SW=0
	[[ -n $WIN_CTL_PID ]] || return 0
	for f in /proc/"$WIN_CTL_PID"/task/*/status; do
		[[ -r $f ]] || continue
		while read -r k v; do
			[[ $k == voluntary_ctxt_switches: ]] && n=$((n + v))
		done <"$f" || true
	done
	WIN_CTL_SW=$n
}

# Reads the counters into WIN_M_* (previous values kept in WIN_P_*).
window_mark() {
	WIN_P_POLL=${WIN_M_POLL:-0} WIN_P_E=${WIN_M_E:-0} WIN_P_SW=${WIN_M_SW:-0}
	read -r WIN_M_POLL <"$WIN_POLL"
	WIN_M_E=0
	[[ -n $WIN_HAVE_RAPL ]] && read -r WIN_M_E <"$WIN_RAPL/energy_uj"
	window_ctl_switches
	WIN_M_SW=$WIN_CTL_SW
	window_now
	WIN_MARK_T=$WIN_NOW
}

# Marks the end of a phase of kind $1 (active|idle); adds its deltas.
window_phase_end() {
	local kind=$1 de
	window_mark
	de=$((WIN_M_E - WIN_P_E))
	((de >= 0)) || de=$((de + WIN_RAPL_MAX))	# the counter wrapped
	WIN_ACC[poll_$kind]=$((${WIN_ACC[poll_$kind]} + WIN_M_POLL - WIN_P_POLL))
	WIN_ACC[e_$kind]=$((${WIN_ACC[e_$kind]} + de))
	WIN_ACC[sw_$kind]=$((${WIN_ACC[sw_$kind]} + WIN_M_SW - WIN_P_SW))
}

window_reset_acc() {
	local k
	for k in poll_active poll_idle e_active e_idle sw_active sw_idle; do WIN_ACC[$k]=0; done
	WIN_CTL_PID=""
	WIN_M_POLL="" WIN_M_E="" WIN_M_SW=""
}

# Applies mode $1's profile to pid $2 (nothing for baseline); sets WIN_CTL_PID.
window_apply() {
	local mode=$1 pid=$2
	WIN_CTL_PID=""
	[[ $mode == baseline ]] && return 0
	"$AGENTUNE" apply $WIN_UNSAFE profile "$WORK/$mode.profile" --pid "$pid" --cpus "$WIN_CPU" \
		>"$WORK/apply.out" 2>&1 || { cat "$WORK/apply.out" >&2; die "apply ($mode) failed"; }
	if [[ $mode == window ]]; then
		WIN_CTL_PID=$("$AGENTUNE" status --json | jq -r '.window_controller.pid // empty')
		[[ $WIN_CTL_PID =~ ^[0-9]+$ ]] || die "window mode applied but no controller in status"
	fi
}

# Before revert: the controller's own counters, per phase figures of the
# round appended to WIN_PHASES[$1 $2], then revert.
window_finish() {
	local wl=$1 mode=$2 c=$BENCH_WINDOW_CYCLES st="- - -"
	if [[ $mode == window ]]; then
		st=$("$AGENTUNE" status --json | jq -r '.window_controller |
			"\(.wakeups) \(.windows_opened) \(.windows_extended) \(.window_ms)"')
		WIN_WINDOW_MS=${st##* }
		st=${st% *}
	fi
	[[ $mode == baseline ]] || "$AGENTUNE" revert >/dev/null || die "revert ($mode) failed"
	# someone else writing the constraint meanwhile would void the comparison
	[[ $(<"$WIN_PMQOS") == "$WIN_PMQOS0" ]] ||
		WIN_NOTES+=("WARNING: after $wl/$mode, $WIN_PMQOS reads $(<"$WIN_PMQOS"), not $WIN_PMQOS0")
	WIN_PHASES["$wl $mode"]+="$(calc 'sprintf("%.1f %.1f %.3f %.3f %.1f %.1f", pa / c / 1e3,
		pi / c / 1e3, ea / c / 1e6, ei / c / 1e6, sa / c, si / c)' -v c="$c" \
		-v pa="${WIN_ACC[poll_active]}" -v pi="${WIN_ACC[poll_idle]}" \
		-v ea="${WIN_ACC[e_active]}" -v ei="${WIN_ACC[e_idle]}" \
		-v sa="${WIN_ACC[sw_active]}" -v si="${WIN_ACC[sw_idle]}") $st;"
}

# One client run on CPU 0 with the active phase's marks taken as it prints
# "Starting test" and "Test end"; appends "avg p50 p99 p99.9" (us) to
# WIN_LAT.  The 2 s the client waits after its warm-up messages, before the
# test, belong to neither phase.
window_sockperf_active() {
	local mode=$1 port=$2 fd cpid line log=$WORK/sockperf-client.out lat ended=0
	exec {fd}< <(exec taskset -c 0 sockperf ping-pong -i 127.0.0.1 -p "$port" \
		--mps "$BENCH_WINDOW_MPS" -t "$BENCH_WINDOW_ACTIVE_S" 2>&1)
	cpid=$!
	WIN_PIDS+=("$cpid")
	: >"$log"
	while read -r -t 60 -u "$fd" line; do
		case $line in
		*"Starting test"*) window_mark ;;
		*"Test end"*)	# then "Test ended", 100 ms later
			((ended)) || window_phase_end active
			ended=1 ;;
		esac
		printf '%s\n' "$line" >>"$log"
	done
	exec {fd}<&-
	wait "$cpid" 2>/dev/null || true
	window_forget "$cpid"
	lat=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
		/avg-latency=/ { sub(/.*avg-latency=/, ""); avg = $1 + 0 }
		/percentile 50.000 =/ { p50 = $NF }
		/percentile 99.000 =/ { p99 = $NF }
		/percentile 99.900 =/ { p999 = $NF }
		/Test end/ { ended = 1 }
		END { if (!ended || avg == "" || p999 == "") exit 1; print avg, p50, p99, p999 }') ||
		{ tail -5 "$log" >&2; die "sockperf client failed ($mode)"; }
	WIN_LAT["sockperf $mode"]+="$lat;"
}

# sockperf, one mode: apply to the server, the cycles, revert.
window_sockperf_mode() {
	local mode=$1 port=$2 spid=$3 k
	window_reset_acc
	window_apply "$mode" "$spid"
	for ((k = 0; k < BENCH_WINDOW_CYCLES; k++)); do
		window_sockperf_active "$mode" "$port"
		window_sleep_until $((WIN_MARK_T + BENCH_WINDOW_IDLE_S * 1000000))
		window_phase_end idle
	done
	window_finish sockperf "$mode"
}

# agentloop, one mode: a process paused by --pause-ms-every, applied to
# between its ready line and its first step, counters at the phase bounds.
window_agentloop_mode() {
	local mode=$1 wl=${B:-build}/agentloop out=$WORK/agentloop.json fifo=$WORK/agentloop.err
	local a=$((BENCH_WINDOW_ACTIVE_S * 1000000)) i=$((BENCH_WINDOW_IDLE_S * 1000000))
	local efd line apid start k
	window_reset_acc
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {efd}<>"$fifo"	# read-write: the workload never blocks or gets EPIPE on it
	"$wl" --cpu "$WIN_CPU" --interval-us 1000 --json \
		--pause-ms-every "$((a / 1000)):$((i / 1000))" --start-delay-ms "$WIN_START_DELAY_MS" \
		--duration "$((BENCH_WINDOW_CYCLES * (BENCH_WINDOW_ACTIVE_S + BENCH_WINDOW_IDLE_S)))" \
		>"$out" 2>"$fifo" &
	apid=$!
	WIN_PIDS+=("$apid")
	read -r -t 10 -u "$efd" line || die "agentloop printed no ready line"
	window_now
	start=$((WIN_NOW + WIN_START_DELAY_MS * 1000))
	[[ $line == *" ready" ]] || die "agentloop: $line"
	taskset -p -c 0 "$apid" >/dev/null	# its main thread only (see above)
	window_apply "$mode" "$apid"
	window_now
	((WIN_NOW < start)) || die "apply ($mode) took longer than the ${WIN_START_DELAY_MS} ms start delay"
	window_sleep_until "$start"
	window_mark
	for ((k = 0; k < BENCH_WINDOW_CYCLES; k++)); do
		window_sleep_until $((start + k * (a + i) + a))
		window_phase_end active
		window_sleep_until $((start + (k + 1) * (a + i)))
		window_phase_end idle
	done
	window_finish agentloop "$mode"
	wait "$apid" || die "agentloop failed ($mode)"
	window_forget "$apid"
	exec {efd}<&-
	WIN_LAT["agentloop $mode"]+="$(jq -r '.wake_latency_us | "\(.mean) \(.p50) \(.p99) \(.p999)"' "$out");"
}

# Median of field $2 over the ";"-separated records in $1.
window_med() {
	tr ';' '\n' <<<"$1" | awk -v k="$2" 'NF { print $k }' | median
}

# The table and the two checks of workload $1.
window_report() {
	local wl=$1 mode k lat=() ph=() st
	local -A avg=() idle=()
	echo "### $wl"
	echo
	echo "| mode | avg µs | p50 µs | p99 µs | p99.9 µs | POLL ms / active phase | POLL ms / idle phase | pkg J / active phase | pkg J / idle phase | controller wakeups / active phase | / idle phase | controller wakeups, windows opened (+ extended) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for mode in "${WIN_MODES[@]}"; do
		lat=() ph=()
		for k in 1 2 3 4; do
			lat+=("$(printf '%.1f' "$(window_med "${WIN_LAT[$wl $mode]}" "$k")")")
		done
		for k in 1 2 3 4 5 6; do ph+=("$(window_med "${WIN_PHASES[$wl $mode]}" "$k")"); done
		avg[$mode]=${lat[0]}
		idle[$mode]=${ph[1]}
		if [[ -z $WIN_HAVE_RAPL ]]; then ph[2]=unavailable ph[3]=unavailable; fi
		if [[ $mode == window ]]; then
			st=$(window_med "${WIN_PHASES[$wl $mode]}" 7)
			st="$st, $(window_med "${WIN_PHASES[$wl $mode]}" 8) (+ $(window_med "${WIN_PHASES[$wl $mode]}" 9))"
		else
			ph[4]=- ph[5]=- st=-
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$mode" \
			"${lat[@]}" "${ph[@]}" "$st"
	done
	echo
	echo "rounds (avg p50 p99 p99.9 per active run or process):"
	for mode in "${WIN_MODES[@]}"; do echo "  $mode: ${WIN_LAT[$wl $mode]}"; done
	echo
	local share red
	red=$(calc 'b - s' -v b="${avg[baseline]}" -v s="${avg[static]}")
	if [[ $(calc '(r > 0)' -v r="$red") == 1 ]]; then
		share=$(calc 'sprintf("%.0f", 100 * (b - w) / r)' -v b="${avg[baseline]}" \
			-v w="${avg[window]}" -v r="$red")
		share="window gets ${share}% of static's average-latency reduction"
	else
		share="static does not lower the average here, so there is no reduction to share"
	fi
	if [[ $(calc '(b - w >= 0.9 * (b - s))' -v b="${avg[baseline]}" -v w="${avg[window]}" \
		-v s="${avg[static]}") == 1 ]]; then
		echo -n "PASS"
	else
		echo -n "FAIL"
	fi
	echo " $wl latency: $share (avg µs: baseline ${avg[baseline]}, static ${avg[static]}, window ${avg[window]}; target >= 90%)"
	share=$(calc '(s > 0 ? sprintf("%.1f", 100 * w / s) : "inf")' -v w="${idle[window]}" -v s="${idle[static]}")
	if [[ $(calc '(w < 0.1 * s)' -v w="${idle[window]}" -v s="${idle[static]}") == 1 ]]; then
		echo -n "PASS"
	else
		echo -n "FAIL"
	fi
	echo " $wl energy: window's POLL time in idle phases is ${share}% of static's (${idle[window]} vs ${idle[static]} ms per phase; target < 10%)"
	echo
}

bench_window() {
	local c=$BENCH_WINDOW_CYCLES a=$BENCH_WINDOW_ACTIVE_S i=$BENCH_WINDOW_IDLE_S
	echo "## window: PM QoS window vs static n/a vs baseline on CPU $WIN_CPU, $c cycles of ${a} s active + ${i} s idle per mode, $BENCH_WINDOW_ROUNDS round(s)"
	echo
	local n
	for n in BENCH_WINDOW_ROUNDS BENCH_WINDOW_CYCLES BENCH_WINDOW_ACTIVE_S BENCH_WINDOW_IDLE_S BENCH_WINDOW_MPS; do
		[[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer"
	done
	if [[ $(id -u) -ne 0 ]] || ! command -v sockperf >/dev/null || ! command -v jq >/dev/null ||
		(($(nproc) < 2)); then
		echo "SKIP needs root, sockperf, jq and 2 CPUs"
		return 0
	fi
	if [[ ! -r $WIN_POLL || ! -w $WIN_PMQOS ]]; then
		echo "SKIP needs $WIN_POLL and a writable $WIN_PMQOS"
		return 0
	fi
	WIN_PMQOS0=$(<"$WIN_PMQOS")
	if [[ $WIN_PMQOS0 == n/a ]]; then
		echo "SKIP CPU $WIN_CPU already holds n/a: baseline would be static"
		return 0
	fi
	if [[ ! -r /sys/kernel/btf/vmlinux ]]; then
		echo "SKIP the window controller needs BTF (/sys/kernel/btf/vmlinux)"
		return 0
	fi
	export AGENTUNE_RUN_DIR=$WORK/run
	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	WIN_HAVE_RAPL="" WIN_RAPL_MAX=0
	if [[ -r $WIN_RAPL/energy_uj ]] && read -r WIN_RAPL_MAX <"$WIN_RAPL/max_energy_range_uj" 2>/dev/null; then
		WIN_HAVE_RAPL=1
	fi
	local mode
	for mode in static window; do
		printf '[main]\nsummary = bench: %s n/a\n[pmqos]\nmode = %s\nresume_latency_us = n/a\n' \
			"$mode" "$mode" >"$WORK/$mode.profile"
	done
	WIN_UNSAFE=""
	"$AGENTUNE" apply profile "$WORK/window.profile" --cpus "$WIN_CPU" --dry-run >/dev/null 2>&1 ||
		WIN_UNSAFE=--allow-unsafe-profile
	declare -gA WIN_LAT=() WIN_PHASES=() WIN_ACC=()
	WIN_PIDS=() WIN_NOTES=()
	rm -f "$WORK/sleep.fifo"
	mkfifo "$WORK/sleep.fifo"
	exec {WIN_SLEEP_FD}<>"$WORK/sleep.fifo"
	trap window_exit EXIT

	local port=11312 spid r m
	taskset -c "$WIN_CPU" sockperf server -i 127.0.0.1 -p "$port" >"$WORK/sockperf-server.out" 2>&1 &
	spid=$!
	WIN_PIDS+=("$spid")
	sleep 1
	kill -0 "$spid" 2>/dev/null || die "sockperf server did not start: $(head -c 300 "$WORK/sockperf-server.out")"
	for ((r = 0; r < BENCH_WINDOW_ROUNDS; r++)); do
		for ((m = 0; m < 3; m++)); do
			mode=${WIN_MODES[(m + r) % 3]}
			echo "  round $((r + 1)) of $BENCH_WINDOW_ROUNDS: sockperf, $mode ..." >&2
			window_sockperf_mode "$mode" "$port" "$spid"
		done
		for ((m = 0; m < 3; m++)); do
			mode=${WIN_MODES[(m + r) % 3]}
			echo "  round $((r + 1)) of $BENCH_WINDOW_ROUNDS: agentloop, $mode ..." >&2
			window_agentloop_mode "$mode"
		done
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true
	WIN_PIDS=()
	trap cleanup EXIT
	exec {WIN_SLEEP_FD}<&-

	echo "Agent CPU $WIN_CPU; static and window applied with --pid AGENT --cpus $WIN_CPU; the window keys at their defaults (window_ms ${WIN_WINDOW_MS:-?})."
	echo "sockperf: server on CPU $WIN_CPU, client on CPU 0, $BENCH_WINDOW_MPS msg/s, one client run per active phase (its test, from \"Starting test\" to \"Test end\"); latency = median over the runs."
	echo "agentloop: one process per mode and round (--cpu $WIN_CPU, 1000 steps/s, --pause-ms-every $((a * 1000)):$((i * 1000))); latency = its wake latency, median over rounds."
	echo "POLL = CPU $WIN_CPU's cpuidle state0 time; energy: $([[ -n $WIN_HAVE_RAPL ]] && echo "RAPL $WIN_RAPL (package)" || echo "RAPL unavailable ($WIN_RAPL/energy_uj not readable)")."
	echo "Per-phase figures are means over the $c phases of a round, then medians over rounds; controller wakeups are its voluntary context switches; the last column is its status before revert."
	echo "Load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on CPU 1 takes idle time from every mode)."
	((${#WIN_NOTES[@]} == 0)) || printf '%s\n' "${WIN_NOTES[@]}"
	echo
	window_report sockperf
	window_report agentloop
}

# ---------------------------------------------------------------------------
# warm: issue 14's evaluation matrix.  Baseline against each profile of
# BENCH_WARM_PROFILES (default: the shipped agent-latency, and the bench's
# own warm-static and warm-window in tests/bench/profiles/, which name the
# method: `[pmqos] method = auto`), each applied with --pid AGENT --cpus 1:
#  (a) the bundled workload (agentloop --cpu 1, 1000 steps/s): one
#      `agentune evaluate PROFILE --json` per profile on one process, its
#      rounds interleaving baseline and profile phases; wake->run p50;
#  (b) the sockperf server as the agent (CPU 1; client on CPU 0) and
#  (c) the sockperf client as the agent (CPU 1; server on CPU 0): rounds
#      of one client run per mode (baseline and each profile, the order
#      rotating), the profile applied before the run and reverted after;
#      the client's average round trip.  A profile's figure is the median
#      over the rounds of its ratio to the baseline run of the same round
#      (paired: the rounds' baselines drift by more than the effects, 25-41
#      us between rounds on the 2-vCPU VM), with a distribution-free
#      confidence interval of that median (order statistics, >= 90%): a
#      target is PASS when the whole interval meets it, FAIL when none of
#      it does, INCONCLUSIVE otherwise;
#  (d) the warm cost while the agent pauses: `agentune evaluate` on a
#      stopped agentloop (SIGSTOP), the controller's CPU time (its poll
#      threads included) per idle phase.
# No poll thread may exist in a baseline phase (one left from the previous
# profile phase would warm the baseline): every baseline client run checks
# before and after, and a watcher samples the machine's threads every 20 ms
# through the evaluate runs; a poll thread while no controller runs (no
# window.pid) is reported as a FAIL.
# A profile file whose `method` key this build does not know is run from a
# copy without that line (today's PM QoS constraint), and the report says so.
# Environment: BENCH_WARM_ROUNDS (5, evaluate's rounds), BENCH_WARM_SP_ROUNDS
# (8, sockperf rounds), BENCH_WARM_SECONDS (3, per phase or client run),
# BENCH_WARM_IDLE_S (3), BENCH_WARM_PROFILES, BENCH_WARM_MPS
# (BENCH_SOCKPERF_MPS).  The defaults take about 9 minutes.

BENCH_WARM_ROUNDS=${BENCH_WARM_ROUNDS:-5}
BENCH_WARM_SP_ROUNDS=${BENCH_WARM_SP_ROUNDS:-8}
BENCH_WARM_SECONDS=${BENCH_WARM_SECONDS:-3}
BENCH_WARM_IDLE_S=${BENCH_WARM_IDLE_S:-3}
BENCH_WARM_PROFILES=${BENCH_WARM_PROFILES:-"agent-latency warm-static warm-window"}
BENCH_WARM_MPS=${BENCH_WARM_MPS:-$BENCH_SOCKPERF_MPS}
WARM_CPU=1
WARM_PIDS=()

warm_exit() {
	local p
	for p in "${WARM_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
	cleanup
}

# The profile argument for name $1 (a shipped name, or a file in
# tests/bench/profiles/): a file's copy without `method` when this build
# does not know the key (noted in WARM_NOTES).
warm_profile_arg() {
	local n=$1 f=tests/bench/profiles/$1.profile err
	if [[ ! -f $f ]]; then
		printf '%s\n' "$n"
		return
	fi
	if ! err=$("$AGENTUNE" apply --allow-unsafe-profile --dry-run --cpus "$WARM_CPU" "$f" 2>&1 >/dev/null) &&
	   [[ $err == *"method: unknown key"* ]]; then
		grep -v '^[[:space:]]*method[[:space:]]*=' "$f" >"$WORK/$n.profile"
		f=$WORK/$n.profile
	fi
	printf '%s\n' "$f"
}

# CPU seconds (user + system, all threads) of the window controller now; 0
# when none runs.
warm_ctl_cpu() {
	local p _
	[[ -r $AGENTUNE_RUN_DIR/window.pid ]] || { echo 0; return; }
	read -r p _ <"$AGENTUNE_RUN_DIR/window.pid"
	awk -v hz="$(getconf CLK_TCK)" '{ s = $0; sub(/.*\) /, "", s); split(s, a, " ");
		printf "%.3f\n", (a[12] + a[13]) / hz }' "/proc/$p/stat" 2>/dev/null || echo 0
}

# Threads of the machine named poll/N (only a controller's poll threads).
warm_poll_threads() {
	ps -eLo comm= | grep -c '^poll/[0-9]' || true
}

# Nothing may warm a baseline phase: no controller running and no poll
# thread anywhere; a breach is recorded in WARM_LEAK ($1 says where).
warm_check_baseline() {
	local n
	n=$(warm_poll_threads)
	if [[ -e $AGENTUNE_RUN_DIR/window.pid ]] || ((n > 0)); then
		WARM_LEAK+=("$1: $n poll threads$([[ -e $AGENTUNE_RUN_DIR/window.pid ]] && echo ", a controller running")")
	fi
}

# Background, on CPU 0, through the evaluate runs: every 50 ms, the poll
# threads of the last controller seen (window.pid) once no controller runs
# any more -- a thread that outlived its controller's revert, warming the
# next baseline phase: one line per sighting in $1.  And CPU $WARM_CPU's
# busy and total ticks (/proc/stat) of each 50 ms with no controller at
# either end (a baseline phase, or the gaps around it), "B busy total", and
# "P" for the others, in $2: other work on the agent CPU in a baseline
# phase (a spinner of another job) warms it too.  Only reads of small
# files and builtins: the watcher must not load the machine.
warm_watch() {
	local out=$1 load=$2 last="" pid _ t c line b0=-1 t0 b1 t1 was=P now
	while :; do
		now=P
		if [[ -r $AGENTUNE_RUN_DIR/window.pid ]]; then
			read -r pid _ <"$AGENTUNE_RUN_DIR/window.pid" 2>/dev/null && last=$pid
		else
			now=B
			if [[ -n $last && -d /proc/$last/task ]]; then
				for t in /proc/"$last"/task/*/comm; do
					read -r c 2>/dev/null <"$t" || continue
					[[ $c == poll/* && ! -e $AGENTUNE_RUN_DIR/window.pid ]] &&
						echo "$(date +%T.%N) pid $last $c" >>"$out"
				done
			fi
		fi
		while read -r line; do
			[[ $line == "cpu$WARM_CPU "* ]] || continue
			set -- $line
			t1=$(($2 + $3 + $4 + $5 + $6 + $7 + $8 + $9)) b1=$((t1 - $5 - $6))
			break
		done </proc/stat
		if ((b0 >= 0)); then
			if [[ $was == B && $now == B ]]; then echo "B $((b1 - b0)) $((t1 - t0))"; else echo P; fi >>"$load"
		fi
		b0=$b1 t0=$t1 was=$now
		sleep 0.05
	done
}

# The watcher's load file $1 -> "busy% max%": CPU $WARM_CPU's busy share
# over all baseline time, and the largest over one run of consecutive
# baseline samples (about one baseline phase).
warm_baseline_load() {
	awk '$1 == "B" { b += $2; t += $3; rb += $2; rt += $3; next }
		{ if (rt >= 50 && 100 * rb / rt > mx) mx = 100 * rb / rt; rb = rt = 0 }
		END { if (rt >= 50 && 100 * rb / rt > mx) mx = 100 * rb / rt
			if (t) printf "%.0f %.0f\n", 100 * b / t, mx; else print "nan nan" }' "$1"
}

# CPU $WARM_CPU's "busy total" ticks from /proc/stat (busy: all but idle
# and iowait).
warm_cpu_ticks() {
	awk -v c="cpu$WARM_CPU" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Run time (ns) of process $1, every thread (schedstat); 0 when gone.
warm_run_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# sockperf client output on stdin -> its average round trip (us).
warm_sockperf_avg() {
	sed 's/\x1b\[[0-9;]*m//g' | awk '/avg-latency=/ { sub(/.*avg-latency=/, ""); avg = $1 + 0 }
		END { if (avg == "") exit 1; print avg }'
}

# One sockperf client run with mode $2 applied to the agent of role $1
# (server: pid $4; client: the client itself); appends "avg ctl_cpu_s" to
# WARM_SP["$1 $2"].  The profile is applied before the client sends its
# first message and reverted after its last, so apply's own work (IRQ
# moves, the controller's start) is outside the measured run: the client is
# started as a shell waiting on a FIFO that then execs sockperf (same pid,
# the pid apply is given).
warm_sockperf_run() {
	local role=$1 mode=$2 port=$3 spid=$4 cpid avg c0=0 c1=0 log=$WORK/warm-client.out
	local ccpu=0 agent=$spid go=$WORK/warm-go k0 k1 a0 a1
	[[ $role == client ]] && ccpu=$WARM_CPU
	rm -f "$go" && mkfifo "$go"
	taskset -c "$ccpu" sh -c 'read _ <"$1"; shift; exec "$@"' sh "$go" \
		sockperf ping-pong -i 127.0.0.1 -p "$port" --mps "$BENCH_WARM_MPS" \
		-t "$BENCH_WARM_SECONDS" >"$log" 2>&1 &
	cpid=$!
	WARM_PIDS+=("$cpid")
	[[ $role == client ]] && agent=$cpid
	[[ $mode == baseline ]] && warm_check_baseline "sockperf $role, baseline, before the run"
	if [[ $mode != baseline ]]; then
		"$AGENTUNE" apply $WARM_UNSAFE profile "${WARM_ARG[$mode]}" --pid "$agent" --cpus "$WARM_CPU" \
			>"$WORK/apply.out" 2>&1 || { cat "$WORK/apply.out" >&2; echo go >"$go"; die "apply $mode ($role) failed"; }
		c0=$(warm_ctl_cpu)
	fi
	k0=$(warm_cpu_ticks) a0=$(warm_run_ns "$agent")
	echo go >"$go"
	if [[ $role == client ]]; then
		# the client's own run time, read just before it ends
		sleep "$BENCH_WARM_SECONDS"
		while kill -0 "$cpid" 2>/dev/null && ! grep -q 'Test end' "$log" 2>/dev/null; do sleep 0.05; done
		a1=$(warm_run_ns "$agent") k1=$(warm_cpu_ticks)
		wait "$cpid" || true
	else
		wait "$cpid" || true
		a1=$(warm_run_ns "$agent") k1=$(warm_cpu_ticks)
	fi
	((a1 >= a0)) || a1=$a0	# gone before the read: its time counts as other work
	[[ $mode == baseline ]] && warm_check_baseline "sockperf $role, baseline, after the run"
	if [[ $mode != baseline ]]; then
		c1=$(warm_ctl_cpu)
		"$AGENTUNE" revert >/dev/null || die "revert $mode ($role) failed"
	fi
	avg=$(warm_sockperf_avg <"$log") || { tail -5 "$log" >&2; die "sockperf client failed ($role, $mode)"; }
	# "avg controller_cpu_s busy% other%": busy% = CPU $WARM_CPU's busy
	# share (the agent's own time and a poll thread's included); other% =
	# what neither the agent nor the controller ran there (another job's
	# work, interrupts), which disturbs the round
	WARM_SP["$role $mode"]+="$avg $(calc 'sprintf("%.3f", b - a)' -v a="$c0" -v b="$c1") $(awk -v a="$k0" -v b="$k1" \
		-v ag="$((a1 - a0))" -v ctl="$(calc 'b - a' -v a="$c0" -v b="$c1")" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; busy = y[1] - x[1]
		o = t > 0 ? 100 * (busy - ag / 1e9 * hz - ctl * hz) / t : 0
		printf "%.0f %.0f", (t > 0 ? 100 * busy / t : 0), (o < 0 ? 0 : o) }');"
}

# (b) or (c): rounds of every mode, the order rotating.
warm_sockperf() {
	local role=$1 port=$2 spid r m n=${#WARM_MODES[@]} scpu=$WARM_CPU
	[[ $role == client ]] && scpu=0
	taskset -c "$scpu" sockperf server -i 127.0.0.1 -p "$port" >"$WORK/warm-server.out" 2>&1 &
	spid=$!
	WARM_PIDS+=("$spid")
	sleep 1
	kill -0 "$spid" 2>/dev/null || die "sockperf server did not start"
	for ((r = 0; r < BENCH_WARM_SP_ROUNDS; r++)); do
		for ((m = 0; m < n; m++)); do
			local mode=${WARM_MODES[(m + r) % n]}
			echo "  sockperf $role as the agent, round $((r + 1)) of $BENCH_WARM_SP_ROUNDS: $mode ..." >&2
			warm_sockperf_run "$role" "$mode" "$port" "$spid"
		done
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true
}

# Field $2 of the ";"-separated records $1: "median (min-max)".
warm_med() {
	local v
	v=$(tr ';' '\n' <<<"$1" | awk -v k="$2" 'NF { print $k }')
	printf '%s (%s-%s)' "$(median <<<"$v")" "$(sort -n <<<"$v" | head -1)" "$(sort -n <<<"$v" | tail -1)"
}

# Ratios on stdin, one a line -> "median lo hi coverage": their median and
# a distribution-free confidence interval of it, [x(k), x(n+1-k)] of the
# sorted values with k the largest whose coverage, 1 - 2 P(Bin(n, 1/2) <
# k), is still >= 90% (k = 1, the whole range, when n is too small for 90%).
warm_median_ci() {
	sort -g | awk '{ v[NR] = $1 } END {
		n = NR
		if (n == 0) { print "nan nan nan 0"; exit }
		med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		p = 0.5 ^ n; cum = p; k = 1; cov = 1 - 2 * cum
		for (j = 2; j <= n / 2; j++) {
			p = p * (n - j + 2) / (j - 1)
			cum += p
			if (1 - 2 * cum < 0.9) break
			k = j; cov = 1 - 2 * cum
		}
		printf "%.2f %.2f %.2f %.3f\n", med, v[k], v[n + 1 - k], cov }'
}

# Field $2 of the records of "$1 $3" paired with the baseline of the same
# round: one ratio a line.
warm_paired() {
	paste -d' ' <(tr ';' '\n' <<<"${WARM_SP[$1 baseline]}" | awk 'NF { print $1 }') \
		<(tr ';' '\n' <<<"${WARM_SP[$1 $2]}" | awk 'NF { print $1 }') |
		awk 'NF == 2 && $1 > 0 { printf "%.4f\n", $2 / $1 }'
}

warm_sockperf_table() {
	local role=$1 mode ci cpu
	echo "### ($2) sockperf $role as the agent: average round trip, ${BENCH_WARM_MPS} msg/s, ${BENCH_WARM_SECONDS} s per client run, $BENCH_WARM_SP_ROUNDS rounds"
	echo
	echo "| mode | avg µs, median (min-max) | / baseline of the same round: median [interval] | rounds' ratios | controller CPU s per run | CPU $WARM_CPU busy %, median (min-max) | other work on CPU $WARM_CPU %, median (min-max) |"
	echo "|---|---:|---:|---|---:|---:|---:|"
	for mode in "${WARM_MODES[@]}"; do
		cpu=$(tr ';' '\n' <<<"${WARM_SP[$role $mode]}" | awk 'NF { print $2 }' | median)
		if [[ $mode == baseline ]]; then
			printf '| %s | %s | - | - | %s | %s | %s |\n' "$mode" "$(warm_med "${WARM_SP[$role $mode]}" 1)" "$cpu" \
				"$(warm_med "${WARM_SP[$role $mode]}" 3)" "$(warm_med "${WARM_SP[$role $mode]}" 4)"
			continue
		fi
		ci=$(warm_paired "$role" "$mode" | warm_median_ci)
		WARM_CI["$role $mode"]=$ci
		WARM_RATIO["$role $mode"]=${ci%% *}
		printf '| %s | %s | %s [%s-%s, %s%%] | %s | %s | %s | %s |\n' "$mode" "$(warm_med "${WARM_SP[$role $mode]}" 1)" \
			$(awk '{ printf "%s %s %s %.0f", $1, $2, $3, $4 * 100 }' <<<"$ci") \
			"$(warm_paired "$role" "$mode" | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }')" "$cpu" \
			"$(warm_med "${WARM_SP[$role $mode]}" 3)" "$(warm_med "${WARM_SP[$role $mode]}" 4)"
	done
	echo
}

# The sockperf verdict for "ratio <= $2" from "median lo hi coverage" $1:
# PASS when the whole interval meets the target, FAIL when none of it does,
# INCONCLUSIVE when the target lies inside it; $3 names what.
warm_ci_verdict() {
	local med lo hi cov v
	read -r med lo hi cov <<<"$1"
	if ! [[ $lo =~ ^[0-9.]+$ && $hi =~ ^[0-9.]+$ ]]; then
		echo "FAIL $3 (not measured)"
		return
	fi
	if [[ $(calc '(h <= t)' -v h="$hi" -v t="$2") == 1 ]]; then v=PASS
	elif [[ $(calc '(l > t)' -v l="$lo" -v t="$2") == 1 ]]; then v=FAIL
	else v=INCONCLUSIVE
	fi
	echo "$v $3: ${med}x baseline, median of the rounds' ratios; $(calc 'sprintf("%.0f", 100 * c)' -v c="$cov")% interval ${lo}-${hi}x (target <= $2)"
}

# (a): evaluate per profile on one agentloop; (d): on it stopped.
warm_agentloop() {
	local wl=${B:-build}/agentloop apid wpid mode
	"$wl" --cpu "$WARM_CPU" --interval-us 1000 --duration 0 --quiet >/dev/null 2>&1 &
	apid=$!
	WARM_PIDS+=("$apid")
	: >"$WORK/warm-watch.out"
	: >"$WORK/warm-load.out"
	taskset -c 0 bash -c "$(declare -f warm_watch); WARM_CPU=$WARM_CPU AGENTUNE_RUN_DIR='$AGENTUNE_RUN_DIR' warm_watch '$WORK/warm-watch.out' '$WORK/warm-load.out'" &
	wpid=$!
	WARM_PIDS+=("$wpid")
	sleep 0.5
	for mode in "${WARM_MODES[@]:1}"; do
		echo "  agentloop, evaluate $mode ($BENCH_WARM_ROUNDS rounds x $BENCH_WARM_SECONDS s) ..." >&2
		"$AGENTUNE" evaluate $WARM_UNSAFE "${WARM_ARG[$mode]}" --pid "$apid" --cpus "$WARM_CPU" \
			--rounds "$BENCH_WARM_ROUNDS" --duration "$BENCH_WARM_SECONDS" --json \
			>"$WORK/warm-eval-$mode.json" 2>"$WORK/warm-eval.err" ||
			{ cat "$WORK/warm-eval.err" >&2; die "evaluate $mode failed"; }
	done
	kill -STOP "$apid"
	for mode in "${WARM_MODES[@]:1}"; do
		echo "  agentloop stopped, evaluate $mode (1 round x $BENCH_WARM_IDLE_S s) ..." >&2
		"$AGENTUNE" evaluate $WARM_UNSAFE "${WARM_ARG[$mode]}" --pid "$apid" --cpus "$WARM_CPU" \
			--rounds 1 --duration "$BENCH_WARM_IDLE_S" --json \
			>"$WORK/warm-idle-$mode.json" 2>"$WORK/warm-eval.err" ||
			{ cat "$WORK/warm-eval.err" >&2; kill -CONT "$apid"; die "evaluate $mode (idle) failed"; }
	done
	kill -CONT "$apid"
	kill "$apid" "$wpid"; wait "$apid" "$wpid" 2>/dev/null || true
	if [[ -s $WORK/warm-watch.out ]]; then
		WARM_LEAK+=("agentloop evaluate: $(wc -l <"$WORK/warm-watch.out") samples (50 ms apart) saw a poll thread with no controller running, first: $(head -1 "$WORK/warm-watch.out")")
	fi
}

warm_agentloop_table() {
	local mode js idle ci
	echo "### (a) the bundled workload (agentloop --cpu $WARM_CPU, 1000 steps/s): agentune evaluate, $BENCH_WARM_ROUNDS rounds x $BENCH_WARM_SECONDS s per phase"
	echo
	echo "| profile | baseline p50 µs (min-max) | profile p50 µs (min-max) | p50 ratio | beyond noise | p50 / baseline of the same round: median [interval] | p99 ratio | steps/s ratio | warm CPU s per active phase | warm CPU s per idle phase ($BENCH_WARM_IDLE_S s, agent stopped) |"
	echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
	for mode in "${WARM_MODES[@]:1}"; do
		js=$WORK/warm-eval-$mode.json
		idle=$(jq -r '.profile.warm_cpu_s // "n/a" | if type == "number" then (. * 1000 | round / 1000) else . end' "$WORK/warm-idle-$mode.json")
		WARM_IDLE[$mode]=$idle
		WARM_BEYOND[$mode]=$(jq -r '.compare.p50_us.exceeds_noise' "$js")
		WARM_RATIO["agentloop $mode"]=$(jq -r '.compare.p50_us.ratio // "nan" | if type == "number" then (. * 100 | round / 100) else . end' "$js")
		# paired by round, as the sockperf figures
		ci=$(jq -r '([.baseline.rounds[] | {key: (.round | tostring), value: .p50_us}] | from_entries) as $b
			| .profile.rounds[] | select(.p50_us != null and ($b[.round | tostring] // 0) > 0)
			| .p50_us / $b[.round | tostring]' "$js" | warm_median_ci)
		WARM_CI["agentloop $mode"]=$ci
		jq -r --arg m "$mode" --arg idle "$idle" --arg ci "$(awk '{ printf "%s [%s-%s, %.0f%%]", $1, $2, $3, $4 * 100 }' <<<"$ci")" '
			def f(x): if x == null then "-" else (x * 100 | round / 100 | tostring) end;
			def r(k): "\(f(.[k].p50_us)) (\(f(.[k].spread.p50_us.min))-\(f(.[k].spread.p50_us.max)))";
			"| \($m) | \(r("baseline")) | \(r("profile")) | \(f(.compare.p50_us.ratio)) | \(if .compare.p50_us.exceeds_noise then "yes" else "no" end) | \($ci) | \(f(.compare.p99_us.ratio)) | \(f(.compare.steps_per_s.ratio)) | \(f(.profile.warm_cpu_s)) | \($idle) |"' "$js"
	done
	echo
	local ld
	read -r -a ld <<<"$(warm_baseline_load "$WORK/warm-load.out")"
	echo "CPU $WARM_CPU busy in the baseline phases (the agent's own time included; /proc/stat, sampled every 50 ms by the watcher): ${ld[0]}% overall, at most ${ld[1]}% in one phase: another job's work there would have warmed the baseline."
	echo
	for mode in "${WARM_MODES[@]:1}"; do
		echo "$mode first causes: baseline $(jq -r '[.baseline.rounds[0].causes[]? | "\(.id) \(.share * 100 | round)%"] | join(", ")' "$WORK/warm-eval-$mode.json"); profile $(jq -r '[.profile.rounds[0].causes[]? | "\(.id) \(.share * 100 | round)%"] | join(", ")' "$WORK/warm-eval-$mode.json")"
	done
	echo
}

# PASS/FAIL line: $1 condition (awk, 1 = pass), $2 text, then -v NAME=VALUE
# pairs; a value that is not a number (not measured) is a FAIL.
warm_verdict() {
	local a
	for a in "${@:3}"; do
		[[ $a == -v || ${a#*=} =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] ||
			{ echo "FAIL $2 (not measured: ${a%%=*} is '${a#*=}')"; return; }
	done
	# parenthesised: awk reads "print a >= b" as a redirection
	if [[ $(calc "($1)" "${@:3}") == 1 ]]; then echo "PASS $2"; else echo "FAIL $2"; fi
}

bench_warm() {
	echo "## warm: baseline vs ${BENCH_WARM_PROFILES// / vs } on CPU $WARM_CPU ($(machine_kind))"
	echo
	local n
	for n in BENCH_WARM_ROUNDS BENCH_WARM_SP_ROUNDS BENCH_WARM_SECONDS BENCH_WARM_IDLE_S BENCH_WARM_MPS; do
		[[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer"
	done
	if [[ $(id -u) -ne 0 ]] || ! command -v sockperf >/dev/null || ! command -v jq >/dev/null ||
		(($(nproc) < 2)) || [[ ! -r /sys/kernel/btf/vmlinux ]]; then
		echo "SKIP needs root, sockperf, jq, BTF and 2 CPUs"
		return 0
	fi
	export AGENTUNE_RUN_DIR=$WORK/run
	declare -gA WARM_ARG=() WARM_SP=() WARM_RATIO=() WARM_IDLE=() WARM_BEYOND=() WARM_CI=()
	WARM_MODES=(baseline $BENCH_WARM_PROFILES) WARM_NOTES=() WARM_PIDS=() WARM_LEAK=()
	local mode
	for mode in "${WARM_MODES[@]:1}"; do
		WARM_ARG[$mode]=$(warm_profile_arg "$mode")
		[[ ${WARM_ARG[$mode]} != "$WORK"/* ]] ||
			WARM_NOTES+=("$mode: this build has no [pmqos] method key: run from a copy without it (the PM QoS constraint only)")
	done
	WARM_UNSAFE=--allow-unsafe-profile	# the bench's files (and copies in $WORK)
	trap warm_exit EXIT
	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	warm_agentloop
	warm_sockperf server 11313
	warm_sockperf client 11314
	WARM_PIDS=()
	trap cleanup EXIT

	echo "Profiles: $(for m in "${WARM_MODES[@]:1}"; do printf '%s = %s; ' "$m" "${WARM_ARG[$m]}"; done)"
	((${#WARM_NOTES[@]} == 0)) || printf 'NOTE %s\n' "${WARM_NOTES[@]}"
	echo "Warm CPU = the window controller process's CPU time (user + system, its poll threads included; 0 when a profile starts none); RAPL: $([[ -r /sys/class/powercap/intel-rapl:0/energy_uj ]] && echo readable || echo unavailable)."
	echo "Load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	warm_agentloop_table
	warm_sockperf_table server b
	warm_sockperf_table client c

	local al=agent-latency st=warm-static wn=warm-window
	if ((${#WARM_LEAK[@]})); then
		printf 'FAIL a baseline phase was warmed: %s\n' "${WARM_LEAK[@]}"
	else
		echo "PASS no poll thread and no controller in a baseline phase (checked before and after every baseline client run; the evaluate runs watched every 50 ms)"
	fi
	if [[ -n ${WARM_RATIO[agentloop $al]:-} ]]; then
		warm_ci_verdict "${WARM_CI[agentloop $al]:-}" 0.8 "bundled workload: $al p50 wake->run"
		warm_ci_verdict "${WARM_CI[server $al]:-}" 0.85 "sockperf server as agent: $al avg round trip"
		warm_ci_verdict "${WARM_CI[client $al]:-}" 1.05 "sockperf client as agent: $al avg round trip"
	fi
	if [[ -n ${WARM_RATIO[agentloop $st]:-} && -n ${WARM_RATIO[agentloop $wn]:-} ]]; then
		local gs gw
		local ms mw his
		read -r ms _ his _ <<<"${WARM_CI[agentloop $st]}"
		read -r mw _ <<<"${WARM_CI[agentloop $wn]}"
		gs=$(calc '1 - s' -v s="$ms")
		gw=$(calc '1 - w' -v w="$mw")
		# the static gain must be established (its whole interval below 1)
		if [[ $his =~ ^[0-9.]+$ && $(calc '(h < 1)' -v h="$his") == 1 ]]; then
			warm_verdict 'w >= 0.9 * s' "window keeps $(calc 'sprintf("%.0f", 100 * w / s)' -v w="$gw" -v s="$gs")% of the static method's p50 gain on the bundled workload (paired medians: $wn ${mw}x, $st ${ms}x; target >= 90%)" -v w="$gw" -v s="$gs"
		else
			echo "INCONCLUSIVE window vs static gain: the static method's gain on the bundled workload is not beyond the noise here ($st p50 ${ms}x baseline, interval up to ${his}x)"
		fi
		local is=${WARM_IDLE[$st]} iw=${WARM_IDLE[$wn]}
		if [[ $is =~ ^[0-9.]+$ && $(calc '(s >= 0.05)' -v s="$is") == 1 ]]; then
			warm_verdict 'w < 0.1 * s' "window's warm CPU while the agent pauses is $(calc 'sprintf("%.1f", 100 * w / s)' -v w="$iw" -v s="$is")% of static's ($iw vs $is s per ${BENCH_WARM_IDLE_S} s idle phase; target < 10%)" -v w="$iw" -v s="$is"
		else
			echo "INCONCLUSIVE window vs static warm CPU: the static method costs no measurable controller CPU while the agent pauses (${is} s per ${BENCH_WARM_IDLE_S} s: no process holds it; window ${iw} s)"
		fi
	fi
}

# timerslack: what [agent] timer_slack_ns = 1 does to a timed wait.  slackwait
# sleeps 1 ms at a time on CPU 1 (clock_nanosleep, relative) and times how
# late each wait ends; rounds interleave a process left alone (the default
# slack, 50 us) and one agentune gives a slack of 1 ns (apply a profile of
# only that key to its pid, measure, revert), medians over the rounds.

BENCH_SLACK_SECONDS=${BENCH_SLACK_SECONDS:-3}
BENCH_SLACK_ROUNDS=${BENCH_SLACK_ROUNDS:-3}
BENCH_SLACK_TIMEOUT_US=${BENCH_SLACK_TIMEOUT_US:-1000}
SLACKWAIT=${SLACKWAIT:-build/tests/slackwait}

# One measured process; $1 = "profile" applies the slack first.  Prints
# "slack_ns mean p50 p99 p99.9".
slack_round() {
	local pid i out=$WORK/slack.out
	: >"$out"
	taskset -c 1 "$SLACKWAIT" --timeout-us "$BENCH_SLACK_TIMEOUT_US" --duration "$BENCH_SLACK_SECONDS" \
		--wait-signal >"$out" 2>"$WORK/slack.err" &
	pid=$!
	for i in $(seq 100); do grep -q ready "$WORK/slack.err" 2>/dev/null && break; sleep 0.02; done
	if [[ $1 == profile ]]; then
		"$AGENTUNE" apply --allow-unsafe-profile profile "$WORK/slack.profile" --pid "$pid" \
			>"$WORK/apply.out" 2>&1 || { cat "$WORK/apply.out" >&2; kill "$pid"; return 1; }
	fi
	kill -USR1 "$pid"
	wait "$pid" || true
	[[ $1 == profile ]] && { "$AGENTUNE" revert >/dev/null || return 1; }
	awk '{ print $2, $6, $8, $10, $12 }' "$out"
}

bench_timerslack() {
	echo "## timerslack: clock_nanosleep(${BENCH_SLACK_TIMEOUT_US} us) lateness on CPU 1, ${BENCH_SLACK_SECONDS} s x ${BENCH_SLACK_ROUNDS} rounds, default slack vs [agent] timer_slack_ns = 1 ($(machine_kind))"
	echo
	if [[ $(id -u) -ne 0 ]] || [[ ! -x $SLACKWAIT ]] || (($(nproc) < 2)); then
		echo "SKIP needs root, $SLACKWAIT (make tools) and 2 CPUs"
		return 0
	fi
	export AGENTUNE_RUN_DIR=$WORK/run
	printf '[main]\nsummary = timer slack only\n[agent]\ncpus = 1\ntimer_slack_ns = 1\n' >"$WORK/slack.profile"
	local -a base=() prof=()
	local r
	for ((r = 0; r < BENCH_SLACK_ROUNDS; r++)); do
		echo "  round $((r + 1)) of $BENCH_SLACK_ROUNDS ..." >&2
		base+=("$(slack_round baseline)") || die "slackwait failed"
		prof+=("$(slack_round profile)") || die "apply, slackwait or revert failed"
	done
	echo "| lateness, us (median of rounds) | slack ns | mean | p50 | p99 | p99.9 |"
	echo "|---|---:|---:|---:|---:|---:|"
	local -a mb=() mp=() k
	for k in 1 2 3 4 5; do
		mb+=("$(printf '%s\n' "${base[@]}" | awk -v k=$k '{ print $k }' | median)")
		mp+=("$(printf '%s\n' "${prof[@]}" | awk -v k=$k '{ print $k }' | median)")
	done
	echo "| default slack | ${mb[0]} | ${mb[1]} | ${mb[2]} | ${mb[3]} | ${mb[4]} |"
	echo "| timer_slack_ns = 1 | ${mp[0]} | ${mp[1]} | ${mp[2]} | ${mp[3]} | ${mp[4]} |"
	printf '| ratio |'
	printf ' - |'
	for k in 1 2 3 4; do printf ' %s |' "$(calc 'sprintf("%.2f", b > 0 ? p / b : 0)' -v p="${mp[$k]}" -v b="${mb[$k]}")"; done
	echo
	echo
	echo "rounds (slack mean p50 p99 p99.9): default: ${base[*]/%/;} 1 ns: ${prof[*]/%/;}"
}

# ---------------------------------------------------------------------------

ALL_BENCHES=(inspect diagnose_cost profile top window timerslack warm)

main() {
	local benches=("$@") b
	((${#benches[@]})) || benches=("${ALL_BENCHES[@]}")
	[[ $BENCH_REPEAT =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive integer"
	[[ $BENCH_GROWTH_UNIT == byte || $BENCH_GROWTH_UNIT == file ]] ||
		die "BENCH_GROWTH_UNIT must be byte or file"
	for b in "${benches[@]}"; do
		declare -F "bench_$b" >/dev/null || die "unknown benchmark '$b' (have: ${ALL_BENCHES[*]})"
	done
	require_bins
	make_workdir
	echo "# agentune benchmarks ($(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ))"
	echo
	for b in "${benches[@]}"; do
		"bench_$b"
		echo
	done
	return 0
}

main "$@"
