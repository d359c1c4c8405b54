#!/usr/bin/env bats
# Fleet: the systemd units and their generator, --unit / --cgroup targeting
# (on --root trees and on fake unit cgroups made under the real hierarchies),
# the window controller's syslog, and the Prometheus export of top checked
# by promtool and served by a real node_exporter.
#
# The live tests change cgroups, start window controllers and measure
# workloads: run this file under the shared lock
# (flock /work/live-tests.lock bats tests/bats/fleet.bats).  Teardown puts
# back what a test changed: it reverts, stops node_exporter, moves the
# processes out of the fake unit cgroups and removes them.
load helpers

AGENTLOOP="$REPO/${B:-build}/agentloop"

setup() {
	WL_PID="" WL2_PID="" NE_PID="" FAKE_DIRS="" LOG_PID="" MOUNTED="" PROFDIR=""
	UNIT="agentune-test-$$.service"
	run_dir_on_tmpfs
	# profiles root accepts: a root-only directory under /run (not below
	# /tmp, which others can write)
	if [ "$(id -u)" -eq 0 ]; then PROFDIR=$(mktemp -d /run/agentune-test-profiles.XXXXXX); fi
	unset AGENTUNE_FAULT_EXIT_AFTER AGENTUNE_PROFILE_PATH AGENTUNE_SYSLOG_SOCKET
}

teardown() {
	for m in $MOUNTED; do umount "$m" 2>/dev/null; done
	if [ -e "$AGENTUNE_RUN_DIR/journal" ] && [ "$(id -u)" -eq 0 ]; then
		"$AGENTUNE" revert --force >/dev/null 2>&1 || true
	fi
	[ -n "$NE_PID" ] && kill "$NE_PID" 2>/dev/null && wait "$NE_PID" 2>/dev/null
	[ -n "$LOG_PID" ] && kill "$LOG_PID" 2>/dev/null && wait "$LOG_PID" 2>/dev/null
	[ -n "$WL2_PID" ] && kill "$WL2_PID" 2>/dev/null && wait "$WL2_PID" 2>/dev/null
	stop_workload
	remove_fake_unit
	[ -n "$PROFDIR" ] && rm -rf "$PROFDIR"
	release_run_dir
	true
}

# ---------- fake units: cgroups named like systemd's, in the real hierarchies ----------

# The v2, name=systemd, cpu and cpuset hierarchies this machine mounts.
unit_hierarchies() {
	awk '$3 == "cgroup2" { print $2 }
	     $3 == "cgroup" && $4 ~ /(^|,)(name=systemd|cpu|cpuset)(,|$)/ { print $2 }' /proc/mounts
}

# Makes system.slice/$UNIT in each hierarchy (system.slice too when it is
# missing: remembered, so teardown removes only what the test made).
make_fake_unit() {
	need_root
	local h
	for h in $(unit_hierarchies); do
		if [ ! -d "$h/system.slice" ]; then
			mkdir "$h/system.slice" || return 1
			FAKE_DIRS="$h/system.slice $FAKE_DIRS"
		fi
		if [[ "$h" == */cpuset ]]; then
			cat "$h/cpuset.cpus" >"$h/system.slice/cpuset.cpus" 2>/dev/null || true
			cat "$h/cpuset.mems" >"$h/system.slice/cpuset.mems" 2>/dev/null || true
		fi
		mkdir "$h/system.slice/$UNIT" || return 1
		FAKE_DIRS="$h/system.slice/$UNIT $FAKE_DIRS"
		if [[ "$h" == */cpuset ]]; then
			cat "$h/cpuset.cpus" >"$h/system.slice/$UNIT/cpuset.cpus"
			cat "$h/cpuset.mems" >"$h/system.slice/$UNIT/cpuset.mems"
		fi
	done
	[ -n "$FAKE_DIRS" ] || skip "no cgroup hierarchy mounted"
}

