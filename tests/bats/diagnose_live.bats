#!/usr/bin/env bats
# agentune diagnose's chains and causes through this machine's real devices,
# each checked against what the kernel says without diagnose (/proc/interrupts,
# /sys/class/net, the NAPI polls bpftrace sees, the disk under a file):
#   - NET_RX through the NIC: ping replies from the default gateway arrive by
#     the NIC's IRQ -> NET_RX -> its NAPI instance;
#   - a NAPI poll that used its whole budget (the NIC's IRQs deferred so that
#     replies pile up: napi_defer_hard_irqs + gro_flush_timeout);
#   - block I/O: O_DIRECT reads of a file on a disk file system;
#   - migration: the agent pushed between two CPUs, and pinned;
#   - frequency: unavailable without cpufreq, with the reason.
# They change live state (the NIC's deferral, affinities) and depend on
# timing: run them under the lock,
#   flock /work/live-tests.lock bats tests/bats/diagnose_live.bats
# Needs root and BPF; says SKIP otherwise, and when the premise is missing
# (nothing outside answers ICMP, no disk file system, one CPU).
load helpers

DG="" NIC="" GW="" DEFER_SAVED="" GRO_SAVED="" PING_PID="" DD_PID="" TOGGLE_PID="" DIAG_PID=""

setup() {
	DG=$BATS_TEST_TMPDIR/dg.json
	WL_PID="" PING_PID="" DD_PID="" TOGGLE_PID="" DIAG_PID="" DEFER_SAVED="" GRO_SAVED=""
}

# Runs even when a test fails: the NIC's settings back, every process ended.
teardown() {
	[ -n "$TOGGLE_PID" ] && kill "$TOGGLE_PID" 2>/dev/null
	[ -n "$DIAG_PID" ] && kill "$DIAG_PID" 2>/dev/null
	[ -n "$PING_PID" ] && kill -CONT "$PING_PID" 2>/dev/null && kill "$PING_PID" 2>/dev/null
	[ -n "$DD_PID" ] && kill "$DD_PID" 2>/dev/null
	if [ -n "$DEFER_SAVED" ]; then echo "$DEFER_SAVED" >"/sys/class/net/$NIC/napi_defer_hard_irqs"; fi
	if [ -n "$GRO_SAVED" ]; then echo "$GRO_SAVED" >"/sys/class/net/$NIC/gro_flush_timeout"; fi
	stop_workload
	wait 2>/dev/null
	true
}

# The default route's interface and gateway; SKIP unless the interface is a
# device (not virtual) and the gateway answers ICMP.
need_gateway_nic() {
	need_bpf
	need_cmd jq
	need_cmd ping
	read -r GW NIC < <(ip route show default | awk '{ for (i = 1; i < NF; i++) {
		if ($i == "via") g = $(i + 1); if ($i == "dev") d = $(i + 1) } print g, d; exit }')
	[ -n "$NIC" ] && [ -n "$GW" ] || skip "no default route through a gateway"
	[ -e "/sys/class/net/$NIC/device" ] || skip "$NIC is not a device (no /sys/class/net/$NIC/device)"
	ping -c 3 -W 1 -q "$GW" >/dev/null 2>&1 || skip "the gateway $GW does not answer ICMP: nothing outside answers"
}

# The IRQ numbers of the NIC's PCI function (MSI-X vectors), one a line.
nic_irqs() {
	local dev
	dev=$(readlink -f "/sys/class/net/$NIC/device")
	ls "$dev/msi_irqs" 2>/dev/null || ls "$dev/../msi_irqs" 2>/dev/null
}

# The action name of IRQ $1 in /proc/interrupts (the last field).
irq_action() {
	awk -v n="$1:" '$1 == n { print $NF; exit }' /proc/interrupts
}

