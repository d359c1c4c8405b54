# Shared set-up for the command-level tests.
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
AGENTUNE="$REPO/${B:-build}/agentune"
SHARED_HOSTS="$REPO/../shared/fixtures/hosts"
FIXTURES="$REPO/tests/fixtures"

# ---------- premises ----------
# A test whose premise is a capability of this machine checks it with one of
# these, which skip the test and say why when it does not hold.  A premise is
# checked, never assumed from the machine a test was written on.

need_shared() {
	[ -d "$SHARED_HOSTS" ] || skip "../shared/fixtures/hosts not found beside the checkout"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

need_cmd() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

need_cpus() {
	[ "$(nproc)" -ge "$1" ] || skip "needs $1 CPUs (agent and housekeeping); this machine has $(nproc)"
}

need_dev_full() {
	[ -c /dev/full ] && [ -w /dev/full ] || skip "no writable /dev/full on this machine"
}

# A local timer row "LOC:" in /proc/interrupts (x86; arm64 names its timer
# IRQ otherwise).
need_loc_row() {
	grep -q '^ *LOC:' /proc/interrupts || skip "no local timer row (LOC) in /proc/interrupts: not an x86 machine"
}

# The per-CPU PM QoS file of CPU $1, writable.
need_pmqos() {
	local f=/sys/devices/system/cpu/cpu$1/power/pm_qos_resume_latency_us
	[ -e "$f" ] || skip "no $f"
	[ -w "$f" ] || skip "$f is not writable"
}

# An idle state of CPU $1 that a PM QoS resume-latency constraint keeps the
# CPU out of: a cpuidle driver, and on that CPU an enabled state deeper than
# polling (exit latency above 0) that the CPU may enter under the constraint
# $2 it has when the test starts ("0": none; "n/a": polling only; N: states
# with exit latency up to N us) and under the global /dev/cpu_dma_latency.
# The premise of the tests that compare how a CPU idles with and without a
# constraint; without it (no cpuidle driver: idle is a bare halt, a VM exit
# on a guest) a constraint changes nothing.
need_deep_idle_state() {
	local cpu=$1 allowed=${2:-0} drv d s lat global
	drv=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)
	if [ -z "$drv" ] || [ "$drv" = none ]; then
		skip "no cpuidle driver (current_driver: ${drv:-absent}): idle is a bare halt, so a PM QoS constraint does not change the idle state"
	fi
	d=/sys/devices/system/cpu/cpu$cpu/cpuidle
	[ -d "$d" ] || skip "cpuidle driver $drv but no $d: no idle state for a constraint to avoid"
	[ "$allowed" = n/a ] && skip "CPU $cpu's PM QoS already holds n/a: the CPU only polls"
	global=$(od -An -tu4 -N4 /dev/cpu_dma_latency 2>/dev/null | tr -d ' ')
	for s in "$d"/state*; do
		[ "$(cat "$s/disable" 2>/dev/null || echo 0)" = 0 ] || continue
		lat=$(cat "$s/latency" 2>/dev/null) || continue
		[ "${lat:-0}" -gt 0 ] || continue
		[ "$allowed" -eq 0 ] || [ "$lat" -le "$allowed" ] || continue
		[ -z "$global" ] || [ "$lat" -le "$global" ] || continue
		return 0
	done
	skip "cpuidle driver $drv: no enabled idle state deeper than polling on CPU $cpu (exit latency > 0 us, allowed by PM QoS ${allowed} and cpu_dma_latency ${global:-unknown})"
}

# A network interface backed by a PCI function (the real path of its
# `device` link runs through a PCI address: the function itself or a virtio
# device below it): eth0 if it is one, else the first.  Sets NIC and NIC_BDF.
need_pci_nic() {
	local i dev c
	NIC="" NIC_BDF=""
	for i in /sys/class/net/eth0 /sys/class/net/*; do
		[ -e "$i/device" ] || continue
		dev=$(readlink -f "$i/device") || continue
		for c in ${dev//\// }; do
			[[ "$c" =~ ^[0-9a-fA-F]{4,}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] && NIC_BDF=$c
		done
		if [ -n "$NIC_BDF" ]; then NIC=$(basename "$i"); return 0; fi
	done
	skip "no network interface backed by a PCI function (/sys/class/net/*/device)"
}

