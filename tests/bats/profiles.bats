#!/usr/bin/env bats
# apply / revert / status / profile: live on this machine (root) and on
# snapshot trees (--root).  Every test that changes the host leaves it as it
# found it: teardown reverts whatever the test's journal still holds.
load helpers

# A checkout under a directory others can write (/tmp) holds profiles that
# root must refuse: helpers.bash sets UNSAFE=--allow-unsafe-profile then,
# and "a profile a non-root user could have written" checks that apply
# refuses them without it.
setup() {
	WL_PID="" MOUNTED=""
	run_dir_on_tmpfs
	unset AGENTUNE_FAULT_EXIT_AFTER AGENTUNE_PROFILE_PATH
}

teardown() {
	for m in $MOUNTED; do umount "$m" 2>/dev/null; done
	if [ -e "$AGENTUNE_RUN_DIR/journal" ] && [ "$(id -u)" -eq 0 ]; then
		"$AGENTUNE" revert --force >/dev/null 2>&1 || true
	fi
	stop_workload
	remove_nobody_copy
	release_run_dir
	true
}

apply() {
	"$AGENTUNE" apply $UNSAFE profile "$@"
}

# The bundled workload with its consumer and main thread on CPU 1 (what
# cpus = auto reads): the agent CPU is 1, housekeeping 0.
start_agent() {
	need_cpus 2
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	taskset -p -c 1 "$WL_PID" >/dev/null
}

# Reads the file behind one planned change (knob, target) as text.
setting_now() {
	case "$1" in
	irq_affinity) cat "/proc/irq/$2/smp_affinity_list" ;;
	sysctl) cat "/proc/sys/$(echo "$2" | tr . /)" ;;
	pm_qos) cat "/sys/devices/system/cpu/cpu$2/power/pm_qos_resume_latency_us" ;;
	cpufreq_min) cat "/sys/devices/system/cpu/cpufreq/$2/scaling_min_freq" ;;
	netdev_attr) cat "/sys/class/net/$2" ;;
	cgroup_attr) cat "$2" ;;
	cgroup_dir) if [ -d "$2" ]; then echo present; else echo absent; fi ;;
	cgroup_procs)
		# PID@START:MOUNT (the start time tells a reused pid apart)
		local pid=${2%%:*} mount=${2#*:} start
		start=${pid#*@} pid=${pid%%@*}
		[ "$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$pid/stat")" = "$start" ] || {
			echo "pid $pid: not the process started at $start"; return 1; }
		# the hierarchy's line: v2 ("0::") or the v1 controllers mounted there
		local ctrl
		ctrl=$(awk -v m="$mount" '$5 == m { n = split($NF, o, ","); for (i = 1; i <= n; i++)
			if (o[i] !~ /^(rw|ro|nosuid|nodev|noexec|relatime)$/) print o[i] }' \
			/proc/self/mountinfo | head -1)
		if [ -z "$ctrl" ]; then grep '^0::' "/proc/$pid/cgroup" | cut -d: -f3
		else grep -E "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:" "/proc/$pid/cgroup" | cut -d: -f3; fi ;;
	napi) echo "(netlink)" ;;
	timer_slack)
		# PID/TID@START: the thread's own file, if it is still that thread
		local pid=${2%%/*} tid=${2#*/} start
		start=${tid#*@} tid=${tid%%@*}
		[ "$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$pid/task/$tid/stat")" = "$start" ] || {
			echo "thread $tid: not the one started at $start"; return 1; }
		cat "/proc/$tid/timerslack_ns" ;;
	window_controller)
		local pid
		pid=$(cut -d' ' -f1 "$AGENTUNE_RUN_DIR/window.pid" 2>/dev/null)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo running; else echo stopped; fi ;;
	esac
}

# Same CPU set / number / word, as agentune compares them.
same_value() {
	[ "$1" = "$2" ] && return 0
	[ "$(echo "$1" | tr -s ' ')" = "$(echo "$2" | tr -s ' ')" ]
}