@test "NET_RX through the NIC: ping replies from the gateway -> the NIC's IRQ, NET_RX, its NAPI device and id" {
	need_gateway_nic
	ping -i 0.01 -q "$GW" >/dev/null 2>&1 &
	PING_PID=$!
	"$AGENTUNE" diagnose --pid "$PING_PID" --duration 3 --slowest 400 --json >"$DG"
	irqs=$(nic_irqs | sort -n | tr '\n' ' ')
	echo "NIC $NIC ($(basename "$(readlink -f "/sys/class/net/$NIC/device")")), gateway $GW, IRQs: $irqs"
	for i in $irqs; do echo "  IRQ $i $(irq_action "$i")"; done
	jq -c '.slowest[].chain | select(.softirq == "NET_RX") | {irq, irq_name, napi_device, napi_id, text}' "$DG" | head -5
	[ -n "$irqs" ]
	# the replies came through NET_RX: some slow steps have that chain
	n=$(jq '[.slowest[].chain | select(.softirq == "NET_RX")] | length' "$DG")
	echo "NET_RX chains among the $(jq '.slowest | length' "$DG") slowest steps: $n; steps $(jq .steps "$DG")"
	[ "$n" -gt 0 ]
	# each names one of the NIC's IRQs as /proc/interrupts names it ...
	bad=0 rx=0
	while read -r irq name; do
		[ "$irq" = null ] && continue
		want=$(irq_action "$irq")
		if ! grep -qw "$irq" <<<"$irqs" || [ "$name" != "$want" ]; then
			echo "chain names IRQ $irq '$name'; the NIC's IRQs are $irqs, /proc/interrupts says '$want'"
			bad=1
		fi
		[[ $name == *input* || $name == *rx* ]] && rx=1
	done < <(jq -r '.slowest[].chain | select(.softirq == "NET_RX") | "\(.irq) \(.irq_name)"' "$DG")
	[ "$bad" -eq 0 ]
	[ "$rx" -eq 1 ]	# ... at least one its receive queue's
	# a softirq run at irq exit or bh enable follows its raise within
	# microseconds here: no chain starts at a raise left over from before
	# the programs attached (seen at 16-24 ms before the attach order fix)
	jq -e '[.slowest[].chain | select(.softirq == "NET_RX" and (.in_ksoftirqd | not))
	        | .completion_us] | all(. < 5000)' "$DG"
	# ... and the NAPI polled is the NIC's, with the id the netdev family gives
	jq -e --arg n "$NIC" '[.slowest[].chain | select(.softirq == "NET_RX") | .napi_device]
	       | (map(select(. != null)) | length > 0) and all(. == null or . == $n)' "$DG"
	ids=$("$AGENTUNE" inspect --json | jq -r --arg n "$NIC" \
		'[.. | objects | select(.interface? == $n and .napi_id? != null) | .napi_id] | unique | .[]')
	echo "NAPI ids of $NIC (agentune inspect, netdev netlink): ${ids:-none}"
	if [ -n "$ids" ]; then
		jq -e --argjson ids "[$(echo $ids | tr ' ' ',')]" \
			'[.slowest[].chain | select(.softirq == "NET_RX" and .napi_id != null) | .napi_id]
			 | length > 0 and all(. as $i | $ids | index($i) != null)' "$DG"
	fi
	# the text report shows the same chain in one line
	run "$AGENTUNE" diagnose --pid "$PING_PID" --duration 2 --slowest 400
	[ "$status" -eq 0 ]
	echo "$output" | grep -m1 "NET_RX (irq exit"
	echo "$output" | grep -q "napi $NIC id [0-9]"
}

# Replies pile up when the NIC's interrupts are deferred (the poll is
# re-armed by a 2 ms timer instead), so one poll may hold more than its
# budget (64): bpftrace counts those polls, diagnose must see some of the
# agent's wakeups in them, never more than there were.
@test "NET_RX: a NAPI poll that used its whole budget is said so (NIC interrupts deferred, ping flood)" {
	need_gateway_nic
	need_cmd bpftrace
	[ -w "/sys/class/net/$NIC/napi_defer_hard_irqs" ] && [ -w "/sys/class/net/$NIC/gro_flush_timeout" ] ||
		skip "$NIC has no writable napi_defer_hard_irqs / gro_flush_timeout"
	DEFER_SAVED=$(cat "/sys/class/net/$NIC/napi_defer_hard_irqs")
	GRO_SAVED=$(cat "/sys/class/net/$NIC/gro_flush_timeout")
	echo 100 >"/sys/class/net/$NIC/napi_defer_hard_irqs"
	echo 2000000 >"/sys/class/net/$NIC/gro_flush_timeout"
	# How full the polls get varies from run to run (the gateway's pace):
	# up to three tries for one with at least 10 polls at their budget,
	# where some of ping's wakeups must land.
	for try in 1 2 3; do
		napi_budget_try
		[ "${full:-0}" -ge 10 ] && break
	done
	[ "${full:-0}" -ge 10 ] || skip "the plant filled too few polls to check (${full:-0} of ${polls:-0} polls of $NIC at their budget, 3 tries)"
	[ "$seen" -gt 0 ]
	[ "$seen" -le "$full" ]
	jq -e '.features.napi_device.available' "$DG"
}