# The PCI function $1 has MSI-X vectors (msi_irqs/N holding "msix").
need_msix() {
	local d=/sys/bus/pci/devices/$1/msi_irqs
	[ -d "$d" ] || skip "PCI function $1 has no MSI or MSI-X vectors ($d)"
	grep -qx msix "$d"/* 2>/dev/null || skip "PCI function $1 has no MSI-X vector"
}

# No irqbalance running (a test that plants a fake one names its pid).
need_no_irqbalance() {
	local p
	p=$(pgrep -x irqbalance | head -1)
	[ -z "$p" ] || skip "irqbalance (pid $p) runs on this machine"
}

# An IRQ whose affinity (/proc/irq/N/smp_affinity_list) includes CPU $1 and
# can be written: something for a profile that moves IRQs off it to move.
need_irq_on_cpu() {
	local f
	for f in /proc/irq/*/smp_affinity_list; do
		[ -w "$f" ] && cpulist_has "$(cat "$f")" "$1" && return 0
	done
	skip "no IRQ with CPU $1 in its affinity to move"
}

# Whether the CPU list $1 ("0-3,8") holds CPU $2.
cpulist_has() {
	local r lo hi
	for r in ${1//,/ }; do
		lo=${r%-*} hi=${r#*-}
		[ "$2" -ge "$lo" ] && [ "$2" -le "$hi" ] && return 0
	done
	return 1
}

# ---------- things the tests share ----------

# The binary and the shipped profiles where user nobody (65534) can run
# and read them: the checkout may lie under a directory only root can enter
# (a CI clone under /var/lib/...).  Sets NOBODY_AGENTUNE; the copy is made
# in a fresh directory under /tmp (open to every user on Linux) that the
# test's teardown removes with remove_nobody_copy.
nobody_copy() {
	NOBODY_DIR=$(mktemp -d /tmp/agentune-nobody.XXXXXX)
	chmod 0755 "$NOBODY_DIR"
	mkdir -m 0755 "$NOBODY_DIR/build" "$NOBODY_DIR/profiles"
	install -m 0755 "$AGENTUNE" "$NOBODY_DIR/build/agentune"
	install -m 0644 "$REPO"/profiles/*.profile "$NOBODY_DIR/profiles/"
	NOBODY_AGENTUNE="$NOBODY_DIR/build/agentune"
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NOBODY_AGENTUNE" ||
		skip "user nobody cannot reach $NOBODY_DIR"
}

remove_nobody_copy() {
	[ -n "${NOBODY_DIR:-}" ] && rm -rf "$NOBODY_DIR"
	NOBODY_DIR=""
}

# Whether root may load the checkout's shipped profiles: every directory
# from / down to profiles/ and the files are owned by root and writable by
# no one else (what apply checks).  A checkout under /tmp, or owned by a
# user, is not; there the tests pass --allow-unsafe-profile, in UNSAFE.
checkout_profiles_safe() {
	local d
	d=$(readlink -f "$REPO/profiles")
	while :; do
		[ "$(stat -c %u "$d")" -eq 0 ] || return 1
		(( 8#$(stat -c %a "$d") & 8#022 )) && return 1
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
	for d in "$REPO"/profiles/*.profile; do
		[ "$(stat -c %u "$d")" -eq 0 ] || return 1
		(( 8#$(stat -c %a "$d") & 8#022 )) && return 1
	done
	return 0
}
UNSAFE=""
checkout_profiles_safe || UNSAFE="--allow-unsafe-profile"

# Drops what changes from one read to the next (counters, rates, pids, the
# root path) so two reports of the same host compare equal.
strip_counters() {
	jq -S 'del(.host.root) | del(.sample)
	  | walk(if type == "object" then
	      del(.counts, .total, .rate_per_s, .usage, .time_us, .above, .below,
	          .rejected, .processed, .dropped, .time_squeeze, .received_rps,
	          .flow_limit_count, .backlog_len, .cur_khz, .pid)
	    else . end)
	  | .findings |= map({id, severity})'
}

AGENTLOOP="$REPO/${B:-build}/agentloop"

need_bpf() {
	need_root
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"
}

# Starts the bundled workload in the background with the given options and
# waits until it says it is ready; sets WL_PID and WL_TID (first consumer).
# Its JSON stats go to $BATS_TEST_TMPDIR/wl.json.
start_workload() {
	"$AGENTLOOP" "$@" --json >"$BATS_TEST_TMPDIR/wl.json" 2>"$BATS_TEST_TMPDIR/wl.err" &
	WL_PID=$!
	for _ in $(seq 100); do
		grep -q ready "$BATS_TEST_TMPDIR/wl.err" && break
		sleep 0.05
	done
	WL_TID=$(sed -n 's/.*consumer tids \([0-9]*\).*/\1/p' "$BATS_TEST_TMPDIR/wl.err")
	[ -n "$WL_TID" ]
}

# Waits (up to 60 s) until process $1 (diagnose) holds BPF links and waits
# in epoll for their events: its programs are attached and its set-up after
# attaching (the target's threads, the ring buffer) is done.  Loading takes
# about a second on a busy 2-CPU machine, so a test whose workload must not
# step before the tracer sees it waits for this, then starts the workload
# (start_workload --start-delay-ms N, then kill -USR1 "$WL_PID").
wait_bpf_attached() {
	local i
	for i in $(seq 6000); do
		if [ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c bpf_link)" -gt 0 ] &&
		   [ "$(cat "/proc/$1/wchan" 2>/dev/null)" = do_epoll_wait ]; then
			return 0
		fi
		kill -0 "$1" 2>/dev/null || { echo "process $1 exited before it attached BPF"; return 1; }
		sleep 0.01
	done
	echo "process $1 attached no BPF program in 60 s"
	return 1
}

# AGENTUNE_RUN_DIR on a tmpfs of its own (as root), as /run is on most
# hosts.  The window controller writes its state file there between two
# deadlines; in a directory on disk that write can block it for up to a
# second while other processes load the disk (on this project's VMs /tmp is
# the root ext4, mounted with discard and without a journal: a rename that
# frees the old file's blocks waits for the discard), and windows then stay
# open past their deadline.  release_run_dir unmounts it: call it after
# revert.
run_dir_on_tmpfs() {
	RUNFS="$BATS_TEST_TMPDIR/runfs" RUNFS_MOUNTED=""
	mkdir -p "$RUNFS"
	if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=16m,mode=0700 agentune-test-run "$RUNFS"; then
		RUNFS_MOUNTED=1
	fi
	export AGENTUNE_RUN_DIR="$RUNFS/run"
}

release_run_dir() {
	if [ -n "${RUNFS_MOUNTED:-}" ]; then
		umount "$RUNFS" 2>/dev/null || umount -l "$RUNFS"
	fi
	RUNFS_MOUNTED=""
}

stop_workload() {
	[ -n "${WL_PID:-}" ] && kill "$WL_PID" 2>/dev/null
	wait "${WL_PID:-}" 2>/dev/null || true
}

# A CPU hog with a recognisable name, pinned to a CPU; sets HOG_PID.
start_hog() {
	cp /usr/bin/yes "$BATS_TEST_TMPDIR/agenthog"
	taskset -c "$1" "$BATS_TEST_TMPDIR/agenthog" >/dev/null &
	HOG_PID=$!
}

# Within 20% or 10 us, whichever is larger.
close_enough() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d;
		t = 0.2 * (b > 0 ? b : -b); if (t < 10) t = 10; exit !(d <= t) }'
}

