#!/usr/bin/env bats
# inspect and snapshot on this machine.
load helpers

@test "inspect on the live host: text and JSON" {
	run "$AGENTUNE" inspect
	[ "$status" -eq 0 ]
	[[ "$output" == *"Interrupts"* ]]
	[[ "$output" == *"Findings"* ]]
	"$AGENTUNE" inspect --json >"$BATS_TEST_TMPDIR/live.json"
	jq -e '.host.root == "/" and .interrupts.available and (.cpus.online | length) > 0' \
		"$BATS_TEST_TMPDIR/live.json"
	# /dev/cpu_dma_latency can be read by root only; others get the reason
	if [ "$(id -u)" -eq 0 ]; then
		jq -e '.cpuidle.cpu_dma_latency_us != null' "$BATS_TEST_TMPDIR/live.json"
	else
		jq -e '(.cpuidle.cpu_dma_latency_why | length) > 0' "$BATS_TEST_TMPDIR/live.json"
	fi
}

@test "every virtio/PCI network IRQ names its device, vector, interface and NAPI" {
	need_pci_nic
	need_msix "$NIC_BDF"
	json=$("$AGENTUNE" inspect --json)
	# The queues' IRQs of the NIC: PCI address, vendor name from pci.ids, MSI-X vector.
	n=$(echo "$json" | jq --arg nic "$NIC" '[.interrupts.irqs[] | select(.device.interface == $nic)] | length')
	[ "$n" -ge 1 ]
	echo "$json" | jq -e --arg nic "$NIC" --arg bdf "$NIC_BDF" '[.interrupts.irqs[] | select(.device.interface == $nic)]
	  | all(.device.pci == $bdf and (.device.vendor | length) > 0 and .device.mode == "msix"
	        and .device.vector >= 0 and .device.kind == "net")'
	# every MSI-X vector sysfs lists for the function is one of its IRQs
	for v in /sys/bus/pci/devices/"$NIC_BDF"/msi_irqs/*; do
		echo "$json" | jq -e --arg bdf "$NIC_BDF" --argjson irq "$(basename "$v")" \
			'[.interrupts.irqs[] | select(.irq == $irq and .device.pci == $bdf)] | length == 1' >/dev/null ||
			{ echo "IRQ $(basename "$v") of $NIC_BDF missing"; return 1; }
	done
	if echo "$json" | jq -e '.network.napi.available' >/dev/null; then
		echo "$json" | jq -e --arg nic "$NIC" '[.interrupts.irqs[] | select(.device.interface == $nic and .device.napi_id != null)] | length >= 1'
	fi
}

# Where the kernel gives each NAPI instance its IRQ (the netdev family's
# NAPI "irq" attribute), inspect joins them by it.
@test "NAPI instances the kernel names an IRQ for are joined to that IRQ" {
	need_pci_nic
	json=$("$AGENTUNE" inspect --json)
	echo "$json" | jq -e '.network.napi.available' >/dev/null ||
		skip "no NAPI dump: the netdev generic netlink family is unavailable"
	echo "$json" | jq -e --arg nic "$NIC" '[.network.napi.instances[] | select(.interface == $nic and .irq != null)] | length > 0' >/dev/null ||
		skip "the kernel does not report the NAPI irq attribute (netdev family) for $NIC's instances"
	for pair in $(echo "$json" | jq -r --arg nic "$NIC" '.network.napi.instances[] | select(.interface == $nic and .irq != null) | "\(.irq):\(.id)"'); do
		echo "$json" | jq -e --argjson irq "${pair%%:*}" --argjson id "${pair#*:}" \
			'[.interrupts.irqs[] | select(.irq == $irq)] | length == 1 and .[0].device.napi_id == $id and .[0].device.napi_via == "irq"' ||
			{ echo "NAPI $pair not joined by its IRQ"; return 1; }
	done
}

@test "--sample gives per-CPU rates" {
	need_loc_row
	"$AGENTUNE" inspect --sample 200 --json | jq -e '.sample.interval_ms == 200
	  and (.interrupts.special[] | select(.label == "LOC") | .rate_per_s | length) > 0
	  and (.softirqs.vectors[0].rate_per_s | length) > 0'
	run "$AGENTUNE" inspect --sample 100
	[ "$status" -eq 0 ]
	[[ "$output" == *"/s"* ]]
}

@test "snapshot then inspect --root gives the live report, counters aside" {
	d="$BATS_TEST_TMPDIR/snap"
	"$AGENTUNE" inspect --json | strip_counters >"$BATS_TEST_TMPDIR/live.json"
	run "$AGENTUNE" snapshot "$d"
	[ "$status" -eq 0 ]
	[ -f "$d/proc/interrupts" ]
	"$AGENTUNE" inspect --root "$d" --json | strip_counters >"$BATS_TEST_TMPDIR/snap.json"
	diff -u "$BATS_TEST_TMPDIR/live.json" "$BATS_TEST_TMPDIR/snap.json"
	# No link in the snapshot points out of it.
	while IFS= read -r l; do
		t=$(readlink -f "$l" || true)
		[[ -z "$t" || "$t" == "$(readlink -f "$d")"* ]] || { echo "$l -> $t leaves the snapshot"; return 1; }
	done < <(find "$d" -type l)
}

@test "a snapshot of a snapshot is the same report to the counter" {
	d1="$BATS_TEST_TMPDIR/s1" d2="$BATS_TEST_TMPDIR/s2"
	"$AGENTUNE" snapshot "$d1" >/dev/null
	"$AGENTUNE" snapshot --root "$d1" "$d2" >/dev/null
	diff <("$AGENTUNE" inspect --root "$d1" --json | jq -S 'del(.host.root)') \
	     <("$AGENTUNE" inspect --root "$d2" --json | jq -S 'del(.host.root)')
}

@test "the NAPI instances go into the snapshot as a file" {
	"$AGENTUNE" inspect --json | jq -e '.network.napi.available' >/dev/null ||
		skip "no NAPI dump: the netdev generic netlink family is unavailable"
	d="$BATS_TEST_TMPDIR/snap"
	"$AGENTUNE" snapshot "$d" >/dev/null
	jq -e '.napi | length > 0' "$d/agentune/napi.json"
}

# The idle path of each CPU as inspect reports it, against what sysfs and
# procfs say on this machine (no cpuidle driver here; haltpoll elsewhere).
@test "inspect reports each CPU's idle path as the kernel sets it up" {
	"$AGENTUNE" inspect --json >"$BATS_TEST_TMPDIR/live.json"
	drv=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo "")
	idle_opt=$(sed -n 's/.*\<idle=\([a-z]*\).*/\1/p' <<<"$(sed 's/ -- .*//' /proc/cmdline)")
	for c in $(jq -r '.cpuidle.cpu[].cpu' "$BATS_TEST_TMPDIR/live.json"); do
		kind=$(jq -r --argjson c "$c" '.cpuidle.cpu[] | select(.cpu == $c) | .idle_path' "$BATS_TEST_TMPDIR/live.json")
		if [ "$idle_opt" = poll ]; then want=poll-boot
		elif [ "$drv" = none ]; then want=halt
		elif [ -d "/sys/devices/system/cpu/cpu$c/cpuidle" ]; then
			# a state with exit latency 0 polls; are there others?
			poll=0 other=0
			for s in /sys/devices/system/cpu/cpu$c/cpuidle/state*; do
				[ "$(cat "$s/disable" 2>/dev/null || echo 0)" = 1 ] && continue
				if [ "$(cat "$s/latency")" = 0 ] || [ "$(cat "$s/name")" = POLL ]; then poll=1; else other=1; fi
			done
			if [ $other = 0 ]; then want=poll-only; elif [ $poll = 1 ]; then want=states; else want=no-poll-state; fi
		else continue
		fi
		[ "$kind" = "$want" ] || { echo "cpu$c: idle_path $kind, want $want"; return 1; }
	done
	# the VM as /proc/cpuinfo says
	if grep -qw hypervisor /proc/cpuinfo; then
		jq -e '.cpuidle.idle_path.vm == true' "$BATS_TEST_TMPDIR/live.json"
	fi
	[ "$(jq -r '.cpuidle.idle_path.idle_option' "$BATS_TEST_TMPDIR/live.json")" = "$idle_opt" ]
	[ -d /sys/module/cpuidle_haltpoll ] && jq -e '.cpuidle.idle_path.haltpoll.in_kernel == true' "$BATS_TEST_TMPDIR/live.json"
	true
}