# Every planned change holds its new value, read back independently of
# agentune (napi settings, netlink only, are checked through status).
check_plan_holds() {
	local json=$1 n i knob target new now
	n=$(jq '.changes | length' "$json")
	for ((i = 0; i < n; i++)); do
		knob=$(jq -r ".changes[$i].knob" "$json")
		target=$(jq -r ".changes[$i].target" "$json")
		new=$(jq -r ".changes[$i].new" "$json")
		state=$(jq -r ".changes[$i].state" "$json")
		[ "$state" = skipped ] && continue
		[ "$knob" = napi ] && continue
		now=$(setting_now "$knob" "$target")
		# the window controller's: the window's value or, between
		# windows, the original (window.bats checks which, when)
		if [ "$(jq -r ".changes[$i].window" "$json")" = true ] &&
		   same_value "$now" "$(jq -r ".changes[$i].current" "$json")"; then
			continue
		fi
		same_value "$now" "$new" || {
			echo "$knob $target: expected $new, found $now"
			return 1
		}
	done
}

@test "profile list: the five shipped profiles, each with a summary" {
	run "$AGENTUNE" profile list --json
	[ "$status" -eq 0 ]
	for p in balanced agent-latency agent-network agent-storage agent-isolated; do
		s=$(echo "$output" | jq -r --arg p "$p" '.profiles[] | select(.name == $p) | .summary')
		[ -n "$s" ] && [ "$s" != null ]
	done
	run "$AGENTUNE" profile show agent-network
	[ "$status" -eq 0 ]
	[[ "$output" == *"agent-network.profile"* ]]
	[[ "$output" == *"agent-latency.profile"* ]]
	[[ "$output" == *"balanced.profile"* ]]
	run "$AGENTUNE" profile show nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuch"* ]]
}

@test "apply --dry-run prints the plan with profile lines and changes nothing" {
	need_root
	start_agent
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/before" >/dev/null
	run apply agent-latency --pid "$WL_PID" --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"Plan, not applied (--dry-run)"* ]]
	# the warm method it resolved: the PM QoS constraint where idle states
	# have an exit latency, a poll thread where they have none (this VM)
	if [[ "$output" == *"Warm method: qos (auto)"* ]]; then
		[[ "$output" == *"pm_qos"*"-> n/a"*"agent-latency.profile:"* ]]
	else
		[[ "$output" == *"Warm method: poll (auto)"* ]]
		[[ "$output" == *"window_controller poll threads on CPU 1 (window)"*"agent-latency.profile:"* ]]
		[[ "$output" != *"pm_qos "* ]]
	fi
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/after" >/dev/null
	snap_same "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

# For every shipped profile: apply to the workload, every setting holds,
# revert, and the host is as before (snapshots equal, counters aside, and
# the workload back in its cgroups).
@test "apply + revert of each shipped profile restores the host exactly" {
	need_root
	start_agent
	cg_before=$(cat "/proc/$WL_PID/cgroup")
	cgroups_before=$(agentune_cgroups)
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/before" >/dev/null
	for p in balanced agent-latency agent-network agent-storage agent-isolated; do
		apply "$p" --pid "$WL_PID" --json >"$BATS_TEST_TMPDIR/$p.json" ||
			{ cat "$BATS_TEST_TMPDIR/$p.json"; false; }
		[ "$(jq -r .result.ok "$BATS_TEST_TMPDIR/$p.json")" = true ]
		check_plan_holds "$BATS_TEST_TMPDIR/$p.json"
		run "$AGENTUNE" status --json
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq '.summary.drifted + .summary.gone')" -eq 0 ]
		"$AGENTUNE" revert
		rm -rf "$BATS_TEST_TMPDIR/after"
		"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/after" >/dev/null
		snap_same "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
		[ "$(cat "/proc/$WL_PID/cgroup")" = "$cg_before" ]
		# no cgroup of agentune's is left, in any hierarchy
		[ "$(agentune_cgroups)" = "$cgroups_before" ]
	done
}

# The cgroups the shipped profiles create (balanced: name = agentune), in
# every hierarchy this machine mounts (only that name: other tests' scratch
# cgroups come and go).
agentune_cgroups() {
	awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts |
		while read -r m; do find "$m" -maxdepth 2 -type d -name agentune; done | sort
}

