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
