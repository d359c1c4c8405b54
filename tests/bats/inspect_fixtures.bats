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
	for case in empty-files missing-dirs; do
		root="$FIXTURES/bad/$case"
		[ -d "$root" ] || continue
		run "$AGENTUNE" inspect --root "$root" --json
		[ "$status" -eq 0 ]
		echo "$output" | jq -e '.interrupts.available == false and (.interrupts.why | length) > 0'
		echo "$output" | jq -e '.cpufreq.available == false'
	done
}