# One try of the budget plant: ping (stopped before it starts, so that
# diagnose sees it from its first packet) flooding the gateway, bpftrace
# counting the NIC's polls over the same time; sets full, polls, seen.
napi_budget_try() {
	bash -c 'kill -STOP $$; exec ping -f -l 128 -w 8 -q "$0"' "$GW" >/dev/null 2>&1 &
	PING_PID=$!
	for _ in $(seq 100); do [ "$(awk '{ print $3 }' "/proc/$PING_PID/stat")" = T ] && break; sleep 0.01; done
	timeout -s INT 8 bpftrace -q -e "tracepoint:napi:napi_poll /str(args->dev_name) == \"$NIC\"/ {
		@polls = count(); if (args->work >= args->budget) { @full = count(); } }" \
		>"$BATS_TEST_TMPDIR/napi.txt" 2>/dev/null &
	bt=$!
	"$AGENTUNE" diagnose --pid "$PING_PID" --duration 5 --json >"$DG" &
	DIAG_PID=$!
	wait_bpf_attached "$DIAG_PID"
	kill -CONT "$PING_PID"
	wait "$DIAG_PID"
	DIAG_PID=""
	wait "$bt" || true
	kill "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null || true
	PING_PID=""
	full=$(awk '/^@full:/ { print $2 }' "$BATS_TEST_TMPDIR/napi.txt")
	polls=$(awk '/^@polls:/ { print $2 }' "$BATS_TEST_TMPDIR/napi.txt")
	seen=$(jq '.chains.napi_budget_exhausted' "$DG")
	echo "try $try: bpftrace over 8 s: $NIC polls ${polls:-0}, ${full:-0} used the whole budget; diagnose (5 s within, from ping's start): $seen of $(jq .steps "$DG") ping wakeups in such a poll"
}

@test "block I/O: O_DIRECT reads of a file on the disk -> block chains naming the disk, the thread's own requests" {
	need_bpf
	need_cmd jq
	f=$BATS_TEST_TMPDIR/direct.img
	fstype=$(stat -f -c %T "$BATS_TEST_TMPDIR")
	case $fstype in tmpfs|ramfs|overlayfs|nfs*|fuse*) skip "$BATS_TEST_TMPDIR is on $fstype, not a disk";; esac
	src=$(findmnt -n -o SOURCE --target "$BATS_TEST_TMPDIR" | head -1)
	[ -b "$src" ] || skip "$BATS_TEST_TMPDIR is not on a block device ($src)"
	disk=$(lsblk -ndo PKNAME "$src" 2>/dev/null)
	[ -n "$disk" ] || disk=$(basename "$(readlink -f "$src")")
	dd if=/dev/zero of="$f" bs=1M count=128 conv=fsync status=none
	dd if="$f" of=/dev/null iflag=direct bs=4k 2>"$BATS_TEST_TMPDIR/dd.err" &
	DD_PID=$!
	sleep 0.2
	"$AGENTUNE" diagnose --pid "$DD_PID" --duration 2 --json >"$DG"
	wait "$DD_PID"
	DD_PID=""
	cat "$BATS_TEST_TMPDIR/dd.err"
	# dd's own time per read: every 4 KiB read waits for its request
	per_read=$(awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") t = $(i - 1) } END { print t * 1e6 / 32768 }' \
		"$BATS_TEST_TMPDIR/dd.err")
	echo "file on $src (disk $disk, $fstype); dd: $per_read us per read"
	jq -c '{steps, chains: .chains.kinds, block_io: .stages.block_io | {count, mean_us, p50_us},
	        completion: .stages.completion | {mean_us, p50_us}, first: .slowest[0].chain.text}' "$DG"
	jq -e '.steps > 100 and .chains.kinds.block >= 0.9 * .steps' "$DG"
	jq -e --arg d "$disk" '[.slowest[].chain | select(.kind == "block")]
	       | length > 0 and all(.disk == $d and .own_request)' "$DG"
	# plausible times: the request (issue -> complete) within dd's time per
	# read, the chain (complete -> wakeup) a small part of it
	jq -e --argjson pr "$per_read" '.stages.block_io.count > 100
	       and .stages.block_io.mean_us > 0 and .stages.block_io.mean_us < $pr
	       and .stages.completion.mean_us < 0.5 * .stages.block_io.mean_us' "$DG"
}