# Two `agentune snapshot` trees hold the same settings: every file and link
# equal, except counters and what names running processes.
SNAP_COUNTERS='^\./proc/([0-9]+|self|thread-self|interrupts|softirqs|stat|uptime|loadavg|meminfo|vmstat|net/softnet_stat)(/|$)|/cpuidle/state[0-9]+/(usage|time|above|below|rejected)$|/statistics/'
snap_same() {
	local a=$1 b=$2 f
	diff <(cd "$a" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS" | sort) \
	     <(cd "$b" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS" | sort) || return 1
	while read -r f; do
		if [ -L "$a/$f" ]; then
			[ "$(readlink "$a/$f")" = "$(readlink "$b/$f")" ] || { echo "link $f differs"; return 1; }
		elif [ "$f" = ./proc/cgroups ]; then
			# num_cgroups counts removed cgroups until the kernel frees them
			diff <(awk '{ print $1, $2, $4 }' "$a/$f") <(awk '{ print $1, $2, $4 }' "$b/$f") || return 1
		else
			cmp -s "$a/$f" "$b/$f" || { echo "$f differs:"; diff "$a/$f" "$b/$f" | head -5; return 1; }
		fi
	done < <(cd "$a" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS")
}

# ---------- planted causes (diagnose_causes.bats) ----------
# Each plant records what it changed in PLANT_*; plants_cleanup (called by
# the teardown, so also after a failure) undoes all of it: processes killed,
# the cgroup removed, RPS put back.

PLANT_PIDS=() PLANT_CG="" PLANT_CG_ROOT="" PLANT_CG_V2_CPU_ON="" PLANT_RPS_FILE="" PLANT_RPS_SAVED=""

# The cgroup v1 cpu hierarchy with CFS bandwidth control (cpu.cfs_quota_us).
cg_v1_cpu_root() {
	local d
	d=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/mounts)
	[ -n "$d" ] && [ -e "$d/cpu.cfs_quota_us" ] && echo "$d"
}

