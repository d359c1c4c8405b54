#!/usr/bin/env bats
# Issue 15, on generated trees (--root): values as long as a large host
# prints them, knob paths that are not files, a disk that fills up under
# the journal, and two agentunes at once.  Nothing here touches the live
# host: every apply and revert names a tree, and the journal lives in the
# test's own run directory.
load helpers

GENHOST="$REPO/${B:-build}/tests/genhost"

setup_file() {
	# 1024 CPUs spread over the ids of an 8192-CPU kernel (0, 8, 16, ...,
	# 8184, 8191): every CPU list is a sparse list of ~5 KB.  Lean: no
	# cpuidle or cpufreq per CPU, so the tree stays near 70 MB.
	export BIG="$BATS_FILE_TMPDIR/big"
	"$REPO/${B:-build}/tests/genhost" --cpus 1024 --irqs 48 --sparse --lean "$BIG" >/dev/null
}

setup() {
	export AGENTUNE_RUN_DIR="$BATS_TEST_TMPDIR/run"
	unset AGENTUNE_FAULT_EXIT_AFTER AGENTUNE_FAULT_JOURNAL AGENTUNE_PROFILE_PATH
	TREE="$BATS_TEST_TMPDIR/tree"
	PROFILE="$BATS_TEST_TMPDIR/p.profile"
	printf '[main]\nsummary = t\n[irq]\nmove = all -> housekeeping\n[napi]\nbusy_poll = 25\n' \
		>"$PROFILE"
}

# A small tree (4 CPUs, 8 IRQs) and a copy of it as it was.
small_tree() {
	"$GENHOST" --cpus 4 --irqs 8 "$TREE" >/dev/null
}

snapshot_tree() {
	cp -a "$1" "$BATS_TEST_TMPDIR/pristine"
}

same_as_pristine() {
	diff -r --no-dereference "$BATS_TEST_TMPDIR/pristine" "$1"
}

apply_tree() {
	"$AGENTUNE" apply --allow-unsafe-profile --root "$1" profile "$PROFILE" "${@:2}"
}

# ---------- values longer than 255 bytes (issue 15, defect 2) ----------

# A sparse list of 200 CPUs above 1000, canonical: 1000 bytes.
sparse_list() {
	seq -s, 1000 2 1398
}

@test "a 1000-byte sparse IRQ affinity: apply and revert restore it byte for byte" {
	small_tree
	list=$(sparse_list)
	[ "${#list}" -ge 969 ]
	echo "$list" >"$TREE/proc/irq/24/smp_affinity_list"
	snapshot_tree "$TREE"
	run apply_tree "$TREE" --cpus 3
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cat "$TREE/proc/irq/24/smp_affinity_list")" = "0-2" ]
	# the journal holds the whole original
	grep -qF "\"old\":\"$list\"" "$AGENTUNE_RUN_DIR/journal"
	run "$AGENTUNE" status --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.settings[] | select(.target == "24") | .original')" = "$list" ]
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/pristine/proc/irq/24/smp_affinity_list" "$TREE/proc/irq/24/smp_affinity_list"
	same_as_pristine "$TREE"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

@test "a value longer than the journal holds is refused before anything is written" {
	small_tree
	# pairs 0-1,3-4,... up to CPU 30000: ~70 KB, past KNOB_VAL_MAX
	python3 -c 'print(",".join("%d-%d" % (c, c + 1) for c in range(0, 30000, 3)))' \
		>"$TREE/proc/irq/24/smp_affinity_list"
	[ "$(wc -c <"$TREE/proc/irq/24/smp_affinity_list")" -gt 32768 ]
	snapshot_tree "$TREE"
	run apply_tree "$TREE" --cpus 3
	[ "$status" -ne 0 ]
	[[ "$output" == *"irq_affinity 24: its current value is longer than the 32767 bytes agentune can journal"* ]]
	same_as_pristine "$TREE"
	[ ! -s "$AGENTUNE_RUN_DIR/journal" ]
}

# ---------- knob paths that are not files (defect 10) ----------

