#!/usr/bin/env bash
# Benchmarks for `make bench` (which runs `make all` first; this script builds
# nothing).  Every figure is a ratio measured side by side in one run on this
# machine.  The script is a report: it prints PASS/FAIL per target and exits 0
# whatever the figures; it exits non-zero only when it cannot run at all.
#
#   tests/bench/run.sh [BENCH...]          BENCH: inspect diagnose profile top (default: all)
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
# diagnose: the throughput `perf bench sched pipe` loses with agentune
# diagnose on it, against no tracing and against a bpftrace script that
# measures only wakeup->run latency.  Each run starts perf through a shell
# that waits on a FIFO and then execs perf (same pid), so the tracer is
# attached before the first message.  Rounds are interleaved; medians.

BENCH_PIPE_LOOPS=${BENCH_PIPE_LOOPS:-300000}
BENCH_PIPE_ROUNDS=${BENCH_PIPE_ROUNDS:-3}

# The one-stage bpftrace equivalent: wakeup -> switch-in of the benchmark's
# threads (filtered by the wakee's comm, in the kernel), as a histogram.
BPFTRACE_WAKE_RUN='tracepoint:sched:sched_wakeup /args->comm == "sched-pipe"/ { @ts[args->pid] = nsecs; }
tracepoint:sched:sched_switch /@ts[args->next_pid]/ { @wake_run = hist(nsecs - @ts[args->next_pid]); delete(@ts[args->next_pid]); }'

# Runs the pipe benchmark with the given tracer ("none", "agentune",
# "bpftrace"); prints usecs/op.
pipe_round() {
	local tracer=$1 fifo=$WORK/go out=$WORK/pipe.out tpid=""
	rm -f "$fifo"
	mkfifo "$fifo"
	taskset -c 1 bash -c 'read -r _ <"$1"; exec perf bench sched pipe -T -l "$2"' _ \
		"$fifo" "$BENCH_PIPE_LOOPS" >"$out" 2>&1 &
	local bpid=$!
	case $tracer in
	agentune)
		"$AGENTUNE" diagnose --pid "$bpid" --duration 600 >"$WORK/diag.out" 2>&1 &
		tpid=$! ;;
	bpftrace)
		bpftrace -e "$BPFTRACE_WAKE_RUN" >"$WORK/bt.out" 2>&1 &
		tpid=$! ;;
	esac
	[[ -n $tpid ]] && sleep 3    # let the tracer load and attach
	echo go >"$fifo"
	wait "$bpid"
	if [[ $tracer == bpftrace ]]; then kill -INT "$tpid" 2>/dev/null || true; fi
	[[ -n $tpid ]] && { wait "$tpid" || true; }
	awk '/usecs\/op/ { print $1 }' "$out"
}

bench_diagnose() {
	echo "## diagnose overhead: perf bench sched pipe -T -l $BENCH_PIPE_LOOPS, pinned to CPU 1"
	echo
	if [[ $(id -u) -ne 0 ]] || ! command -v perf >/dev/null; then
		echo "SKIP needs root and perf (linux-perf)"
		return 0
	fi
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	local have_bt=1 r t
	command -v bpftrace >/dev/null || have_bt=0
	local -a none=() ag=() bt=()
	for ((r = 0; r < BENCH_PIPE_ROUNDS; r++)); do
		echo "  round $((r + 1)) of $BENCH_PIPE_ROUNDS ..." >&2
		none+=("$(pipe_round none)")
		ag+=("$(pipe_round agentune)")
		((have_bt)) && bt+=("$(pipe_round bpftrace)")
	done
	local mn ma mb
	mn=$(printf '%s\n' "${none[@]}" | median)
	ma=$(printf '%s\n' "${ag[@]}" | median)
	echo "| tracing | usecs/op (median) | runs | throughput vs none |"
	echo "|---|---:|---|---:|"
	echo "| none | $mn | ${none[*]} | 1.000 |"
	echo "| agentune diagnose (all stages) | $ma | ${ag[*]} | $(calc 'sprintf("%.3f", n / a)' -v n="$mn" -v a="$ma") |"
	if ((have_bt)); then
		mb=$(printf '%s\n' "${bt[@]}" | median)
		echo "| bpftrace, wakeup->run only | $mb | ${bt[*]} | $(calc 'sprintf("%.3f", n / b)' -v n="$mn" -v b="$mb") |"
	fi
	echo
	local loss
	loss=$(calc 'sprintf("%.1f", 100 * (1 - n / a))' -v n="$mn" -v a="$ma")
	echo "agentune costs ${loss}% of the benchmark's throughput"
	if ((have_bt)); then
		if [[ $(calc 'a <= b' -v a="$ma" -v b="$mb") == 1 ]]; then
			echo "PASS agentune's full attribution costs no more than the one-stage bpftrace script"
		else
			echo "FAIL agentune's full attribution costs more than the one-stage bpftrace script"
		fi
	fi
	if [[ $(calc 'l < 5' -v l="$loss") == 1 ]]; then
		echo "PASS under 5% against no tracing"
	else
		echo "FAIL under 5% against no tracing (${loss}%)"
	fi
	echo
	echo "BPF run time per event during the last agentune round:"
	grep -E '^cost:' "$WORK/diag.out" || true
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

ALL_BENCHES=(inspect diagnose profile top)

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