# What the test above applies is not empty here: agent-latency plans PM QoS
# for the agent CPU and moves the IRQs off it, where the machine has them.
@test "agent-latency plans PM QoS and IRQ moves for the agent CPU" {
	need_root
	need_pmqos 1
	need_irq_on_cpu 1
	start_agent
	apply agent-latency --pid "$WL_PID" --dry-run --json >"$BATS_TEST_TMPDIR/plan.json"
	case "$(jq -r .warm.method "$BATS_TEST_TMPDIR/plan.json")" in
	qos) [ "$(jq '[.changes[] | select(.knob == "pm_qos" and .target == "1")] | length' "$BATS_TEST_TMPDIR/plan.json")" -ge 1 ] ;;
	# no idle state for PM QoS to avoid (this VM): poll threads instead
	poll) [ "$(jq '[.changes[] | select(.knob == "window_controller")] | length' "$BATS_TEST_TMPDIR/plan.json")" -eq 1 ]
	      [ "$(jq '[.changes[] | select(.knob == "pm_qos")] | length' "$BATS_TEST_TMPDIR/plan.json")" -eq 0 ] ;;
	*) false ;;
	esac
	[ "$(jq '[.changes[] | select(.knob == "irq_affinity")] | length' "$BATS_TEST_TMPDIR/plan.json")" -ge 1 ]
}

@test "revert is idempotent: the second says nothing to revert" {
	need_root
	start_agent
	apply agent-latency --pid "$WL_PID" >/dev/null
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[[ "$output" == *restored* ]]
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[[ "$output" == *"Nothing to revert"* ]]
	run "$AGENTUNE" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"Nothing applied"* ]]
}

# Crash safety: apply dies (_exit) right after its Nth journaled write, for
# every N up to the plan's length; revert then restores the host exactly.
@test "fault injection: killed after write N, revert restores, for every N" {
	need_root
	start_agent
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/before" >/dev/null
	cg_before=$(cat "/proc/$WL_PID/cgroup")
	apply agent-network --pid "$WL_PID" --dry-run --json >"$BATS_TEST_TMPDIR/plan.json"
	n=$(jq '.changes | length' "$BATS_TEST_TMPDIR/plan.json")
	[ "$n" -ge 3 ]
	for ((i = 1; i <= n; i++)); do
		run env AGENTUNE_FAULT_EXIT_AFTER=$i "$AGENTUNE" apply $UNSAFE profile agent-network --pid "$WL_PID"
		[ "$status" -eq 86 ] || { echo "N=$i: exit $status"; echo "$output"; false; }
		run "$AGENTUNE" revert
		[ "$status" -eq 0 ] || { echo "N=$i: revert: $output"; false; }
		rm -rf "$BATS_TEST_TMPDIR/after"
		"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/after" >/dev/null
		snap_same "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" || { echo "N=$i"; false; }
		[ "$(cat "/proc/$WL_PID/cgroup")" = "$cg_before" ] || { echo "N=$i: cgroup"; false; }
	done
}

@test "drift: status says drifted, revert leaves it, --force restores it" {
	need_root
	need_pmqos 1
	start_agent
	f=/sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us
	orig=$(cat $f)
	# agent-latency with method = qos, planned also where PM QoS changes
	# nothing (the tests' hook): drift of a pm_qos setting is the subject
	printf '[main]\nsummary = q\ninclude = agent-latency\n[pmqos]\nmethod = qos\n' >"$BATS_TEST_TMPDIR/q.profile"
	AGENTUNE_PROFILE_PATH="$REPO/profiles" AGENTUNE_PMQOS_WITHOUT_CPUIDLE=1 "$AGENTUNE" apply \
		--allow-unsafe-profile profile "$BATS_TEST_TMPDIR/q.profile" --pid "$WL_PID" >/dev/null
	# the window controller opens the agent CPU's window at its next step
	for _ in $(seq 100); do [ "$(cat $f)" = n/a ] && break; sleep 0.01; done
	[ "$(cat $f)" = n/a ]
	echo 7 >$f
	run "$AGENTUNE" status --json
	# a drifted setting: exit 3 (agentune(8), like tuned-adm verify)
	[ "$status" -eq 3 ]
	[ "$(echo "$output" | jq -r '.settings[] | select(.knob == "pm_qos" and .target == "1") | .state')" = drifted ]
	[ "$(echo "$output" | jq '.summary.ok')" -ge 1 ]
	run "$AGENTUNE" revert
	[ "$status" -eq 1 ]
	[[ "$output" == *drifted*"changed by someone else"* ]]
	[ "$(cat $f)" = 7 ]
	run "$AGENTUNE" status --json
	[ "$status" -eq 3 ]
	[ "$(echo "$output" | jq '.settings | length')" -eq 1 ]
	run "$AGENTUNE" revert --force
	[ "$status" -eq 0 ]
	[ "$(cat $f)" = "$orig" ]
	run "$AGENTUNE" status
	[ "$status" -eq 0 ]
	run "$AGENTUNE" revert
	[[ "$output" == *"Nothing to revert"* ]]
}