# The cgroup v2 mount whose root offers the cpu controller.
cg_v2_cpu_root() {
	local d
	for d in $(awk '$3 == "cgroup2" { print $2 }' /proc/mounts); do
		grep -qw cpu "$d/cgroup.controllers" 2>/dev/null && { echo "$d"; return 0; }
	done
	return 1
}

# need_cgroup_cpu v1|v2: a hierarchy of that version with the cpu
# controller, where a test may create a group.  Sets PLANT_CG_ROOT.
need_cgroup_cpu() {
	need_root
	case $1 in
	v1)
		PLANT_CG_ROOT=$(cg_v1_cpu_root) ||
			skip "the cpu controller is not on a cgroup v1 hierarchy here ($(cg_v2_cpu_root >/dev/null && echo "it is on v2" || echo "no cpu controller mounted"))" ;;
	v2)
		PLANT_CG_ROOT=$(cg_v2_cpu_root) ||
			skip "no cgroup v2 hierarchy offers the cpu controller here ($(cg_v1_cpu_root >/dev/null && echo "it is bound to v1 at $(cg_v1_cpu_root)" || echo "no cpu controller mounted"))" ;;
	esac
	[ -w "$PLANT_CG_ROOT" ] || skip "cannot create a group in $PLANT_CG_ROOT"
}

# plant_cgroup_quota v1|v2 QUOTA_US PERIOD_US PID: a new group under
# PLANT_CG_ROOT with that CPU quota, and every thread of PID moved into it.
plant_cgroup_quota() {
	local ver=$1 quota=$2 period=$3 pid=$4
	PLANT_CG=$PLANT_CG_ROOT/agentune-test-$$-${BATS_TEST_NUMBER:-0}
	if [ "$ver" = v2 ] && ! grep -qw cpu "$PLANT_CG_ROOT/cgroup.subtree_control"; then
		echo +cpu >"$PLANT_CG_ROOT/cgroup.subtree_control"
		PLANT_CG_V2_CPU_ON=1
	fi
	mkdir "$PLANT_CG"
	if [ "$ver" = v1 ]; then
		echo "$period" >"$PLANT_CG/cpu.cfs_period_us"
		echo "$quota" >"$PLANT_CG/cpu.cfs_quota_us"
	else
		echo "$quota $period" >"$PLANT_CG/cpu.max"
	fi
	echo "$pid" >"$PLANT_CG/cgroup.procs"
}

# nr_throttled of the group in directory $1 (both versions name it so).
cgroup_nr_throttled() {
	awk '$1 == "nr_throttled" { print $2 }' "$1/cpu.stat"
}

