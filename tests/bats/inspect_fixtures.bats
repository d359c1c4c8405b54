#!/usr/bin/env bats
# inspect on every captured host and every project fixture tree: text and JSON
# (validated with jq), never a crash.
load helpers

check_tree() {
	local root=$1
	run "$AGENTUNE" inspect --root "$root"
	[ "$status" -eq 0 ] || { echo "text: status $status on $root: $output" | tail -5; return 1; }
	[[ "$output" == *"Findings"* ]] || { echo "no Findings section for $root"; return 1; }
	"$AGENTUNE" inspect --root "$root" --json >"$BATS_TEST_TMPDIR/out.json" || return 1
	jq -e '.schema == "agentune.inspect/1" and (.findings | type == "array")
	       and (.interrupts | has("available")) and (.cpus | has("available"))' \
		"$BATS_TEST_TMPDIR/out.json" >/dev/null || { echo "bad JSON for $root"; return 1; }
}

@test "inspect works on every shared host capture" {
	need_shared
	n=0
	for root in "$SHARED_HOSTS"/*/; do
		check_tree "$root"
		n=$((n + 1))
	done
	[ "$n" -ge 30 ]
}

@test "inspect reads the 1152-CPU capture (decompressed)" {
	need_shared
	t="$BATS_TEST_TMPDIR/big"
	mkdir -p "$t/proc"
	bzip2 -dc "$SHARED_HOSTS/pcp-1152cpu-x86_64-i40e-lpfc/proc/interrupts.bz2" >"$t/proc/interrupts"
	"$AGENTUNE" inspect --root "$t" --json >"$t/out.json"
	jq -e '.interrupts.available and (.interrupts.cpus | length) == 1152
	       and (.interrupts.irqs | length) > 1000' "$t/out.json"
	# Text output stays bounded in width however many CPUs there are.
	"$AGENTUNE" inspect --root "$t" >"$t/out.txt"
	[ "$(awk '{ if (length > m) m = length } END { print m }' "$t/out.txt")" -lt 400 ]
}

@test "inspect works on every project fixture tree" {
	n=0
	for root in "$FIXTURES"/*/; do
		[ "$(basename "$root")" = bad ] && continue
		# profiles/ and the /etc-only trees (services-etc-*) are not host
		# roots: inspect says so, exit 2 (agentune(8), inspect --root)
		if [ ! -d "$root/proc" ] && [ ! -d "$root/sys" ]; then
			run "$AGENTUNE" inspect --root "$root"
			[ "$status" -eq 2 ] && [[ "$output" == *"holds none of what inspect reads"* ]] ||
				{ echo "$root: status $status: $output"; return 1; }
			continue
		fi
		check_tree "$root"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}

@test "bad input: exit 0 with the section unavailable naming file and line, or exit 2; never a crash" {
	for root in "$FIXTURES"/bad/*/; do
		run "$AGENTUNE" inspect --root "$root" --json
		[ "$status" -eq 0 ] || [ "$status" -eq 2 ] || { echo "status $status on $root"; return 1; }
		if [ "$status" -eq 0 ]; then
			echo "$output" | jq -e . >/dev/null || { echo "invalid JSON on $root"; return 1; }
		fi
	done
}

@test "bad input: a huge count names /proc/interrupts and its line" {
	root="$FIXTURES/bad/huge-counts"
	[ -d "$root" ] || skip "fixture bad/huge-counts absent"
	run "$AGENTUNE" inspect --root "$root" --json
	[ "$status" -eq 0 ]
	why=$(echo "$output" | jq -r '.interrupts.why')
	[[ "$why" == "/proc/interrupts line "* ]]
}

@test "bad input: empty and missing files are unavailable, not errors" {
	# a root with nothing inspect reads is not a host tree: exit 2, says so
	run "$AGENTUNE" inspect --root "$FIXTURES/bad/missing-dirs" --json
	[ "$status" -eq 2 ]
	[[ "$output" == *"holds none of what inspect reads"* ]]
	for case in empty-files; do
		root="$FIXTURES/bad/$case"
		[ -d "$root" ] || continue
		run "$AGENTUNE" inspect --root "$root" --json
		[ "$status" -eq 0 ]
		echo "$output" | jq -e '.interrupts.available == false and (.interrupts.why | length) > 0'
		echo "$output" | jq -e '.cpufreq.available == false'
	done
}

# Captured trees hold links either as real symbolic links, some dangling
# (their target not captured), or as link-files (regular files holding the
# link text): inspect reads both the same way.
LINKFILES="$REPO/tests/tools/linkfiles.sh"

# inspect --root DIR, JSON and text, with DIR written as ROOT.
report_of() {
	"$AGENTUNE" inspect --root "$1" --json | jq -S 'del(.host.root)'
	"$AGENTUNE" inspect --root "$1" | sed "s|$(readlink -f "$1")|ROOT|g; s|$1|ROOT|g"
}

@test "inspect --root: real dangling links give the report of the same tree with link-files" {
	a="$FIXTURES/dangling-symlinks-2cpu" b="$FIXTURES/dangling-linkfiles-2cpu"
	# the two fixtures are one tree in the two forms
	[ "$(find "$a" -type l | wc -l)" -ge 8 ]
	[ "$(find "$b" -type l | wc -l)" -eq 0 ]
	"$LINKFILES" to-linkfiles "$a" "$BATS_TEST_TMPDIR/b"
	diff -r -x README "$b" "$BATS_TEST_TMPDIR/b"
	diff -u <(report_of "$a") <(report_of "$b")
	# what the links say, dangling or not
	"$AGENTUNE" inspect --root "$a" --json >"$BATS_TEST_TMPDIR/a.json"
	jq -e '[.pci.functions[] | {bdf, driver}] == [
	         {bdf: "0000:00:00.0", driver: null}, {bdf: "0000:00:02.0", driver: "virtio-pci"},
	         {bdf: "0000:00:03.0", driver: "virtio-pci"}]' "$BATS_TEST_TMPDIR/a.json"
	jq -e '[.network.interfaces[] | {name, pci, driver}] == [
	         {name: "eth0", pci: "0000:00:03.0", driver: "virtio_net"},
	         {name: "eth1", pci: "0000:00:04.0", driver: null},
	         {name: "lo", pci: null, driver: null}]' "$BATS_TEST_TMPDIR/a.json"
	# and a snapshot of the tree keeps its dangling links as links
	"$AGENTUNE" snapshot --root "$a" "$BATS_TEST_TMPDIR/snap" >/dev/null
	[ -L "$BATS_TEST_TMPDIR/snap/sys/devices/pci0000:00/0000:00:03.0/driver" ]
	diff -u <("$AGENTUNE" inspect --root "$a" --json | jq -S 'del(.host.root)') \
		<("$AGENTUNE" inspect --root "$BATS_TEST_TMPDIR/snap" --json | jq -S 'del(.host.root)')
}

@test "inspect --root: every shared capture with its link-files made real links gives the same report" {
	need_shared
	n=0
	for root in "$SHARED_HOSTS"/*/; do
		name=$(basename "$root")
		[ -n "$("$LINKFILES" list "${root%/}" | head -1)" ] || continue
		"$LINKFILES" to-symlinks "${root%/}" "$BATS_TEST_TMPDIR/$name"
		[ -n "$(find "$BATS_TEST_TMPDIR/$name" -type l | head -1)" ]
		diff -u <(report_of "${root%/}") <(report_of "$BATS_TEST_TMPDIR/$name") ||
			{ echo "$name: the reports differ"; return 1; }
		rm -rf "${BATS_TEST_TMPDIR:?}/$name"
		n=$((n + 1))
	done
	echo "$n captures with link-files"
	[ "$n" -ge 10 ]
}