@test "a second profile over the first changes only what differs; revert returns to before the first" {
	need_root
	start_agent
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/before" >/dev/null
	apply agent-latency --pid "$WL_PID" --json >"$BATS_TEST_TMPDIR/first.json"
	apply agent-network --pid "$WL_PID" --json >"$BATS_TEST_TMPDIR/second.json"
	# nothing agent-latency already set is planned again
	[ "$(jq '[.changes[] | select(.knob == "pm_qos")] | length' "$BATS_TEST_TMPDIR/second.json")" -eq 0 ]
	[ "$(jq '[.changes[] | select(.knob == "sysctl")] | length' "$BATS_TEST_TMPDIR/second.json")" -ge 1 ]
	run "$AGENTUNE" status --json
	[ "$(echo "$output" | jq '.applies | length')" -eq 2 ]
	"$AGENTUNE" revert
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/after" >/dev/null
	snap_same "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "concurrent applies: the second fails on the lock and changes nothing" {
	need_root
	start_agent
	mkdir -m 0700 "$AGENTUNE_RUN_DIR"
	touch "$AGENTUNE_RUN_DIR/lock" && chmod 0600 "$AGENTUNE_RUN_DIR/lock"
	flock "$AGENTUNE_RUN_DIR/lock" sleep 20 &
	holder=$!
	sleep 0.3
	run apply agent-latency --pid "$WL_PID"
	kill $holder; wait $holder 2>/dev/null || true
	[ "$status" -eq 1 ]
	[[ "$output" == *"lock"* ]]
	[ ! -s "$AGENTUNE_RUN_DIR/journal" ]
}

@test "journal directory: a planted symlink or a corrupt journal is refused" {
	need_root
	mkdir -m 0700 "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$AGENTUNE_RUN_DIR"
	run apply agent-latency --cpus 1
	[ "$status" -eq 1 ]
	[[ "$output" == *symlink* ]]
	rm "$AGENTUNE_RUN_DIR"
	mkdir -m 0700 "$AGENTUNE_RUN_DIR"
	ln -s /etc/passwd "$AGENTUNE_RUN_DIR/journal"
	run "$AGENTUNE" revert
	[ "$status" -eq 1 ]
	rm "$AGENTUNE_RUN_DIR/journal"
	printf '{"type":"apply","apply":1\n' >"$AGENTUNE_RUN_DIR/journal"
	chmod 0600 "$AGENTUNE_RUN_DIR/journal"
	run "$AGENTUNE" revert
	[ "$status" -eq 1 ]
	[[ "$output" == *"journal line 1"* ]]
	run "$AGENTUNE" status
	[ "$status" -eq 1 ]
	run apply agent-latency --cpus 1
	[ "$status" -eq 1 ]
	rm "$AGENTUNE_RUN_DIR/journal"
}

