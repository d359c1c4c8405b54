#!/usr/bin/env bats
# The bundled workload (tests/workload/README.md): its wake sources and what
# its JSON says about them.  Light on timing (counts, not latencies).
load helpers

setup() {
	[ -x "$AGENTLOOP" ] || skip "$AGENTLOOP not built (make tools)"
	need_cmd jq
}

@test "agentloop: every wake source wakes the consumer and names its path and its time origin" {
	local w want
	for w in eventfd pipe udp timerfd pty; do
		run "$AGENTLOOP" --wake "$w" --interval-us 1000 --steps 200 --warmup 10 --duration 10 --json --quiet
		[ "$status" -eq 0 ]
		echo "$w: $(jq -c '{samples, overrun, path, latency_from, mean: .wake_latency_us.mean}' <<<"$output")"
		case $w in
		eventfd|pipe) want='task agent-p send' ;;
		udp) want='softirq NET_RX send' ;;
		timerfd) want='timer timerfd_tmrproc expiry' ;;
		pty) want='workqueue flush_to_ldisc send' ;;
		esac
		[ "$(jq -r '"\(.path.kind) \(.path.via) \(.latency_from)"' <<<"$output")" = "$want" ]
		# every step is a sample or an overrun; samples carry a latency
		jq -e '.steps == 200 and .samples + .overrun + .unstamped == .steps and .samples > 0
		       and .wake_latency_us.count == .samples and .wake_latency_us.mean > 0
		       and .wake_latency_us.p50 <= .wake_latency_us.p99' <<<"$output"
	done
}

@test "agentloop: an unknown wake source is exit 2 naming the option, the value and the choices" {
	run "$AGENTLOOP" --wake carrier-pigeon
	[ "$status" -eq 2 ]
	[[ "$output" == *"--wake: 'carrier-pigeon' (eventfd|pipe|udp|timerfd|pty)"* ]]
}

@test "agentloop: --wake pty carries every stamp: each step reads what the producer wrote" {
	run "$AGENTLOOP" --wake pty --interval-us 500 --steps 1000 --warmup 0 --duration 20 --json --quiet
	[ "$status" -eq 0 ]
	echo "$output" | jq -c '{sent, steps, samples, missed, overrun, dropped}'
	# every event sent was consumed in some step: the bytes were not split
	# or lost on the way (a torn 8-byte stamp would desynchronise the count)
	jq -e '.dropped == 0 and .steps == 1000 and (.steps + .missed) <= .sent
	       and .sent - (.steps + .missed) <= 2' <<<"$output"
}

# The slow-deferred-work plant (diagnose_causes.bats, cause 5): a canonical
# pty with N bytes of line editing before each stamp line still carries
# every stamp whole, each step reading one line.
@test "agentloop: --wake pty --pty-edit-bytes carries every stamp line through the line editing" {
	run "$AGENTLOOP" --wake pty --pty-edit-bytes 8000 --interval-us 1000 --steps 500 --warmup 0 \
		--duration 20 --json --quiet
	[ "$status" -eq 0 ]
	echo "$output" | jq -c '{pty_edit_bytes, sent, steps, samples, missed, overrun, dropped, mean: .wake_latency_us.mean}'
	jq -e '.pty_edit_bytes == 8000 and .path.via == "flush_to_ldisc"
	       and .dropped == 0 and .steps == 500 and (.steps + .missed) <= .sent
	       and .sent - (.steps + .missed) <= 2 and .samples > 0' <<<"$output"
	# a stamp misread from the editing would be far from the clock
	jq -e '.wake_latency_us.max < 1000000 and .wake_latency_us.min > 0' <<<"$output"
}

@test "agentloop: --pty-edit-bytes without --wake pty, or out of range, is exit 2 naming the option" {
	run "$AGENTLOOP" --wake udp --pty-edit-bytes 100
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pty-edit-bytes needs --wake pty (it is --wake udp)"* ]]
	run "$AGENTLOOP" --wake pty --pty-edit-bytes -1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pty-edit-bytes: '-1'"* ]]
}
