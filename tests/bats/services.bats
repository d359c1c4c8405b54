#!/usr/bin/env bats
# irqbalance and tuned: enabled at boot (systemd wants links, sysv rc
# links), irqbalance's IRQBALANCE_BANNED_CPULIST and tuned's active
# profile, read under --root, in inspect's report and in apply's warnings,
# which say precisely what conflicts.  Fixture /etc trees laid over a
# synthetic host (genhost) that has IRQs a profile moves.
load helpers

GENHOST="$REPO/${B:-build}/tests/genhost"

# An 8-CPU host tree with the /etc of fixture $1 laid over it.
tree_with() {
	[ -x "$GENHOST" ] || skip "$GENHOST not built (make tools)"
	T="$BATS_TEST_TMPDIR/host"
	"$GENHOST" --cpus 8 --irqs 40 "$T" >/dev/null
	cp -a "$FIXTURES/$1/." "$T/"
}

@test "inspect --root: irqbalance and tuned enabled at boot, the banned list, tuned's profile" {
	tree_with services-etc-systemd
	run "$AGENTUNE" inspect --root "$T"
	[ "$status" -eq 0 ]
	[[ "$output" == *"irqbalance not running, enabled at boot (/etc/systemd/system/multi-user.target.wants/irqbalance.service); IRQBALANCE_BANNED_CPULIST=2-3 (/etc/default/irqbalance)"* ]]
	[[ "$output" == *"tuned not running, enabled at boot (/etc/systemd/system/multi-user.target.wants/tuned.service); active profile agent-net"* ]]
	run "$AGENTUNE" inspect --root "$T" --json
	jq -e '.services.irqbalance.enabled_at_boot == true and .services.irqbalance.banned_cpulist == "2-3"' <<<"$output"
	# the include chain: agent-net (/etc/tuned) -> network-latency -> latency-performance
	jq -e '.services.tuned.active_profile == "agent-net" and
	       (.services.tuned.profile_keys | index("sysctl.net.core.busy_read") and index("sysctl.net.core.busy_poll") and index("cpu.force_latency"))' <<<"$output"
	# a tree without /etc: unknown, not "not enabled"
	run "$AGENTUNE" inspect --root "$FIXTURES/virtio-net-2cpu" --json
	jq -e '.services.irqbalance.enabled_at_boot == null and .services.tuned.active_profile == null' <<<"$output"
}

@test "apply --dry-run: irqbalance's banned list against the agent CPUs, tuned's keys against the plan" {
	tree_with services-etc-systemd
	run "$AGENTUNE" apply $UNSAFE --dry-run --json --cpus 4-5 --root "$T" agent-network
	[ "$status" -eq 0 ]
	w=$(jq -r '.warnings[]' <<<"$output")
	echo "$w"
	# CPUs 4-5 are not banned: it will move the IRQs back; the fix bans both
	grep -F "irqbalance is not running now but is enabled at boot (/etc/systemd/system/multi-user.target.wants/irqbalance.service) and will move these IRQs back once it starts (IRQBALANCE_BANNED_CPULIST=2-3 in /etc/default/irqbalance leaves agent CPUs 4-5 to it)" <<<"$w"
	grep -F "IRQBALANCE_BANNED_CPULIST=2-5 in /etc/default/irqbalance" <<<"$w"
	# tuned: the keys of its chain that this plan also sets, and not the others
	grep -F "with profile 'agent-net', which sets sysctl.net.core.busy_read, sysctl.net.core.busy_poll" <<<"$w"
	! grep -F "vm.swappiness" <<<"$w"
	! grep -F "tcp_fastopen" <<<"$w"
	# agent CPUs 2-3 are banned: the milder warning
	run "$AGENTUNE" apply $UNSAFE --dry-run --json --cpus 2-3 --root "$T" agent-network
	w=$(jq -r '.warnings[]' <<<"$output")
	grep -F "IRQBALANCE_BANNED_CPULIST=2-3 in /etc/default/irqbalance keeps it off the agent CPUs 2-3" <<<"$w"
	! grep -F "will move these IRQs back" <<<"$w"
}

@test "sysv: an S link enables irqbalance, K links do not enable tuned; /etc/sysconfig/irqbalance" {
	tree_with services-etc-sysv
	run "$AGENTUNE" inspect --root "$T" --json
	jq -e '.services.irqbalance.enabled_by == "/etc/rc2.d/S01irqbalance" and
	       .services.irqbalance.banned_cpulist == "1" and .services.irqbalance.config == "/etc/sysconfig/irqbalance" and
	       .services.tuned.enabled_at_boot == false' <<<"$output"
	run "$AGENTUNE" apply $UNSAFE --dry-run --json --cpus 4-5 --root "$T" agent-latency
	[ "$status" -eq 0 ]
	jq -e '[.warnings[] | select(contains("IRQBALANCE_BANNED_CPULIST=1 in /etc/sysconfig/irqbalance leaves agent CPUs 4-5 to it"))] | length == 1' <<<"$output"
	jq -e '[.warnings[] | select(contains("tuned"))] | length == 0' <<<"$output"
}
