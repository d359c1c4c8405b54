#!/usr/bin/env bats
# agentune evaluate, live: baseline and profile phases on the bundled
# workload, both printed with the ratio; the JSON has the schema's fields;
# and the host ends as it was found (agentune snapshot before and after the
# same, no journal, no window controller): after a normal run, after
# SIGTERM or SIGINT while the profile is applied, and when the agent exits
# in the middle.  A profile already applied is refused.  Changes the host:
# run under the shared lock (flock /work/live-tests.lock bats ...).
load helpers

CPU=1

setup() {
	WL_PID="" EV_PID=""
	run_dir_on_tmpfs
}

teardown() {
	[ -n "${EV_PID:-}" ] && kill -KILL "$EV_PID" 2>/dev/null
	if [ -d "$AGENTUNE_RUN_DIR" ] && [ "$(id -u)" -eq 0 ]; then
		"$AGENTUNE" revert --force >/dev/null 2>&1 || true
	fi
	stop_workload
	release_run_dir
	true
}

need_evaluate() {
	need_bpf
	need_cpus 2
	need_cmd jq
}

# The agent: the bundled workload's consumer on CPU 1.
start_agent() {
	start_workload --cpu "$CPU" --duration "${1:-0}"
}

snap() {
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/$1" >/dev/null
}

# Nothing of agentune's left: no journal, no controller, the host as the
# snapshot "before" holds it.
host_as_found() {
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ] || { echo "journal left:"; cat "$AGENTUNE_RUN_DIR/journal"; return 1; }
	[ ! -e "$AGENTUNE_RUN_DIR/window.pid" ] || { echo "controller left: $(cat "$AGENTUNE_RUN_DIR/window.pid")"; return 1; }
	run "$AGENTUNE" status
	[ "$status" -eq 0 ] || { echo "status: $output"; return 1; }
	snap after
	snap_same "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "evaluate: bad options are named with their value" {
	run "$AGENTUNE" evaluate agent-latency --pid 1 --rounds 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--rounds: '0' is not a number of rounds (1-100)"* ]]
	run "$AGENTUNE" evaluate agent-latency --pid 1 --duration 1.5
	[ "$status" -eq 2 ]
	[[ "$output" == *"--duration: '1.5' is not a number of seconds (1-3600)"* ]]
	run "$AGENTUNE" evaluate agent-latency --pid abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid: 'abc' is not a process id"* ]]
	run "$AGENTUNE" evaluate agent-latency
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid is required"* ]]
	run "$AGENTUNE" evaluate --pid 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"which profile?"* ]]
	run "$AGENTUNE" evaluate agent-latency --pid 1 --cpus x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cpus: 'x' is not a CPU list"* ]]
}

@test "evaluate: 2 rounds x 1 s print both phases, the ratio and the spread; the host is as found" {
	need_evaluate
	start_agent
	snap before
	run "$AGENTUNE" evaluate $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" --rounds 2 --duration 1
	echo "$output"
	[ "$status" -eq 0 ]
	# the table: medians of both kinds, the ratio, both ranges, the verdict
	line=$(grep '^wake->run p50 us' <<<"$output")
	read -r -a f <<<"${line#wake->run p50 us}"
	[[ ${f[0]} =~ ^[0-9]+\.[0-9]$ ]] && [[ ${f[1]} =~ ^[0-9]+\.[0-9]$ ]]
	# the ratio printed is profile / baseline
	awk -v b="${f[0]}" -v p="${f[1]}" -v r="${f[2]}" 'BEGIN { d = p / b - r; exit !(d < 0.006 && d > -0.006) }'
	[[ ${f[3]} =~ ^[0-9.]+-[0-9.]+$ ]] && [[ ${f[4]} =~ ^[0-9.]+-[0-9.]+$ ]]
	[[ ${f[5]} == yes || ${f[5]} == no ]]
	grep -q '^steps/s ' <<<"$output"
	grep -q '^warm CPU time s ' <<<"$output"
	grep -Eq 'wake->run p50: the profile is [0-9.]+x baseline' <<<"$output"
	[ "$(grep -cE '^  round [12] (baseline|profile) ' <<<"$output")" -eq 4 ]
	[[ "$output" == *"Host: as it was found"* ]]
	host_as_found
}