@test "a profile a non-root user could have written is refused as root" {
	need_root
	d=$(mktemp -d /tmp/agentune-prof.XXXXXX)
	printf '[main]\nsummary = test\n[napi]\nbusy_poll = 10us\n' >"$d/mine.profile"
	chmod 0644 "$d/mine.profile"
	# refused by a real apply (on a copy of a fixture tree: nothing of the
	# host is at stake if it were not)
	tree="$BATS_TEST_TMPDIR/tree"
	cp -a "$FIXTURES/virtio-net-2cpu" "$tree"
	cp -a "$tree" "$BATS_TEST_TMPDIR/pristine"
	run "$AGENTUNE" apply --root "$tree" profile "$d/mine.profile" --cpus 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"writable by others"* ]]
	snap_same "$tree" "$BATS_TEST_TMPDIR/pristine"
	# a dry run shows the plan, with the refusal as a warning
	run "$AGENTUNE" apply profile "$d/mine.profile" --cpus 1 --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"busy_poll"* ]]
	[[ "$output" == *"would refuse this profile"*"writable by others"* ]]
	run "$AGENTUNE" apply profile "$d/mine.profile" --cpus 1 --dry-run --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.warnings[] | select(test("would refuse this profile"))] | length == 1'
	run "$AGENTUNE" apply profile "$d/mine.profile" --cpus 1 --dry-run --allow-unsafe-profile
	[ "$status" -eq 0 ]
	[[ "$output" != *"would refuse"* ]]
	rm -rf "$d"
	# The checkout's own profiles, as helpers.bash judged them (UNSAFE).
	run "$AGENTUNE" apply profile balanced --cpus 1 --dry-run
	[ "$status" -eq 0 ]
	if [ -n "$UNSAFE" ]; then
		[[ "$output" == *"would refuse"*"a profile must be writable by root only"* ]]
	else
		[[ "$output" != *"would refuse"* ]]
	fi
}

