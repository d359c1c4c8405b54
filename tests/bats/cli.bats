#!/usr/bin/env bats
# Command line: dispatch, help, exit codes.
load helpers

@test "--version prints the version" {
	run "$AGENTUNE" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^agentune\  ]]
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
