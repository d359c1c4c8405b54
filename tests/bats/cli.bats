#!/usr/bin/env bats
# Command line: dispatch, help, exit codes.
load helpers

@test "--version prints the version" {
	run "$AGENTUNE" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^agentune\  ]]
}

@test "--version: VERSION's semantic version, the commit, libbpf's version and the features" {
	v=$(cat "$REPO/VERSION")
	[[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	run "$AGENTUNE" -V
	[ "$status" -eq 0 ]
	line1=$(head -1 <<<"$output")
	if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
		[[ "$line1" =~ ^agentune\ $v\+g[0-9a-f]{7}(\.dirty)?$ ]] || { echo "$line1"; false; }
	else
		[[ "$line1" == "agentune $v"* ]]
	fi
	[[ "$output" =~ $'\n'libbpf\ [0-9]+\.[0-9]+ ]]
	[[ "$output" == *"features: "*bpf-diagnose* ]]
}

@test "apply NAME is apply profile NAME" {
	a=$("$AGENTUNE" apply $UNSAFE --dry-run --json --cpus 1 --root "$FIXTURES/virtio-net-2cpu" agent-latency)
	b=$("$AGENTUNE" apply $UNSAFE --dry-run --json --cpus 1 --root "$FIXTURES/virtio-net-2cpu" profile agent-latency)
	[ "$a" = "$b" ]
	[ "$(jq -r '.profile.name' <<<"$a")" = agent-latency ]
}

@test "inspect --root on a directory with none of what inspect reads: says so, exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/empty/etc"
	run "$AGENTUNE" inspect --root "$BATS_TEST_TMPDIR/empty"
	[ "$status" -eq 2 ]
	[[ "$output" == *"holds none of what inspect reads"* ]]
	[[ "$output" != *"Findings"* ]]
	# one of them is enough to be a (partial) tree
	mkdir -p "$BATS_TEST_TMPDIR/empty/proc" && echo "cpu  1 2 3 4" >"$BATS_TEST_TMPDIR/empty/proc/stat"
	run "$AGENTUNE" inspect --root "$BATS_TEST_TMPDIR/empty"
	[ "$status" -eq 0 ]
}

@test "profile show --json: the profile's files and keys, in order" {
	run "$AGENTUNE" profile show agent-network --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .schema <<<"$output")" = agentune.profile/1 ]
	[ "$(jq -r .name <<<"$output")" = agent-network ]
	# agent-network includes agent-latency, which includes balanced
	[ "$(jq '.files | length' <<<"$output")" -eq 3 ]
	[ "$(jq -r '.files[0].keys[] | select(.section == "napi" and .key == "busy_poll") | .value' <<<"$output")" = 50us ]
	run "$AGENTUNE" profile show -j balanced
	[ "$status" -eq 0 ]
	jq -e '.files[0].path | endswith("balanced.profile")' <<<"$output"
}

@test "snapshot --json: a summary of what was captured" {
	run "$AGENTUNE" snapshot --json --root "$FIXTURES/virtio-net-2cpu" "$BATS_TEST_TMPDIR/snap"
	[ "$status" -eq 0 ]
	[ "$(jq -r .schema <<<"$output")" = agentune.snapshot/1 ]
	[ "$(jq .entries <<<"$output")" -ge 100 ]
	[ -f "$BATS_TEST_TMPDIR/snap/proc/interrupts" ]
	# what inspect found in it: the fixture's IRQ lines and interfaces
	[ "$(jq .irq_lines <<<"$output")" -eq "$(grep -c '^ *[0-9A-Z]*:' "$FIXTURES/virtio-net-2cpu/proc/interrupts")" ]
	[ "$(jq .interfaces <<<"$output")" -eq "$(ls "$FIXTURES/virtio-net-2cpu/sys/class/net" | wc -l)" ]
	[ "$(jq .napi_recorded <<<"$output")" = false ]
}

@test "status with nothing applied exits 0; its exit codes are in its --help" {
	export AGENTUNE_RUN_DIR="$BATS_TEST_TMPDIR/run"
	run "$AGENTUNE" status
	[ "$status" -eq 0 ]
	run "$AGENTUNE" status --help
	[[ "$output" == *"3 when"*"drifted"* ]]
}

@test "no command is a usage error (exit 2)" {
	run "$AGENTUNE"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Usage: agentune COMMAND"* ]]
}

@test "an unknown command is a usage error naming it" {
	run "$AGENTUNE" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
}

@test "help lists every command and each has --help" {
	run "$AGENTUNE" help
	[ "$status" -eq 0 ]
	for c in inspect snapshot; do
		[[ "$output" == *"$c"* ]]
		run "$AGENTUNE" "$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"Usage: agentune $c"* ]]
		run "$AGENTUNE" help "$c"
		[ "$status" -eq 0 ]
	done
}

@test "inspect rejects a bad --sample value, naming the option and value" {
	run "$AGENTUNE" inspect --sample abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sample: 'abc'"* ]]
	run "$AGENTUNE" inspect --sample 0
	[ "$status" -eq 2 ]
}

@test "inspect rejects an unknown option and a missing root" {
	run "$AGENTUNE" inspect --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	run "$AGENTUNE" inspect --root /nonexistent/agentune
	[ "$status" -eq 2 ]
	[[ "$output" == *"/nonexistent/agentune"* ]]
}

@test "snapshot refuses a directory that is not empty" {
	d=$(mktemp -d)
	touch "$d/keep"
	run "$AGENTUNE" snapshot "$d"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not an empty directory"* ]]
	[ -f "$d/keep" ]
	rm -rf "$d"
}

@test "a report that cannot be written fails the command (exit 1, says so), every command" {
	need_dev_full
	export AGENTUNE_RUN_DIR="$BATS_TEST_TMPDIR/run"
	for args in "--version" "help" "inspect --help" \
		"inspect --root $FIXTURES/virtio-net-2cpu" "inspect --json --root $FIXTURES/virtio-net-2cpu" \
		"profile list" "profile list --json" "profile show balanced" \
		"status" "status --json" "revert --dry-run" "revert --dry-run --json" \
		"apply $UNSAFE profile balanced --dry-run --cpus 1 --root $FIXTURES/virtio-net-2cpu" \
		"apply $UNSAFE profile balanced --dry-run --json --cpus 1 --root $FIXTURES/virtio-net-2cpu" \
		"top -b -n 1 --no-bpf"; do
		# shellcheck disable=SC2086
		run "$AGENTUNE" $args
		echo "agentune $args: $status"
		[ "$status" -eq 0 ]
		run bash -c "'$AGENTUNE' $args >/dev/full"
		echo "agentune $args >/dev/full: $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"writing the report: No space left on device"* ]]
	done
}