# Every kind of bad profile line: exit 2, its message with file and line,
# and nothing changed on the tree it was applied to.
@test "bad profiles: each gets its message and changes nothing" {
	need_root
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/tree" >/dev/null
	cp -a "$BATS_TEST_TMPDIR/tree" "$BATS_TEST_TMPDIR/pristine"
	n=0
	for f in "$FIXTURES"/profiles/bad/*.profile; do
		run "$AGENTUNE" apply --allow-unsafe-profile --root "$BATS_TEST_TMPDIR/tree" profile "$f" --cpus 1
		[ "$status" -eq 2 ] || { echo "$f: exit $status: $output"; false; }
		# the message names a profile file and a line (tests/unit/test_profile.c
		# asserts each message exactly)
		[[ "$output" == *".profile line "[0-9]* ]] || { echo "$f: no file and line in: $output"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
	diff -r --no-dereference "$BATS_TEST_TMPDIR/pristine" "$BATS_TEST_TMPDIR/tree"
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

# A knob that fails mid-plan (an IRQ whose affinity file is on a read-only
# mount, in a snapshot tree): apply exits 1, names it, and undoes the rest.
@test "failure halfway: the tree is left exactly as it was" {
	need_root
	"$AGENTUNE" snapshot "$BATS_TEST_TMPDIR/tree" >/dev/null
	irqs=($(ls "$BATS_TEST_TMPDIR/tree/proc/irq" | sort -n))
	[ "${#irqs[@]}" -ge 3 ]
	# all IRQs on CPU 1 so that every one of them has to move
	for i in "${irqs[@]}"; do echo 0-1 >"$BATS_TEST_TMPDIR/tree/proc/irq/$i/smp_affinity_list"; done
	bad=${irqs[$(( ${#irqs[@]} / 2 ))]}
	cp -a "$BATS_TEST_TMPDIR/tree" "$BATS_TEST_TMPDIR/pristine"
	dir="$BATS_TEST_TMPDIR/tree/proc/irq/$bad"
	mount --bind "$dir" "$dir" && MOUNTED="$dir" && mount -o remount,bind,ro "$dir"
	printf '[main]\nsummary = t\n[irq]\nmove = all -> 0\n[napi]\nbusy_poll = 25\n' \
		>"$BATS_TEST_TMPDIR/p.profile"
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$BATS_TEST_TMPDIR/tree" profile "$BATS_TEST_TMPDIR/p.profile" --cpus 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"IRQ $bad"*failed* ]]
	[[ "$output" == *"undone"* ]]
	umount "$dir"; MOUNTED=""
	diff -r --no-dereference "$BATS_TEST_TMPDIR/pristine" "$BATS_TEST_TMPDIR/tree"
	[ ! -s "$AGENTUNE_RUN_DIR/journal" ]
}

@test "apply as a user who is not root: refused, dry run allowed" {
	need_root
	need_cmd setpriv
	nobody_copy
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_AGENTUNE" apply profile agent-latency --cpus 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs root"* ]]
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_AGENTUNE" apply profile agent-latency --cpus 1 --dry-run
	[ "$status" -eq 0 ]
}

@test "apply warns when irqbalance runs and says what to do" {
	need_root
	need_no_irqbalance
	cp /bin/sleep "$BATS_TEST_TMPDIR/irqbalance"
	"$BATS_TEST_TMPDIR/irqbalance" 30 &
	fake=$!
	run apply agent-latency --cpus 1 --dry-run
	kill $fake
	[ "$status" -eq 0 ]
	[[ "$output" == *"irqbalance (pid $fake) is running and will move these IRQs back"* ]]
	[[ "$output" == *"IRQBALANCE_BANNED_CPULIST=1"* ]]
}

@test "apply: usage errors are exit 2 naming the option" {
	run "$AGENTUNE" apply profile
	[ "$status" -eq 2 ]
	run "$AGENTUNE" apply agent-latency extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument 'extra'"* ]]
	run "$AGENTUNE" apply
	[ "$status" -eq 2 ]
	[[ "$output" == *"which profile?"* ]]
	run "$AGENTUNE" apply profile agent-latency --cpus x-y --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cpus: 'x-y'"* ]]
	run "$AGENTUNE" apply profile nosuch-profile --cpus 1 --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuch-profile"* ]]
	run "$AGENTUNE" revert --bogus
	[ "$status" -eq 2 ]
	run "$AGENTUNE" status extra
	[ "$status" -eq 2 ]
}

# ---------- [agent] timer_slack_ns (issue 14) ----------

# Each thread of the workload: "TID SLACK" lines, from the thread's own file.
thread_slacks() {
	for t in $(ls "/proc/$1/task"); do echo "$t $(cat "/proc/$t/timerslack_ns")"; done
}

@test "timer slack: each thread journaled before its write, set, and restored exactly by revert" {
	need_root
	start_agent
	printf '[main]\nsummary = timer slack\n[agent]\ncpus = 1\ntimer_slack_ns = 1\n' >"$BATS_TEST_TMPDIR/ts.profile"
	# distinct originals, so that a thread restored to another's value shows
	i=0
	for t in $(ls "/proc/$WL_PID/task"); do
		echo $((40000 + 7 * i)) >"/proc/$t/timerslack_ns"
		i=$((i + 1))
	done
	before=$(thread_slacks "$WL_PID")
	n=$(wc -l <<<"$before")
	[ "$n" -ge 3 ]   # main, consumer, producer
	"$AGENTUNE" apply --allow-unsafe-profile profile "$BATS_TEST_TMPDIR/ts.profile" --pid "$WL_PID" --json \
		>"$BATS_TEST_TMPDIR/apply.json"
	[ "$(jq '[.changes[] | select(.knob == "timer_slack")] | length' "$BATS_TEST_TMPDIR/apply.json")" -eq "$n" ]
	# one journal record per thread, with the original it found
	while read -r t v; do
		grep -q "\"knob\":\"timer_slack\",\"target\":\"$WL_PID/$t@[0-9]*\",\"old\":\"$v\",\"new\":\"1\"" \
			"$AGENTUNE_RUN_DIR/journal" || { echo "no record for thread $t ($v)"; cat "$AGENTUNE_RUN_DIR/journal"; return 1; }
	done <<<"$before"
	# every thread's own slack changed, not only the main thread's
	while read -r t v; do
		[ "$v" = 1 ] || { echo "thread $t: slack $v after apply"; return 1; }
	done <<<"$(thread_slacks "$WL_PID")"
	check_plan_holds "$BATS_TEST_TMPDIR/apply.json"
	run "$AGENTUNE" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok       timer_slack"* ]]
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[ "$(thread_slacks "$WL_PID")" = "$before" ]
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

# On a tree: a thread that exits between apply and revert is skipped with
# its reason, not an error; the others are restored.
@test "timer slack: revert skips a thread that has exited, with a note, and exits 0" {
	need_root
	tree="$BATS_TEST_TMPDIR/tree"
	cp -a "$FIXTURES/virtio-net-2cpu" "$tree"
	mkdir -p "$tree/proc/77/task/77" "$tree/proc/77/task/80" "$tree/proc/80"
	printf 'Name:\tagent\nCpus_allowed_list:\t0-1\n' >"$tree/proc/77/status"
	stat() { echo "$1 (agent) S 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 2 0 $2 0 0"; }
	stat 77 777 >"$tree/proc/77/stat"
	stat 77 777 >"$tree/proc/77/task/77/stat"
	stat 80 790 >"$tree/proc/77/task/80/stat"
	echo 50000 >"$tree/proc/77/timerslack_ns"
	echo 60000 >"$tree/proc/80/timerslack_ns"
	printf '[main]\nsummary = timer slack\n[agent]\ncpus = 1\ntimer_slack_ns = 1\n' >"$BATS_TEST_TMPDIR/ts.profile"
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$tree" profile "$BATS_TEST_TMPDIR/ts.profile" --pid 77
	[ "$status" -eq 0 ]
	[[ "$output" == *"timer_slack   thread 80 (agent) of pid 77"*"60000 -> 1"* ]]
	[ "$(cat "$tree/proc/77/timerslack_ns")" = 1 ] && [ "$(cat "$tree/proc/80/timerslack_ns")" = 1 ]
	# thread 80 exits
	rm -r "$tree/proc/77/task/80" "$tree/proc/80"
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[[ "$output" == *"gone"*"thread 80 (agent) of pid 77"*"the thread has exited: nothing to restore"* ]]
	[ "$(cat "$tree/proc/77/timerslack_ns")" = 50000 ]
	[ ! -e "$AGENTUNE_RUN_DIR/journal" ]
}

# Where the host lacks uclamp or cpufreq (this VM lacks both), agent-latency
# plans a note with the reason for each, not a change; where it has them, a
# change.  A dry run, on the live host, for the workload's pid.
@test "uclamp.min and the cpufreq floor: notes with the reason where the host lacks them" {
	start_agent
	run apply agent-latency --pid "$WL_PID" --dry-run --json
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/plan.json"
	if ls -d /sys/devices/system/cpu/cpufreq/policy* >/dev/null 2>&1; then
		jq -e '[.changes[] | select(.knob == "cpufreq_min")] | length >= 1' "$BATS_TEST_TMPDIR/plan.json" ||
			jq -e '[.notes[] | select(.text | startswith("cpufreq floor"))] | length >= 1' "$BATS_TEST_TMPDIR/plan.json"
	else
		jq -e '[.changes[] | select(.knob == "cpufreq_min")] | length == 0' "$BATS_TEST_TMPDIR/plan.json"
		jq -e '[.notes[] | select(.text == "cpufreq floor: not applicable (no cpufreq on this host)"
		        and (.source | test("agent-latency.profile:[0-9]+$")))] | length == 1' "$BATS_TEST_TMPDIR/plan.json"
	fi
	if [ -e /proc/sys/kernel/sched_util_clamp_min ]; then
		jq -e '[.changes[] | select(.target | endswith("cpu.uclamp.min"))] | length >= 1
		       or ([.notes[] | select(.text | test("uclamp"))] | length >= 1)' "$BATS_TEST_TMPDIR/plan.json"
	else
		jq -e '[.changes[] | select(.target | endswith("cpu.uclamp.min"))] | length == 0' "$BATS_TEST_TMPDIR/plan.json"
		jq -e '[.notes[] | select(.text | startswith("uclamp_min: not applicable (kernel without uclamp: no /proc/sys/kernel/sched_util_clamp_min)"))] | length == 1' \
			"$BATS_TEST_TMPDIR/plan.json"
	fi
	# and the text form says the same
	run apply agent-latency --pid "$WL_PID" --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"Notes:"* ]]
	[ -e /proc/sys/kernel/sched_util_clamp_min ] || [[ "$output" == *"- uclamp_min: not applicable"* ]]
	ls -d /sys/devices/system/cpu/cpufreq/policy* >/dev/null 2>&1 || [[ "$output" == *"- cpufreq floor: not applicable"* ]]
}