# This machine's kind: no cpuidle driver on a VM, where PM QoS has nothing to
# act on.  inspect says so, and names what does act, instead of "none".
@test "a VM without a cpuidle driver: the idle path line and the idle-exit-unavoidable finding" {
	[ "$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)" = none ] ||
		skip "this host has a cpuidle driver ($(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null))"
	grep -qw hypervisor /proc/cpuinfo || skip "no hypervisor flag in /proc/cpuinfo: not a VM"
	grep -qw 'idle=poll' <(sed 's/ -- .*//' /proc/cmdline) && skip "booted with idle=poll"
	run "$AGENTUNE" inspect
	[ "$status" -eq 0 ]
	online=$(cat /sys/devices/system/cpu/online)
	[[ "$output" == *"CPU"*" $online: no cpuidle driver: idle is HLT (VM"* ]]
	[[ "$output" != *"Findings"*"none: nothing on this host"* ]]
	[[ "$output" == *"(idle-exit-unavoidable)"* ]]
	"$AGENTUNE" inspect --json | jq -e '[.findings[] | select(.id == "idle-exit-unavoidable")] | length == 1
	    and (.[0].severity == "warning") and (.[0].knob | contains("[pmqos] method = poll"))
	    and (.[0].knob | contains("cpuidle_haltpoll.force=1")) and (.[0].knob | contains("idle=poll"))'
	# and no PM QoS knob is offered for a constraint that cannot act here
	"$AGENTUNE" inspect --json | jq -e '[.findings[] | select(.id == "deep-idle-unconstrained" or .id == "vm-halt-state-unconstrained")] | length == 0'
}
