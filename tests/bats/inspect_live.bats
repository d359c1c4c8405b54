#!/usr/bin/env bats
# inspect and snapshot on this machine.
load helpers

@test "inspect on the live host: text and JSON" {
	run "$AGENTUNE" inspect
	[ "$status" -eq 0 ]
	[[ "$output" == *"Interrupts"* ]]
	[[ "$output" == *"Findings"* ]]
	"$AGENTUNE" inspect --json | jq -e '.host.root == "/" and .interrupts.available
	  and (.cpus.online | length) > 0 and .cpuidle.cpu_dma_latency_us != null'
}

@test "every virtio/PCI network IRQ names its device, vector, interface and NAPI" {
	[ -e /sys/class/net/eth0/device ] || skip "no eth0 backed by a device"
	json=$("$AGENTUNE" inspect --json)
	# The queues' IRQs of eth0: PCI address, vendor name from pci.ids, MSI-X vector.
	n=$(echo "$json" | jq '[.interrupts.irqs[] | select(.device.interface == "eth0")] | length')
	[ "$n" -ge 1 ]
	bdf=$(basename "$(readlink -f /sys/class/net/eth0/device/..)")
	case "$bdf" in *:*:*.*) ;; *) bdf=$(basename "$(readlink -f /sys/class/net/eth0/device)");; esac
	echo "$json" | jq -e --arg bdf "$bdf" '[.interrupts.irqs[] | select(.device.interface == "eth0")]
	  | all(.device.pci == $bdf and (.device.vendor | length) > 0 and .device.mode == "msix"
	        and .device.vector >= 0 and .device.kind == "net")'
	if echo "$json" | jq -e '.network.napi.available' >/dev/null; then
		echo "$json" | jq -e '[.interrupts.irqs[] | select(.device.interface == "eth0" and .device.napi_id != null)] | length >= 1'
	fi
}

@test "--sample gives per-CPU rates" {
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
	"$AGENTUNE" inspect --json | jq -e '.network.napi.available' >/dev/null || skip "netdev netlink family unavailable here"
	d="$BATS_TEST_TMPDIR/snap"
	"$AGENTUNE" snapshot "$d" >/dev/null
	jq -e '.napi | length > 0' "$d/agentune/napi.json"
}