remove_plant_cgroup() {
	local t i
	[ -n "$PLANT_CG" ] && [ -d "$PLANT_CG" ] || { PLANT_CG=""; return 0; }
	for i in $(seq 50); do
		while read -r t; do echo "$t" >"$PLANT_CG_ROOT/cgroup.procs" 2>/dev/null; done \
			<"$PLANT_CG/cgroup.procs"
		rmdir "$PLANT_CG" 2>/dev/null && break
		sleep 0.1
	done
	[ -d "$PLANT_CG" ] && echo "warning: could not remove $PLANT_CG" >&2
	if [ -n "$PLANT_CG_V2_CPU_ON" ]; then
		echo -cpu >"$PLANT_CG_ROOT/cgroup.subtree_control" 2>/dev/null
		PLANT_CG_V2_CPU_ON=""
	fi
	PLANT_CG=""
}

# RPS on the loopback device can be steered (CONFIG_RPS), and sockperf is
# there to flood it.
need_lo_rps() {
	need_root
	need_cmd sockperf
	PLANT_RPS_FILE=/sys/class/net/lo/queues/rx-0/rps_cpus
	[ -w "$PLANT_RPS_FILE" ] || { PLANT_RPS_FILE=""; skip "no writable /sys/class/net/lo/queues/rx-0/rps_cpus (kernel without RPS?)"; }
}

# plant_softirq_storm AGENT_CPU OTHER_CPU MSG_PER_S: UDP over loopback
# from OTHER_CPU, steered by RPS to AGENT_CPU, where the NET_RX softirq
# (and the IPI that kicks it) runs; no task of the storm runs on AGENT_CPU.
# sockperf's server and client both stay on OTHER_CPU.
plant_softirq_storm() {
	local cpu=$1 other=$2 mps=$3 port=$((20000 + $$ % 20000))
	PLANT_RPS_SAVED=$(cat "$PLANT_RPS_FILE")
	printf '%x\n' $((1 << cpu)) >"$PLANT_RPS_FILE"
	taskset -c "$other" sockperf server -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
	PLANT_PIDS+=($!)
	sleep 0.5
	taskset -c "$other" sockperf throughput -i 127.0.0.1 -p "$port" --mps "$mps" -m 1400 -t 600 \
		>/dev/null 2>&1 &
	PLANT_PIDS+=($!)
	sleep 0.5
}

# The NET_RX count of CPU $1 in /proc/softirqs.
netrx_count() {
	awk -v c=$(($1 + 2)) '$1 == "NET_RX:" { print $c }' /proc/softirqs
}

# wakeup_contexts TID SECONDS: for SECONDS, in what context thread TID is
# woken (sched_waking), the innermost first, one line each with a count:
#   "hrtimer FUNCTION N"  inside an hrtimer callback (hrtimer_expire_entry/exit)
#   "softirq NAME N"      inside a softirq (softirq_entry/exit; NET_RX, ...)
#   "work FUNCTION N"     inside a work item (workqueue_execute_start/end,
#                         keyed by the waker thread)
#   "task COMM N"         from a task's own context
# The ground truth of a plant's wakeup chain, measured without diagnose.
# Every bpftrace here runs under `timeout -k 10 -s INT`: a bpftrace once
# missed the SIGINT (sent while it was still attaching, on a loaded
# machine) and ran on until killed; -k ends it 10 s later (its figures are
# then missing and the test says so) instead of hanging the suite.
wakeup_contexts() {
	timeout -k 10 -s INT "$2" bpftrace -q -e "
tracepoint:timer:hrtimer_expire_entry { @hrt[cpu] = (uint64)args->function; }
tracepoint:timer:hrtimer_expire_exit { @hrt[cpu] = 0; }
tracepoint:irq:softirq_entry { @sirq[cpu] = args->vec + 1; }
tracepoint:irq:softirq_exit { @sirq[cpu] = 0; }
tracepoint:workqueue:workqueue_execute_start { @wf[tid] = (uint64)args->function; }
tracepoint:workqueue:workqueue_execute_end { delete(@wf[tid]); }
tracepoint:sched:sched_waking /args->pid == $1/ {
	if (@hrt[cpu] != 0) { @hrtimer[ksym(@hrt[cpu])] = count(); }
	else if (@sirq[cpu] != 0) { @softirq[@sirq[cpu] - 1] = count(); }
	else if (@wf[tid] != 0) { @work[ksym(@wf[tid])] = count(); }
	else { @task[comm] = count(); } }
END { clear(@hrt); clear(@sirq); clear(@wf); }" 2>/dev/null | awk '
	BEGIN { split("HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU", sn, " ") }
	match($0, /^@[a-z]+\[.*\]: [0-9]+$/) {
		kind = substr($0, 2, index($0, "[") - 2)
		key = substr($0, index($0, "[") + 1); key = substr(key, 1, index(key, "]:") - 1)
		if (kind == "softirq") key = sn[key + 1]
		print kind, key, $NF }'
}