# The idle path on trees of each kind (tests/fixtures/idle-*: README in each).
@test "idle path and its findings on trees of each kind" {
	f() { "$AGENTUNE" inspect --root "$FIXTURES/$1" --json; }
	t() { "$AGENTUNE" inspect --root "$FIXTURES/$1"; }
	# no cpuidle driver on KVM: HLT, a VM exit; PM QoS cannot help
	t idle-none-kvm-2cpu | grep -qx '    CPUs 0-1: no cpuidle driver: idle is HLT (VM: KVM)'
	t idle-none-kvm-2cpu | grep -q 'haltpoll cpuidle driver: in the kernel (/sys/module/cpuidle_haltpoll), force=N'
	f idle-none-kvm-2cpu | jq -e '[.cpuidle.cpu[].idle_path] == ["halt", "halt"]
	    and .cpuidle.idle_path.vm and .cpuidle.idle_path.hypervisor == "KVM"
	    and .cpuidle.idle_path.idle_option == "" and .cpuidle.idle_path.haltpoll.force == false
	    and ([.findings[].id] == ["idle-exit-unavoidable"])'
	# haltpoll: POLL first, so a constraint helps, and says so
	t idle-haltpoll-kvm-2cpu | grep -qx '    CPUs 0-1: cpuidle haltpoll: POLL, then haltpoll idle (exit 1 us) (VM: KVM)'
	f idle-haltpoll-kvm-2cpu | jq -e '[.cpuidle.cpu[].idle_path] == ["states", "states"]
	    and ([.findings[].id] == ["vm-halt-state-unconstrained"])
	    and (.findings[0].knob | contains("resume_latency_us = n/a"))'
	# idle=poll: never halts, nothing to find
	f idle-poll-boot-2cpu | jq -e '[.cpuidle.cpu[].idle_path] == ["poll-boot", "poll-boot"]
	    and .cpuidle.idle_path.idle_option == "poll" and (.findings | length) == 0'
	# C1 only on a VM told by DMI: unavoidable; no haltpoll in its kernel
	f idle-c1-vm-2cpu | jq -e '[.cpuidle.cpu[].idle_path] == ["no-poll-state", "no-poll-state"]
	    and .cpuidle.idle_path.haltpoll.in_kernel == false
	    and ([.findings[].id] == ["idle-exit-unavoidable"])
	    and (.findings[0].knob | contains("NOT in this kernel"))'
	# deep C-states on a machine of its own: PM QoS is the fix
	f idle-deep-metal-2cpu | jq -e '[.cpuidle.cpu[].idle_path] == ["states", "states"]
	    and .cpuidle.idle_path.vm == false
	    and ([.findings[].id] == ["deep-idle-unconstrained"])'
	# offline CPUs list no states: offline, not unknown
	t intel-pstate-80cpu | grep -qx '    CPUs 76-79: offline'
	f intel-pstate-80cpu | jq -e '[.cpuidle.cpu[] | select(.cpu >= 76) | .idle_path_text] == ["offline", "offline", "offline", "offline"]'
	# a tree without these files: unknown, not a guess
	f virtio-net-2cpu | jq -e '.cpuidle.idle_path.vm == null and .cpuidle.idle_path.idle_option == null
	    and .cpuidle.idle_path.haltpoll.in_kernel == null and .cpuidle.cpu[0].idle_path == "unknown"'
}