# Moves process $1 into the fake unit in every hierarchy.
join_fake_unit() {
	local d
	for d in $FAKE_DIRS; do
		[[ "$d" == *"/$UNIT" ]] && echo "$1" >"$d/cgroup.procs"
	done
	true
}

remove_fake_unit() {
	local d p root
	for d in $FAKE_DIRS; do
		root=${d%/system.slice*}
		if [ -e "$d/cgroup.procs" ]; then
			for p in $(cat "$d/cgroup.procs"); do echo "$p" >"$root/cgroup.procs" 2>/dev/null; done
		fi
		rmdir "$d" 2>/dev/null || true
	done
	FAKE_DIRS=""
}

cpu_hier() {
	awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/mounts
}

# A profile in $PROFDIR (setup made it, teardown removes it).
safe_profile() {
	printf '%b' "$2" >"$PROFDIR/$1.profile"
	echo "$PROFDIR/$1.profile"
}

# ---------- the units ----------

# The unit files with the binary's path pointed at this build (verify checks
# that ExecStart's program exists).
units_for_build() {
	mkdir -p "$BATS_TEST_TMPDIR/units"
	for f in "$REPO"/systemd/*.service; do
		sed "s|/usr/sbin/agentune|$AGENTUNE|g" "$f" >"$BATS_TEST_TMPDIR/units/$(basename "$f")"
	done
}

@test "units: systemd-analyze verify passes on agentune.service and agentune-metrics.service" {
	need_cmd systemd-analyze
	units_for_build
	cd "$BATS_TEST_TMPDIR/units"
	run systemd-analyze verify --man=no agentune.service agentune-metrics.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and it does complain about a broken unit: the check can fail
	sed 's/^Type=oneshot/Type=oneshoot/' agentune.service >broken.service
	run systemd-analyze verify --man=no broken.service
	[[ "$output" == *"Failed to parse service type"*"oneshoot"* ]]
	sed "s|^ExecStart=$AGENTUNE|ExecStart=/nonexistent/agentune|" agentune.service >missing.service
	run systemd-analyze verify --man=no missing.service
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/agentune"* ]]
}

@test "units: agentune.service is a oneshot that remains active, applies the conf and reverts on stop" {
	u="$REPO/systemd/agentune.service"
	grep -qx 'Type=oneshot' "$u"
	grep -qx 'RemainAfterExit=yes' "$u"
	grep -qx 'ExecStart=/usr/sbin/agentune apply --config /etc/agentune/agentune.conf' "$u"
	grep -qx 'ExecStop=/usr/sbin/agentune revert' "$u"
	grep -qx 'KillMode=control-group' "$u"
	grep -q '^ExecStart=/usr/sbin/agentune top --config /etc/agentune/agentune.conf --textfile /var/lib/prometheus/node-exporter/agentune.prom' \
		"$REPO/systemd/agentune-metrics.service"
}

@test "generator: After= and PartOf= the conf's unit, verified; nothing without a unit; a bad name refused" {
	need_cmd systemd-analyze
	gen="$REPO/systemd/agentune-generator"
	printf 'profile = agent-latency\n# unit = commented.service\n[agent]\nunit = my-agent\ncpus = 1\n' \
		>"$BATS_TEST_TMPDIR/a.conf"
	AGENTUNE_CONF="$BATS_TEST_TMPDIR/a.conf" "$gen" "$BATS_TEST_TMPDIR/gen" x y
	d="$BATS_TEST_TMPDIR/gen/agentune.service.d/50-agent-unit.conf"
	grep -qx 'After=my-agent.service' "$d"
	grep -qx 'PartOf=my-agent.service' "$d"
	# the drop-in beside the unit: systemd-analyze loads and verifies both
	units_for_build
	mkdir -p "$BATS_TEST_TMPDIR/units/agentune.service.d"
	cp "$d" "$BATS_TEST_TMPDIR/units/agentune.service.d/"
	printf '[Service]\nExecStart=/bin/true\n' >"$BATS_TEST_TMPDIR/units/my-agent.service"
	cd "$BATS_TEST_TMPDIR/units"
	run systemd-analyze verify --man=no agentune.service
	echo "$output"
	[ "$status" -eq 0 ]
	# no unit: nothing written
	printf 'profile = agent-latency\n' >"$BATS_TEST_TMPDIR/b.conf"
	AGENTUNE_CONF="$BATS_TEST_TMPDIR/b.conf" "$gen" "$BATS_TEST_TMPDIR/gen2"
	[ ! -e "$BATS_TEST_TMPDIR/gen2/agentune.service.d" ]
	# a name with characters systemd does not allow never reaches a drop-in
	printf 'unit = x.service\\nExecStartPre=/bin/evil\n' >"$BATS_TEST_TMPDIR/c.conf"
	run env AGENTUNE_CONF="$BATS_TEST_TMPDIR/c.conf" "$gen" "$BATS_TEST_TMPDIR/gen3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not a unit name"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/gen3/agentune.service.d" ]
}

@test "config: a bad key, two targets or no profile: exit 2 naming the file and line" {
	printf 'profile = agent-latency\nunits = x.service\n' >"$BATS_TEST_TMPDIR/bad1.conf"
	run "$AGENTUNE" apply --config "$BATS_TEST_TMPDIR/bad1.conf" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad1.conf line 2: units = 'x.service': unknown key"* ]]
	printf 'profile = agent-latency\nunit = a.service\ncgroup = /x\n' >"$BATS_TEST_TMPDIR/bad2.conf"
	run "$AGENTUNE" apply --config "$BATS_TEST_TMPDIR/bad2.conf" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"unit and cgroup both given"* ]]
	printf 'cpus = 1-x\n' >"$BATS_TEST_TMPDIR/bad3.conf"
	run "$AGENTUNE" apply --config "$BATS_TEST_TMPDIR/bad3.conf" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad3.conf line 1: cpus = '1-x': not a CPU list"* ]]
	printf 'cpus = 1\n' >"$BATS_TEST_TMPDIR/bad4.conf"
	run "$AGENTUNE" apply --config "$BATS_TEST_TMPDIR/bad4.conf" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"no profile = NAME"* ]]
	run "$AGENTUNE" apply --config "$BATS_TEST_TMPDIR/none.conf" --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"none.conf"*"No such file"* ]]
}

# ---------- targeting on a --root tree ----------

# The virtio fixture plus a unit's cgroup in the v2, name=systemd and cpu
# hierarchies, process 1164 in it (the fixture has /proc/1164).
unit_tree() {
	T="$BATS_TEST_TMPDIR/tree"
	cp -a "$FIXTURES/virtio-net-2cpu" "$T"
	for h in unified systemd cpu; do
		mkdir -p "$T/sys/fs/cgroup/$h/system.slice/agent.service"
		echo 1164 >"$T/sys/fs/cgroup/$h/system.slice/agent.service/cgroup.procs"
		: >"$T/sys/fs/cgroup/$h/cgroup.procs"
	done
	echo 1024 >"$T/sys/fs/cgroup/cpu/system.slice/agent.service/cpu.shares"
	printf '[main]\nsummary = t\n[cgroup]\ncpu_weight = 300\n' >"$BATS_TEST_TMPDIR/w.profile"
}

@test "--unit on a tree: the unit's own cgroup takes the setting, no cgroup made, nothing moved; revert restores" {
	unit_tree
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
		--unit agent.service --cpus 1 --json
	echo "$output"
	[ "$status" -eq 0 ]
	changes=$(echo "$output" | jq -c '[.changes[] | {knob, target, new}]')
	echo "$changes"
	[ "$(echo "$changes" | jq length)" -eq 1 ]
	[ "$(echo "$changes" | jq -r '.[0].knob')" = cgroup_attr ]
	[ "$(echo "$changes" | jq -r '.[0].target')" = /sys/fs/cgroup/cpu/system.slice/agent.service/cpu.shares ]
	[ "$(cat "$T/sys/fs/cgroup/cpu/system.slice/agent.service/cpu.shares")" = 3072 ]
	[ ! -e "$T/sys/fs/cgroup/cpu/agentune" ]
	[ "$(cat "$T/sys/fs/cgroup/cpu/system.slice/agent.service/cgroup.procs")" = 1164 ]
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[ "$(cat "$T/sys/fs/cgroup/cpu/system.slice/agent.service/cpu.shares")" = 1024 ]
}

@test "--cgroup on a tree, by its path in a hierarchy and by its directory; a unit that is not there" {
	unit_tree
	for c in /system.slice/agent.service /sys/fs/cgroup/cpu/system.slice/agent.service; do
		run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
			--cgroup "$c" --cpus 1 --dry-run
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"cgroup system.slice/agent.service: cpu.shares 1024 -> 3072"* ]]
		[[ "$output" != *cgroup_procs* ]]
	done
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
		--unit nosuch.service --cpus 1 --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"unit nosuch.service: no cgroup found"*"system.slice/nosuch.service"* ]]
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
		--cgroup ../etc --cpus 1 --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"not an absolute path"* ]]
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
		--unit 'a;b.service' --cpus 1 --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a unit name"* ]]
}

@test "--unit on a tree: a unit in a nested slice is found; a unit without a cpu cgroup is a note" {
	unit_tree
	for h in unified systemd; do
		mkdir -p "$T/sys/fs/cgroup/$h/app.slice/app-web.slice/web.service"
		echo 14 >"$T/sys/fs/cgroup/$h/app.slice/app-web.slice/web.service/cgroup.procs"
	done
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$T" profile "$BATS_TEST_TMPDIR/w.profile" \
		--unit web.service --cpus 1 --dry-run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unit cgroup /app.slice/app-web.slice/web.service has no directory in the hierarchy at /sys/fs/cgroup/cpu"* ]]
	[[ "$output" != *"cgroup_dir"* ]]
}

# ---------- top's machine formats ----------

@test "top --format prometheus on a tree passes promtool; openmetrics ends with # EOF; json is agentune.top/1" {
	need_cmd promtool
	run "$AGENTUNE" top --root "$FIXTURES/virtio-net-2cpu" -b -n 1 -d 0.1 --format prometheus
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/m.prom"
	run promtool check metrics <"$BATS_TEST_TMPDIR/m.prom"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^agentune_cpu_interrupts_per_second{cpu="1"} 0$' "$BATS_TEST_TMPDIR/m.prom"
	grep -q '^# TYPE agentune_windows_opened_total counter' "$BATS_TEST_TMPDIR/m.prom" ||
		! grep -q windows_opened "$BATS_TEST_TMPDIR/m.prom"
	# promtool does fail on a broken exposition
	sed 's/^agentune_cpu_interrupts_per_second{cpu="1"}/agentune_cpu_interrupts_per_second{cpu="1"/' "$BATS_TEST_TMPDIR/m.prom" |
		{ ! promtool check metrics >/dev/null 2>&1; }
	run "$AGENTUNE" top --root "$FIXTURES/virtio-net-2cpu" -b -n 2 -d 0.1 --format openmetrics
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^# EOF$')" -eq 2 ]
	[ "$(echo "$output" | tail -1)" = "# EOF" ]
	run "$AGENTUNE" top --root "$FIXTURES/virtio-net-2cpu" -b -n 2 -d 0.1 --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	echo "$output" | jq -e -s 'all(.schema == "agentune.top/1") and .[1].seq == 2 and
		(.[0].cpus | length) == 2 and (.[0].header | has("window_controller"))'
	run "$AGENTUNE" top -b --format yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format: 'yaml'"* ]]
	run "$AGENTUNE" top --textfile "$BATS_TEST_TMPDIR/x.txt" -n 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"does not end in .prom"* ]]
}

@test "top --textfile: each frame replaces the file whole (rename), no temporary file left" {
	dir="$BATS_TEST_TMPDIR/tf"
	mkdir -p "$dir"
	"$AGENTUNE" top --textfile "$dir/agentune.prom" -n 40 -d 0.1 >"$BATS_TEST_TMPDIR/tf.out" 2>&1 &
	pid=$!
	reads=0 inodes=""
	while kill -0 "$pid" 2>/dev/null; do
		if [ -e "$dir/agentune.prom" ]; then
			cp "$dir/agentune.prom" "$BATS_TEST_TMPDIR/copy"
			# whole: from the first family to the last one's TYPE line
			[ "$(head -1 "$BATS_TEST_TMPDIR/copy")" = "# HELP agentune_frame_interval_seconds Interval the frame's rates cover." ]
			grep -q '^# TYPE agentune_cpu_window_open gauge$' "$BATS_TEST_TMPDIR/copy"
			reads=$((reads + 1))
			inodes="$inodes $(stat -c %i "$dir/agentune.prom")"
		fi
		sleep 0.02
	done
	wait "$pid"
	[ ! -s "$BATS_TEST_TMPDIR/tf.out" ]   # nothing on stdout without --format
	echo "reads $reads, inodes: $(echo $inodes | tr ' ' '\n' | sort -u | wc -l)"
	# enough reads across enough rewrites to have met one in progress
	[ "$reads" -ge 8 ]
	[ "$(echo $inodes | tr ' ' '\n' | sort -u | wc -l)" -ge 4 ]
	[ "$(ls -A "$dir")" = agentune.prom ]
}

# ---------- live: units, BPF, node_exporter, syslog ----------

@test "live: agentune.service's ExecStart and ExecStop lines apply the conf to a fake unit and revert it" {
	need_root
	need_cpus 2
	[ -n "$(cpu_hier)" ] || skip "no cgroup v1 cpu hierarchy (the test reads cpu.shares)"
	make_fake_unit
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	join_fake_unit "$WL_PID"
	shares="$(cpu_hier)/system.slice/$UNIT/cpu.shares"
	orig=$(cat "$shares")
	prof=$(safe_profile w '[main]\nsummary = t\n[cgroup]\ncpu_weight = 300\n')
	printf 'profile = %s\nunit = %s\ncpus = 1\n' "$prof" "$UNIT" >"$RUNFS/agentune.conf"
	unitfile="$REPO/systemd/agentune.service"
	cond=$(sed -n 's/^ExecCondition=//p' "$unitfile" | sed "s|/etc/agentune/agentune.conf|$RUNFS/agentune.conf|g")
	start=$(sed -n 's/^ExecStart=//p' "$unitfile" | sed "s|/usr/sbin/agentune|$AGENTUNE|; s|/etc/agentune/agentune.conf|$RUNFS/agentune.conf|g")
	stop=$(sed -n 's/^ExecStop=//p' "$unitfile" | sed "s|/usr/sbin/agentune|$AGENTUNE|")
	echo "condition: $cond"; echo "start: $start"; echo "stop: $stop"
	[[ "$start" == "$AGENTUNE apply --config $RUNFS/agentune.conf" ]]
	eval "$cond"
	run eval "$start"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$shares")" = 3072 ]
	# the agent stayed in its unit: nothing moved it to an agentune cgroup
	grep -q ":/system.slice/$UNIT\$" "/proc/$WL_PID/cgroup"
	! grep -q 'agentune$' "/proc/$WL_PID/cgroup"
	[ ! -d "$(cpu_hier)/agentune" ]
	run "$AGENTUNE" status --json
	[ "$(echo "$output" | jq '[.settings[] | select(.state != "ok")] | length')" -eq 0 ]
	run eval "$stop"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$shares")" = "$orig" ]
	# the shipped conf names no profile: the condition skips the unit
	! sed 's/^#profile/# profile/' "$REPO/etc/agentune.conf" | grep -Eq '^[[:space:]]*profile[[:space:]]*='
}

@test "live: apply --pid of a process in a unit acts on the unit's cgroup" {
	need_root
	need_cpus 2
	[ -n "$(cpu_hier)" ] || skip "no cgroup v1 cpu hierarchy (the test reads cpu.shares)"
	make_fake_unit
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	join_fake_unit "$WL_PID"
	prof=$(safe_profile w '[main]\nsummary = t\n[cgroup]\ncpu_weight = 200\n')
	run "$AGENTUNE" apply profile "$prof" --pid "$WL_PID" --cpus 1 --dry-run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cgroup system.slice/$UNIT: cpu.shares"*"-> 2048"* ]]
	[[ "$output" != *"cgroup_procs"* ]]
}

@test "live: top and diagnose --unit follow the unit's processes, one that joins later too" {
	need_root
	need_bpf
	need_cpus 2
	make_fake_unit
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	join_fake_unit "$WL_PID"
	"$AGENTUNE" top -b -n 5 -d 1 --unit "$UNIT" --format json >"$BATS_TEST_TMPDIR/top.json" 2>&1 &
	tp=$!
	# the first frame is out: top runs; then a second process joins the unit
	for _ in $(seq 300); do [ -s "$BATS_TEST_TMPDIR/top.json" ] && break; sleep 0.05; done
	[ -s "$BATS_TEST_TMPDIR/top.json" ]
	"$AGENTLOOP" --cpu 1 --interval-us 2000 --duration 0 --quiet >/dev/null 2>&1 &
	WL2_PID=$!
	join_fake_unit "$WL2_PID"
	wait "$tp"
	cat "$BATS_TEST_TMPDIR/top.json" | jq -c '.agents[0] | {pid, unit, target, processes, steps_total, steps_rate}'
	last=$(tail -1 "$BATS_TEST_TMPDIR/top.json")
	[ "$(echo "$last" | jq -r '.agents[0].unit')" = "$UNIT" ]
	[ "$(echo "$last" | jq -r '.agents[0].target')" = "unit $UNIT" ]
	[ "$(echo "$last" | jq '.agents[0].processes')" -eq 2 ]
	[ "$(echo "$last" | jq '.agents[0].pid')" -eq "$WL_PID" ]
	# both loops step: more than the first alone (1000/s, plus its producer)
	echo "$last" | jq -e '.agents[0].steps_rate > 2500'
	run "$AGENTUNE" diagnose --unit "$UNIT" --duration 2 --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -c '.target | {pid, unit, cgroup}'
	[ "$(echo "$output" | jq -r '.target.unit')" = "$UNIT" ]
	[ "$(echo "$output" | jq -r '.target.cgroup')" = "/system.slice/$UNIT" ]
	# threads of both processes were followed (and stepped)
	tids=" $(echo "$output" | jq -r '[.target.threads[] | select(.steps > 0) | .tid] | join(" ")') "
	echo "threads that stepped: $tids"
	n1=0 n2=0
	for t in $(ls /proc/$WL_PID/task); do [[ "$tids" == *" $t "* ]] && n1=$((n1 + 1)); done
	for t in $(ls /proc/$WL2_PID/task); do [[ "$tids" == *" $t "* ]] && n2=$((n2 + 1)); done
	echo "of $WL_PID: $n1, of $WL2_PID: $n2"
	[ "$n1" -ge 1 ]
	[ "$n2" -ge 1 ]
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "live: promtool passes on a frame with an agent, and node_exporter's textfile collector serves its series" {
	need_root
	need_bpf
	need_cpus 2
	need_cmd promtool
	need_cmd prometheus-node-exporter
	need_cmd curl
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	dir="$BATS_TEST_TMPDIR/textfile"
	mkdir -p "$dir"
	run "$AGENTUNE" top --pid "$WL_PID" --textfile "$dir/agentune.prom" -n 2 -d 1
	[ "$status" -eq 0 ]
	run promtool check metrics <"$dir/agentune.prom"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -E "^agentune_agent_wake_latency_seconds_bucket\{pid=\"$WL_PID\",comm=\"agentloop\",unit=\"\",le=\"\+Inf\"\} [1-9]" "$dir/agentune.prom"
	port=$(free_port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$dir" >"$BATS_TEST_TMPDIR/ne.log" 2>&1 &
	NE_PID=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$port/metrics" >"$BATS_TEST_TMPDIR/scrape" 2>/dev/null && break
		sleep 0.1
	done
	grep '^agentune_' "$BATS_TEST_TMPDIR/scrape" |
		grep -E 'steps_total|le="0.0001"|seconds_count|cause="queueing"|busy_ratio|idle_residency' |
		head -10 | tee "$BATS_TEST_TMPDIR/sample"
	mkdir -p "$REPO/${B:-build}/test-results" && cp "$BATS_TEST_TMPDIR/sample" "$REPO/${B:-build}/test-results/node-exporter-scrape.txt" || true
	grep -E "^agentune_agent_steps_total\{comm=\"agentloop\",pid=\"$WL_PID\"(,unit=\"\")?\} [1-9][0-9]*" "$BATS_TEST_TMPDIR/scrape"
	grep -E "^agentune_agent_wake_latency_seconds_count\{comm=\"agentloop\",pid=\"$WL_PID\"" "$BATS_TEST_TMPDIR/scrape"
	# the collector read the file without an error
	grep -E '^node_textfile_scrape_error 0$' "$BATS_TEST_TMPDIR/scrape"
}

# Binds a unix datagram socket at $1 and appends each datagram as a line to $2.
fake_syslog() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode(errors="replace") + "\n")
' "$1" "$2" &
	LOG_PID=$!
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	return 1
}

@test "live: the window controller logs start, a failed write with its reason, budget exhausted and stop to syslog" {
	need_root
	need_bpf
	need_cpus 2
	need_pmqos 1
	need_cmd python3
	f=/sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us
	[ "$(cat "$f")" != n/a ] || skip "CPU 1 already holds n/a"
	fake_syslog "$RUNFS/log.sock" "$BATS_TEST_TMPDIR/syslog"
	export AGENTUNE_SYSLOG_SOCKET="$RUNFS/log.sock"
	start_workload --cpu 1 --interval-us 1000 --wake eventfd --duration 0
	prof=$(safe_profile w '[main]\nsummary = t\n[pmqos]\nmode = window\nmethod = qos\nresume_latency_us = n/a\nwindow_ms = 20\nbudget_tokens = 3\nrefill_per_s = 1\ncost_per_window = 1\n')
	# PM QoS writes are the subject: planned also where they change nothing
	export AGENTUNE_PMQOS_WITHOUT_CPUIDLE=1
	# The controller writes through descriptors opened before it drops its
	# privileges, so nothing done to the file from outside makes a write
	# fail: the test asks it to fail its first PM QoS write (EIO).
	AGENTUNE_FAULT_WINDOW_WRITE=1 run "$AGENTUNE" apply profile "$prof" --pid "$WL_PID" --cpus 1
	echo "$output"
	[ "$status" -eq 0 ]
	sleep 4
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	sleep 0.3
	cat "$BATS_TEST_TMPDIR/syslog"
	# <PRI> = LOG_DAEMON (24) + severity: info 6, warning 4, err 3
	grep -E '^<30>agentune-window\[[0-9]+\]: started: agent pid '"$WL_PID"', 1 CPUs, window 20 ms, budget 3 tokens' "$BATS_TEST_TMPDIR/syslog"
	grep -E '^<28>agentune-window\[[0-9]+\]: token budget exhausted: 0 of 3 tokens left' "$BATS_TEST_TMPDIR/syslog"
	grep -E '^<27>agentune-window\[[0-9]+\]: cpu1: opening the window failed: Input/output error' "$BATS_TEST_TMPDIR/syslog"
	grep -E '^<30>agentune-window\[[0-9]+\]: stopped: windows opened [0-9]+' "$BATS_TEST_TMPDIR/syslog"
}
