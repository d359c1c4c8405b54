#!/usr/bin/env bats
# Crash safety, live: apply, revert, the window controller's start and its
# window writes killed with SIGKILL at random moments (a random sleep, not
# the Nth write), 15 times each, every time followed by revert.  After each
# revert the host -- captured independently of agentune: every CPU's
# pm_qos_resume_latency_us, every IRQ's affinity, the sysctls and netdev
# attributes the profiles touch, the cpufreq floors, the agent cgroup
# directories and the workload's cgroups -- is exactly as before, and no
# agentune process is left.  Run under `flock /work/live-tests.lock`.
# Teardown reverts (with --force) so a failure leaves the host as it was.
load helpers

CPU=1
ITER=${CRASH_ITERATIONS:-15}

setup() {
	WL_PID="" BG=""
	run_dir_on_tmpfs
	unset AGENTUNE_FAULT_EXIT_AFTER
}

teardown() {
	[ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
	if [ "$(id -u)" -eq 0 ] && [ -d "$AGENTUNE_RUN_DIR" ]; then
		"$AGENTUNE" revert --force >/dev/null 2>&1 || true
	fi
	stop_workload
	release_run_dir
	true
}

need_crash_premises() {
	need_bpf
	need_cpus 2
	need_pmqos "$CPU"
	[ "$(cat /sys/devices/system/cpu/cpu$CPU/power/pm_qos_resume_latency_us)" != n/a ] ||
		skip "CPU $CPU already holds n/a: a window would change nothing"
}

# The settings agent-latency and agent-network touch, read with cat, not
# with agentune.
capture_host() {
	local f k d
	{
		for f in /sys/devices/system/cpu/cpu[0-9]*/power/pm_qos_resume_latency_us \
			 /sys/devices/system/cpu/cpufreq/policy*/scaling_min_freq \
			 /proc/irq/[0-9]*/smp_affinity_list \
			 /sys/class/net/*/napi_defer_hard_irqs /sys/class/net/*/gro_flush_timeout; do
			[ -e "$f" ] && echo "$f $(cat "$f" 2>&1)"
		done
		for k in netdev_budget netdev_budget_usecs busy_poll busy_read; do
			echo "net.core.$k $(cat /proc/sys/net/core/$k)"
		done
		for d in /sys/fs/cgroup/*/agentune /sys/fs/cgroup/agentune; do
			[ -d "$d" ] && echo "cgroup $d exists"
		done
		[ -n "$WL_PID" ] && echo "workload cgroups: $(tr '\n' ' ' <"/proc/$WL_PID/cgroup")"
	} >"$1"
	true
}

# Processes running this build's agentune binary (the controller is a fork
# of it, with the same name).
agentune_procs() {
	local p exe bin
	bin=$(readlink -f "$AGENTUNE")
	for p in $(pgrep -x agentune); do
		exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		[ "$exe" = "$bin" ] && echo "$p"
	done
	true
}

# None left (a process SIGKILLed a moment ago gets up to a second to go).
no_agentune_left() {
	local left
	for _ in $(seq 100); do
		left=$(agentune_procs)
		[ -z "$left" ] && return 0
		sleep 0.01
	done
	echo "agentune processes left: $left"
	for p in $left; do echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"; done
	return 1
}

# revert, then the host as captured in before.txt, no process left, and
# nothing more to revert.  $1: what was killed, for the messages.
revert_and_check() {
	run "$AGENTUNE" revert
	if [ "$status" -ne 0 ]; then
		echo "after $1: revert exited $status"
		echo "$output"
		return 1
	fi
	capture_host "$BATS_TEST_TMPDIR/after.txt"
	if ! diff "$BATS_TEST_TMPDIR/before.txt" "$BATS_TEST_TMPDIR/after.txt"; then
		echo "after $1 and revert, the host differs (above)"
		echo "$output"
		return 1
	fi
	no_agentune_left || { echo "after $1 and revert"; return 1; }
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ] && [[ "$output" == *"Nothing to revert"* ]] || {
		echo "after $1, a second revert: $output"
		return 1
	}
}

# A random sleep of 0..$1 ms.
random_sleep() {
	sleep "$(awk -v r="$RANDOM" -v m="$1" 'BEGIN { printf "%.3f", r / 32767 * m / 1000 }')"
}

apply_bg() {
	"$AGENTUNE" apply $UNSAFE profile agent-latency --pid "$WL_PID" --cpus "$CPU" >/dev/null 2>&1 &
	BG=$!
}

# The controller apply $1 forks, as soon as it is there (up to 5 s; after
# apply, the one window.pid names); empty if none came.
controller_of() {
	local c
	for _ in $(seq 1000); do
		c=$(pgrep -P "$1" -x agentune | head -1)
		[ -n "$c" ] && echo "$c" && return 0
		# apply done (gone, or a zombie until it is waited for)
		case "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" in
		Z | X | "")
			[ -e "$AGENTUNE_RUN_DIR/window.pid" ] && cut -d' ' -f1 "$AGENTUNE_RUN_DIR/window.pid"
			return 0 ;;
		esac
		sleep 0.005
	done
}

@test "crash: apply killed at random moments, then revert: the host as before, no controller left" {
	need_crash_premises
	start_workload --cpu "$CPU" --interval-us 1000 --duration 0
	capture_host "$BATS_TEST_TMPDIR/before.txt"
	# apply takes about 0.6 s here: kill anywhere in 0..0.8 s
	for i in $(seq "$ITER"); do
		apply_bg
		random_sleep 800
		kill -9 "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
		BG=""
		revert_and_check "apply killed (try $i)"
	done
}

# The moment issue 15 found (6 leaks in 12 tries): apply dies while the
# controller it forked loads its BPF programs, and revert comes at once.
@test "crash: apply killed while its controller starts, then revert at once: no controller left" {
	need_crash_premises
	start_workload --cpu "$CPU" --interval-us 1000 --duration 0
	capture_host "$BATS_TEST_TMPDIR/before.txt"
	for i in $(seq "$ITER"); do
		apply_bg
		controller_of "$BG" >/dev/null
		random_sleep 150
		kill -9 "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
		BG=""
		revert_and_check "apply killed as its controller started (try $i)"
	done
}

@test "crash: revert killed at random moments, then revert again: the host as before" {
	need_crash_premises
	start_workload --cpu "$CPU" --interval-us 1000 --duration 0
	capture_host "$BATS_TEST_TMPDIR/before.txt"
	for i in $(seq "$ITER"); do
		"$AGENTUNE" apply $UNSAFE profile agent-latency --pid "$WL_PID" --cpus "$CPU" >/dev/null
		"$AGENTUNE" revert >/dev/null 2>&1 &
		BG=$!
		random_sleep 200
		kill -9 "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
		BG=""
		revert_and_check "revert killed (try $i)"
	done
}

@test "crash: the controller killed while it starts, then revert: the host as before" {
	need_crash_premises
	start_workload --cpu "$CPU" --interval-us 1000 --duration 0
	capture_host "$BATS_TEST_TMPDIR/before.txt"
	killed=0
	for i in $(seq "$ITER"); do
		apply_bg
		ctl=$(controller_of "$BG")
		echo "try $i: apply $BG, controller ${ctl:-none}; $(agentune_procs | tr '\n' ' ')"
		random_sleep 400
		[ -n "$ctl" ] && kill -9 "$ctl" 2>/dev/null && killed=$((killed + 1))
		wait "$BG" 2>/dev/null || true
		BG=""
		revert_and_check "controller killed while starting (try $i)"
	done
	echo "controller killed in $killed of $ITER tries"
	[ "$killed" -ge 1 ]
}

@test "crash: the controller killed while it opens and closes windows, then revert: the host as before" {
	need_crash_premises
	# 20 ms of steps, 20 ms of pause: a window opens and closes every 40 ms
	start_workload --cpu "$CPU" --interval-us 1000 --duration 0 --pause-ms-every 20:20
	capture_host "$BATS_TEST_TMPDIR/before.txt"
	for i in $(seq "$ITER"); do
		"$AGENTUNE" apply $UNSAFE profile agent-latency --pid "$WL_PID" --cpus "$CPU" >/dev/null
		ctl=$("$AGENTUNE" status --json | jq -r '.window_controller.pid')
		random_sleep 300
		kill -9 "$ctl"
		revert_and_check "controller killed among its windows (try $i)"
	done
}