@test "a FIFO at a knob path: apply refuses it at once, with the path" {
	small_tree
	rm "$TREE/proc/sys/net/core/busy_poll"
	mkfifo "$TREE/proc/sys/net/core/busy_poll"
	snapshot_tree "$TREE"
	run timeout 30 "$AGENTUNE" apply --allow-unsafe-profile --root "$TREE" profile "$PROFILE" --cpus 3
	[ "$status" -ne 124 ] # it did not hang on the FIFO
	[ "$status" -ne 0 ]
	[[ "$output" == *"/proc/sys/net/core/busy_poll is not a regular file (a FIFO, socket or device): refused"* ]]
	diff -r --no-dereference -x busy_poll "$BATS_TEST_TMPDIR/pristine" "$TREE"
	[ -p "$TREE/proc/sys/net/core/busy_poll" ]
	[ ! -s "$AGENTUNE_RUN_DIR/journal" ]
	# and the lock is free again
	rm "$TREE/proc/sys/net/core/busy_poll"
	echo 0 >"$TREE/proc/sys/net/core/busy_poll"
	apply_tree "$TREE" --cpus 3 >/dev/null
	"$AGENTUNE" revert >/dev/null
}

# ---------- a host with 8192 CPU ids (defects 2 and 10) ----------

@test "8192 CPU ids, sparse: inspect --json, the plan, apply and revert keep every list whole" {
	online=$(cat "$BIG/sys/devices/system/cpu/online")
	[ "${#online}" -gt 4096 ]
	[[ "$online" == "0,8,16,"*",8176,8191" ]]
	# housekeeping: every online CPU but 8191
	hk=${online%,8191}
	run "$AGENTUNE" inspect --root "$BIG" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .cpus.online)" = "$online" ]
	[ "$(echo "$output" | jq -r '.interrupts.irqs[] | select(.irq == 0) | .affinity')" = "$online" ]
	[ "$(echo "$output" | jq -r '.cpus.cpu | length')" -eq 1024 ]
	run apply_tree "$BIG" --cpus 8191 --dry-run --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .housekeeping_cpus)" = "$hk" ]
	[ "$(echo "$output" | jq -r '.changes[] | select(.target == "0") | .current')" = "$online" ]
	[ "$(echo "$output" | jq -r '.changes[] | select(.target == "0") | .new')" = "$hk" ]
	cp -a "$BIG" "$TREE"
	snapshot_tree "$TREE"
	run apply_tree "$TREE" --cpus 8191
	[ "$status" -eq 0 ] || { echo "$output" | tail -5; false; }
	[ "$(cat "$TREE/proc/irq/0/smp_affinity_list")" = "$hk" ]
	run "$AGENTUNE" status --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.applies[0].cpus')" = "8191" ]
	[ "$(echo "$output" | jq -r '.settings[] | select(.target == "0") | .original')" = "$online" ]
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	same_as_pristine "$TREE"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

# ---------- a disk that fills up under the journal (defect 9) ----------