# The share (0..1) of the wakeups in wakeup_contexts output $1 that are of
# kind $2 and key $3.
context_share() {
	awk -v k="$2" -v f="$3" '$1 == k && $2 == f { w += $3 } { a += $3 }
		END { printf "%.3f\n", a ? w / a : 0 }' "$1"
}

# nftables: the nft command, and a kernel with nf_tables that lets root
# create a table (a test table, removed at once).
need_nft() {
	need_root
	need_cmd nft
	local t=agentune_probe_$$
	nft add table ip "$t" 2>/dev/null ||
		skip "nft cannot create a table (kernel without CONFIG_NF_TABLES / NF_TABLES_IPV4?)"
	nft delete table ip "$t"
}

PLANT_NFT_TABLE=""
# plant_slow_netrx RULES: a slow receive path.  A table of its own (ip
# agentune_test_PID_N; no other table or rule is touched) whose input-hook
# chain makes every UDP packet received on lo walk RULES rules that never
# match: each a lookup of the source address and port in a set of its own
# (192.0.2.0/24 is TEST-NET-1, never on lo; 52-60 ns a rule on this
# VM).  They run inside NET_RX, between the softirq's entry and the socket's
# wakeup of the consumer: the completion chain grows by RULES x that.
# Called again, it replaces the rules.  plants_cleanup deletes the table.
plant_slow_netrx() {
	local f=$BATS_TEST_TMPDIR/slow-netrx.nft
	[ -n "$PLANT_NFT_TABLE" ] && nft delete table ip "$PLANT_NFT_TABLE"
	PLANT_NFT_TABLE=agentune_test_$$_${BATS_TEST_NUMBER:-0}
	{
		echo "table ip $PLANT_NFT_TABLE {"
		echo "	chain input {"
		echo "		type filter hook input priority 0; policy accept;"
		echo "		meta iifname != \"lo\" accept"
		echo "		meta l4proto != udp accept"
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
			print "\t\tip saddr . udp sport { 192.0.2.1 . 1, 192.0.2.2 . 2 } counter" }'
		echo "	}"
		echo "}"
	} >"$f"
	nft -f "$f"
}

# The rules of the planted table that matched a packet (their counters):
# 0 when the plant only slowed the path.
slow_netrx_matched() {
	nft list table ip "$PLANT_NFT_TABLE" |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
		     END { print n + 0 }'
}

remove_slow_netrx() {
	[ -n "$PLANT_NFT_TABLE" ] || return 0
	# nft -f is one transaction: a load that failed created nothing
	nft list table ip "$PLANT_NFT_TABLE" >/dev/null 2>&1 || { PLANT_NFT_TABLE=""; return 0; }
	nft delete table ip "$PLANT_NFT_TABLE" 2>/dev/null ||
		echo "warning: could not delete nftables table ip $PLANT_NFT_TABLE" >&2
	PLANT_NFT_TABLE=""
}