@test "evaluate --json: agentune.evaluate/1 with baseline and profile figures per round" {
	need_evaluate
	start_agent
	run "$AGENTUNE" evaluate $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" --rounds 2 --duration 1 --json
	[ "$status" -eq 0 ]
	js=$output
	[ "$(jq -r .schema <<<"$js")" = agentune.evaluate/1 ]
	for k in baseline profile; do
		for f in p50_us p90_us p99_us p999_us steps_per_s warm_cpu_s; do
			jq -e --arg k "$k" --arg f "$f" '.[$k][$f] | type == "number"' <<<"$js" >/dev/null ||
				{ echo "$k.$f: $(jq -c --arg k "$k" '.[$k]' <<<"$js")"; return 1; }
			jq -e --arg k "$k" --arg f "$f" '.[$k].spread[$f] | .min <= .max' <<<"$js" >/dev/null
		done
		[ "$(jq --arg k "$k" '.[$k].rounds | length' <<<"$js")" -eq 2 ]
		jq -e --arg k "$k" '.[$k].rounds | all(.steps > 0 and .p50_us > 0 and .round >= 1)' <<<"$js" >/dev/null
		# the agent steps about 1000 times a second (plus its producer)
		jq -e --arg k "$k" '.[$k].steps_per_s > 500' <<<"$js" >/dev/null
	done
	# no controller in the baseline: no warm cost there
	jq -e '.baseline.warm_cpu_s == 0' <<<"$js" >/dev/null
	jq -e '(.compare.p50_us.ratio - (.profile.p50_us / .baseline.p50_us)) | fabs < 1e-9' <<<"$js" >/dev/null
	jq -e '.compare.p50_us.exceeds_noise | type == "boolean"' <<<"$js" >/dev/null
	jq -e '.host_restored == true and .interrupted == false and .agent_exited == false' <<<"$js" >/dev/null
	[ "$(jq -r .target.pid <<<"$js")" -eq "$WL_PID" ]
	[ "$(jq -r .target.cpus <<<"$js")" = "$CPU" ]
}

# Starts evaluate in the background (one long profile phase); waits until
# the profile is applied and its phase measured.  CTL_PID: the window
# controller agent-latency starts, where this build starts one for it.
start_evaluate_until_applied() {
	"$AGENTUNE" evaluate $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" --rounds 1 \
		--duration 20 >"$BATS_TEST_TMPDIR/ev.out" 2>"$BATS_TEST_TMPDIR/ev.err" &
	EV_PID=$!
	for _ in $(seq 600); do
		grep -q 'agent-latency applied, measuring' "$BATS_TEST_TMPDIR/ev.err" && break
		kill -0 "$EV_PID" 2>/dev/null || { cat "$BATS_TEST_TMPDIR/ev.err"; return 1; }
		sleep 0.05
	done
	grep -q 'agent-latency applied, measuring' "$BATS_TEST_TMPDIR/ev.err"
	[ -e "$AGENTUNE_RUN_DIR/journal" ]
	CTL_PID=""
	if [ -s "$AGENTUNE_RUN_DIR/window.pid" ]; then
		CTL_PID=$(cut -d' ' -f1 "$AGENTUNE_RUN_DIR/window.pid")
		kill -0 "$CTL_PID"
	fi
}

# $1: the signal.  Killed while the profile is on, evaluate reverts,
# reports, exits 1, and leaves nothing.
killed_mid_profile() {
	need_evaluate
	start_agent
	snap before
	start_evaluate_until_applied
	sleep 1
	kill -"$1" "$EV_PID"
	local rc=0
	wait "$EV_PID" || rc=$?
	EV_PID=""
	cat "$BATS_TEST_TMPDIR/ev.out" "$BATS_TEST_TMPDIR/ev.err"
	[ "$rc" -eq 1 ]
	grep -q "ended early: $2 during the profile phase of round 1" "$BATS_TEST_TMPDIR/ev.err"
	grep -q "the host was put back as it was found" "$BATS_TEST_TMPDIR/ev.err"
	grep -q '^  round 1 profile .*(cut short)' "$BATS_TEST_TMPDIR/ev.out"
	# the controller (if the profile started one) is gone with the revert
	[ -z "$CTL_PID" ] || ! kill -0 "$CTL_PID" 2>/dev/null
	host_as_found
}

@test "evaluate: SIGTERM while the profile is applied: reverted, reported, exit 1, the host as found" {
	killed_mid_profile TERM Terminated
}

@test "evaluate: SIGINT (Ctrl-C) while the profile is applied: the same" {
	killed_mid_profile INT Interrupt
}

@test "evaluate: the agent exits mid-run: the run ends, the profile is reverted, a clear message" {
	need_evaluate
	start_agent 4
	snap before
	run "$AGENTUNE" evaluate $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" --rounds 3 --duration 2
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ended early: the agent (pid $WL_PID) exited during "* ]]
	[[ "$output" == *"the host was put back as it was found"* ]]
	# what was measured before it exited is reported
	grep -q '^  round 1 baseline ' <<<"$output"
	wait "$WL_PID" || true
	WL_PID=""
	host_as_found
}

@test "evaluate: refused while a profile is applied, which it leaves as it is" {
	need_evaluate
	start_agent
	"$AGENTUNE" apply $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" >/dev/null
	cp "$AGENTUNE_RUN_DIR/journal" "$BATS_TEST_TMPDIR/journal.before"
	run "$AGENTUNE" evaluate $UNSAFE agent-latency --pid "$WL_PID" --cpus "$CPU" --rounds 1 --duration 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"a profile is already applied"*"agentune revert"* ]]
	cmp "$AGENTUNE_RUN_DIR/journal" "$BATS_TEST_TMPDIR/journal.before"
	run "$AGENTUNE" status
	[ "$status" -eq 0 ]
}