# Every journal write or rewrite of an apply (and then of a revert) fails in
# turn, with ENOSPC and with EIO: the command fails and says so, and once
# the disk is back a plain revert leaves the tree exactly as it was and the
# journal empty.
@test "ENOSPC and EIO at each journal write and rewrite: a clear failure, then revert restores all" {
	small_tree
	snapshot_tree "$TREE"
	for err in ENOSPC EIO; do
		msg="No space left on device"
		[ "$err" = EIO ] && msg="Input/output error"
		# apply: N = 1, 2, ... until N is past its last journal write
		n=1
		while :; do
			run env AGENTUNE_FAULT_JOURNAL="$n:$err" "$AGENTUNE" apply --allow-unsafe-profile \
				--root "$TREE" profile "$PROFILE" --cpus 3
			if [ "$status" -eq 0 ]; then
				break
			fi
			[ "$status" -eq 1 ] || { echo "apply N=$n $err: exit $status: $output"; false; }
			[[ "$output" == *"$msg"* ]] || { echo "apply N=$n $err: no '$msg' in: $output"; false; }
			run "$AGENTUNE" revert
			[ "$status" -eq 0 ] || { echo "revert after apply N=$n: $output"; false; }
			same_as_pristine "$TREE" || { echo "apply N=$n $err: tree differs"; false; }
			[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
			n=$((n + 1))
			[ "$n" -le 40 ]
		done
		# 8 IRQs and a sysctl: an apply record and 9 changes at least
		[ "$n" -ge 10 ] || { echo "apply $err: only $((n - 1)) journal writes failed"; false; }
		"$AGENTUNE" revert >/dev/null
		same_as_pristine "$TREE"
		# revert: its rewrite (here: the removal) fails; a second revert
		# with the disk back finishes the job
		n=1
		while :; do
			apply_tree "$TREE" --cpus 3 >/dev/null
			run env AGENTUNE_FAULT_JOURNAL="$n:$err" "$AGENTUNE" revert
			if [ "$status" -eq 0 ]; then
				break
			fi
			[ "$status" -eq 1 ]
			[[ "$output" == *"rewriting the journal"*"$msg"* ]] || { echo "revert N=$n: $output"; false; }
			# the records are still there, for what revert already did
			[ -s "$AGENTUNE_RUN_DIR/journal" ]
			run "$AGENTUNE" status --json
			[ "$(echo "$output" | jq '.summary.drifted')" -eq 0 ]
			run "$AGENTUNE" revert
			[ "$status" -eq 0 ]
			same_as_pristine "$TREE"
			[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
			n=$((n + 1))
			[ "$n" -le 5 ]
		done
		[ "$n" -ge 2 ]
		same_as_pristine "$TREE"
		[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
	done
}

# ---------- two agentunes at once ----------

# Starts two commands at the same moment, waits for both; sets S1, S2 and
# O1, O2 (their exit codes and outputs).
two_at_once() {
	local a=$1 b=$2
	rm -f "$BATS_TEST_TMPDIR/go"
	( while [ ! -e "$BATS_TEST_TMPDIR/go" ]; do :; done; eval "$a" ) >"$BATS_TEST_TMPDIR/o1" 2>&1 &
	local p1=$!
	( while [ ! -e "$BATS_TEST_TMPDIR/go" ]; do :; done; eval "$b" ) >"$BATS_TEST_TMPDIR/o2" 2>&1 &
	local p2=$!
	touch "$BATS_TEST_TMPDIR/go"
	S1=0 S2=0
	wait "$p1" || S1=$?
	wait "$p2" || S2=$?
	O1=$(cat "$BATS_TEST_TMPDIR/o1") O2=$(cat "$BATS_TEST_TMPDIR/o2")
}

LOCKMSG="is applying or reverting: lock"

# Exactly one of the two ran, the other was refused by the lock.
one_won() {
	if [ "$S1" -eq 0 ]; then
		[ "$S2" -eq 1 ] && [[ "$O2" == *"$LOCKMSG"* ]]
	else
		[ "$S1" -eq 1 ] && [[ "$O1" == *"$LOCKMSG"* ]] && [ "$S2" -eq 0 ]
	fi || { echo "1: exit $S1: $O1"; echo "2: exit $S2: $O2"; false; }
}

@test "two applies at once: one wins, the other is refused by the lock" {
	cp -a "$BIG" "$TREE"
	snapshot_tree "$TREE"
	two_at_once "apply_tree '$TREE' --cpus 8191" "apply_tree '$TREE' --cpus 8176"
	one_won
	run "$AGENTUNE" status --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq '.applies | length')" -eq 1 ]
	"$AGENTUNE" revert >/dev/null
	same_as_pristine "$TREE"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

@test "apply and revert at once: one wins, the other is refused by the lock" {
	cp -a "$BIG" "$TREE"
	snapshot_tree "$TREE"
	apply_tree "$TREE" --cpus 8191 >/dev/null
	two_at_once "apply_tree '$TREE' --cpus 8176" "'$AGENTUNE' revert"
	one_won
	# whichever won, the journal describes the tree: status has no drift,
	# and a revert puts it back
	run "$AGENTUNE" status --json
	if [ -e "$AGENTUNE_RUN_DIR/journal" ]; then
		[ "$(echo "$output" | jq '.summary.drifted + .summary.gone')" -eq 0 ]
	fi
	"$AGENTUNE" revert >/dev/null
	same_as_pristine "$TREE"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

@test "two reverts at once: one restores, the other is refused by the lock" {
	cp -a "$BIG" "$TREE"
	snapshot_tree "$TREE"
	apply_tree "$TREE" --cpus 8191 >/dev/null
	two_at_once "'$AGENTUNE' revert" "'$AGENTUNE' revert"
	one_won
	same_as_pristine "$TREE"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}