# The agent (1000 steps/s, 200 us of work each) is allowed on one CPU at a
# time, switched every 20 ms: the step after each switch runs on the other
# CPU.  The count of migrated steps is bounded by the switches made; each
# carries the run time it lost; pinned, there is none.
@test "migration: an agent pushed between two CPUs -> migrated steps and the migration cause with its cost; pinned, none" {
	need_bpf
	need_cpus 2
	need_cmd jq
	need_cmd taskset
	start_workload --interval-us 1000 --work-us 200 --duration 20
	taskset -pc 0 "$WL_TID" >/dev/null
	( n=0; while :; do taskset -pc $((n % 2)) "$WL_TID" >/dev/null 2>&1 || exit 0
		n=$((n + 1)); echo "$n" >"$BATS_TEST_TMPDIR/toggles"; sleep 0.02; done ) &
	TOGGLE_PID=$!
	"$AGENTUNE" diagnose --pid "$WL_PID" --tid "$WL_TID" --duration 3 --json >"$DG"
	kill "$TOGGLE_PID"
	wait "$TOGGLE_PID" 2>/dev/null || true
	TOGGLE_PID=""
	toggles=$(cat "$BATS_TEST_TMPDIR/toggles")
	moved=$(jq '.chains.migrated_steps' "$DG")
	echo "affinity switched $toggles times in all; diagnose: $moved of $(jq .steps "$DG") steps migrated"
	jq -c '.verdict.all.causes[] | select(.cause == "migration") | {share, delay_us, steps, evidence}' "$DG"
	[ "$moved" -ge $((toggles / 4)) ]
	[ "$moved" -le $((toggles + 2)) ]
	jq -e '[.verdict.all.causes[] | select(.cause == "migration")] | length == 1
	       and .[0].delay_us > 0 and .[0].knob != null
	       and (.[0].evidence | test("[0-9]+ steps ran on another CPU"))' "$DG"
	stop_workload
	start_workload --cpu 1 --interval-us 1000 --work-us 200 --duration 20
	"$AGENTUNE" diagnose --pid "$WL_PID" --tid "$WL_TID" --duration 2 --json >"$DG"
	echo "pinned: $(jq '.chains.migrated_steps' "$DG") of $(jq .steps "$DG") steps migrated"
	jq -e '.steps > 500 and .chains.migrated_steps == 0
	       and ([.verdict.all.causes[], .verdict.tail.causes[] | select(.cause == "migration")] | length == 0)
	       and ([.slowest[].migration.moved] | any | not)' "$DG"
}

@test "frequency: without cpufreq the report says it is unavailable and why, text and JSON; with it, each step's clock" {
	need_bpf
	need_cmd jq
	start_workload --cpu 0 --interval-us 1000 --duration 10
	"$AGENTUNE" diagnose --pid "$WL_PID" --tid "$WL_TID" --duration 1 --json >"$DG"
	run "$AGENTUNE" diagnose --pid "$WL_PID" --tid "$WL_TID" --duration 1
	[ "$status" -eq 0 ]
	if ! ls -d /sys/devices/system/cpu/cpu[0-9]*/cpufreq >/dev/null 2>&1; then
		echo "$output" | grep "feature frequency unavailable"
		[[ $output == *"feature frequency unavailable: no cpufreq driver"* ]]
		[[ $output != *MHz* ]]
		jq -e '.features.frequency.available == false
		       and (.features.frequency.why | test("cpufreq"))
		       and ([.slowest[].freq_khz] | all(. == null))
		       and ([.tracepoints[] | select(.name == "power:cpu_frequency") | .attached] == [false])' "$DG"
	else
		jq -e '.features.frequency.available and (.slowest | length > 0)
		       and ([.slowest[] | .freq_khz > 0 and .freq_max_khz > 0] | all)' "$DG"
		[[ $output == *"MHz ("*"% of max)"* ]]
	fi
}