# netrx_wake_truth TID SECONDS: for SECONDS, the time from the NET_RX
# softirq's entry to its wakeup of thread TID (sched_waking on that CPU
# inside that softirq), timed without diagnose (bpftrace), as
# "netrx MEAN_US COUNT": the receive path a slow-netrx plant lengthens.
netrx_wake_truth() {
	timeout -k 10 -s INT "$2" bpftrace -q -e "
tracepoint:irq:softirq_entry /args->vec == 3/ { @e[cpu] = nsecs; }
tracepoint:irq:softirq_exit /args->vec == 3/ { @e[cpu] = 0; }
tracepoint:sched:sched_waking /args->pid == $1 && @e[cpu]/ { @netrx = stats(nsecs - @e[cpu]); }
END { clear(@e); }" 2>/dev/null |
	sed -n 's/^@\([a-z_]*\): count \([0-9]*\), average \([0-9]*\), total .*/\1 \3 \2/p' |
	awk '{ printf "%s %.1f %s\n", $1, $2 / 1000, $3 }'
}

# work_wake_truth TID FUNCTION SECONDS: for SECONDS, thread TID's wakeups
# from inside work item FUNCTION timed without diagnose (bpftrace), as
# "NAME MEAN_US COUNT": work from the item's workqueue_execute_start to
# the wakeup (sched_waking, keyed by the kworker), queue from its
# workqueue_queue_work to that start (the last queueing of that work
# before it ran), kworker_cpuN the wakeups made from a kworker on CPU N.
work_wake_truth() {
	timeout -k 10 -s INT "$3" bpftrace -q -e "
tracepoint:workqueue:workqueue_queue_work /args->function == kaddr(\"$2\")/ { @q[args->work] = nsecs; }
tracepoint:workqueue:workqueue_execute_start /args->function == kaddr(\"$2\")/ {
	@s[tid] = nsecs; @qs[tid] = @q[args->work]; delete(@q[args->work]); }
tracepoint:workqueue:workqueue_execute_end { delete(@s[tid]); delete(@qs[tid]); }
tracepoint:sched:sched_waking /args->pid == $1 && @s[tid]/ {
	@work = stats(nsecs - @s[tid]);
	if (@qs[tid]) { @queue = stats(@s[tid] - @qs[tid]); }
	@cpus[cpu] = count(); }
END { clear(@q); clear(@s); clear(@qs); }" 2>/dev/null | awk '
	/^@cpus\[/ { c = substr($1, 7, index($1, "]") - 7); printf "kworker_cpu%s 0 %s\n", c, $2; next }
	match($0, /^@[a-z_]+: count [0-9]+, average [0-9]+, total/) {
		name = substr($1, 2, length($1) - 2); printf "%s %.1f %s\n", name, $5 / 1000, $3 + 0 }'
}

plants_cleanup() {
	local p
	for p in "${PLANT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PLANT_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PLANT_PIDS=()
	remove_plant_cgroup
	remove_slow_netrx
	if [ -n "$PLANT_RPS_FILE" ] && [ -n "$PLANT_RPS_SAVED" ]; then
		echo "$PLANT_RPS_SAVED" >"$PLANT_RPS_FILE"
	fi
	PLANT_RPS_SAVED=""
	true
}

# Every culprit (comm pid) diagnose named in $1's verdict (all and tail).
diag_culprits() {
	jq -r '[.verdict.all, .verdict.tail] | .[] | .causes[]? | .culprits[]? | "\(.comm) \(.pid)"' "$1" | sort -u
}

# Whether any culprit in diagnose report $1 is one of process $2's threads
# or agentune itself (pid $3, or the comm): the observer and the target
# never delay themselves.  Prints the offenders.
culprits_innocent_named() {
	local comm pid bad=1
	while read -r comm pid; do
		if [ "$comm" = agentune ] || [ "$pid" = "$3" ] || [ -e "/proc/$2/task/$pid" ] ||
		   [[ $comm == agent-[cp][0-9]* ]]; then
			echo "named as culprit: $comm ($pid)"
			bad=0
		fi
	done < <(diag_culprits "$1")
	return $bad
}

# start_hog_nice CPU NICE: start_hog at that nice value.  With EEVDF (Linux
# 6.6+) a woken agent preempts a hog of equal weight at once (measured on
# this project's VM: a nice-0 hog does not raise the workload's latency);
# a hog at nice -10 weighs ~10x the agent, which then waits for it.
start_hog_nice() {
	cp /usr/bin/yes "$BATS_TEST_TMPDIR/agenthog"
	nice -n "$2" taskset -c "$1" "$BATS_TEST_TMPDIR/agenthog" >/dev/null &
	HOG_PID=$!
}

# CPU time (clock ticks, user + system) of process $1 so far.
proc_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ---------- a CPU kept warm (diagnose_causes.bats) ----------

# start_warm_spinner CPU: keeps CPU out of idle (a halt) the way a poll
# thread (the window controller's [pmqos] method = poll) does: a busy loop
# in user space under SCHED_IDLE -- the scheduler preempts it at once for
# any normal task -- pinned to CPU, named agentspin (a copy of the shell).
# Sets SPIN_PID; plants_cleanup (the teardown) kills it.
start_warm_spinner() {
	need_cmd chrt
	cp "$(readlink -f /bin/sh)" "$BATS_TEST_TMPDIR/agentspin"
	chrt --idle 0 taskset -c "$1" "$BATS_TEST_TMPDIR/agentspin" -c 'while :; do :; done' &
	SPIN_PID=$!
	PLANT_PIDS+=("$SPIN_PID")
	sleep 0.2
	chrt -p "$SPIN_PID" | grep -q SCHED_IDLE
}

# The idle ticks of CPU $1 (/proc/stat): a CPU kept warm has almost none.
cpu_idle_ticks() {
	awk -v c="cpu$1" '$1 == c { print $5 }' /proc/stat
}

# send_path_truth SECONDS: for SECONDS, the bundled workload's producers
# (agent-pN) timed without diagnose (bpftrace) from entering send() to the
# NET_RX raise it makes (the sender's own path, before the chain diagnose
# times begins), as "send MEAN_US COUNT".
send_path_truth() {
	timeout -k 10 -s INT "$1" bpftrace -q -e '
tracepoint:syscalls:sys_enter_sendto /strncmp(comm, "agent-p", 7) == 0/ { @s[tid] = nsecs; }
tracepoint:irq:softirq_raise /args->vec == 3 && @s[tid]/ { @send = stats(nsecs - @s[tid]); delete(@s[tid]); }
tracepoint:syscalls:sys_exit_sendto /@s[tid]/ { delete(@s[tid]); }
END { clear(@s); }' 2>/dev/null |
	sed -n 's/^@\([a-z_]*\): count \([0-9]*\), average \([0-9]*\), total .*/\1 \3 \2/p' |
	awk '{ printf "%s %.1f %s\n", $1, $2 / 1000, $3 }'
}

# wake_run_truth TID CPU SECONDS: for SECONDS, thread TID's wakeups timed
# without diagnose (bpftrace), each as "NAME MEAN_US COUNT": wake_run from
# sched_waking to its switch-in on CPU; ipi from sched_waking to the next
# reschedule or call-function IPI entry on CPU (the IPI that makes that CPU
# switch to it); ret from that switch-in to its return from epoll_wait
# (the return to user space, after what diagnose times).
wake_run_truth() {
	timeout -k 10 -s INT "$3" bpftrace -q -e "
tracepoint:sched:sched_waking /args->pid == $1/ { @w = nsecs; @ipi_open = 1; }
tracepoint:irq_vectors:reschedule_entry, tracepoint:irq_vectors:call_function_single_entry,
tracepoint:irq_vectors:call_function_entry
/cpu == $2 && @ipi_open/ { @ipi = stats(nsecs - @w); @ipi_open = 0; }
tracepoint:sched:sched_switch /args->next_pid == $1 && @w && cpu == $2/ {
	@wake_run = stats(nsecs - @w); @w = 0; @ipi_open = 0; @in = nsecs; }
tracepoint:syscalls:sys_exit_epoll_wait /tid == $1 && @in/ { @ret = stats(nsecs - @in); @in = 0; }
END { clear(@w); clear(@ipi_open); clear(@in); }" 2>/dev/null |
	sed -n 's/^@\([a-z_]*\): count \([0-9]*\), average \([0-9]*\), total .*/\1 \3 \2/p' |
	awk '{ printf "%s %.1f %s\n", $1, $2 / 1000, $3 }'
}
