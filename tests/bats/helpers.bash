# Shared set-up for the command-level tests.
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
AGENTUNE="$REPO/${B:-build}/agentune"
SHARED_HOSTS="$REPO/../shared/fixtures/hosts"
FIXTURES="$REPO/tests/fixtures"

need_shared() {
	[ -d "$SHARED_HOSTS" ] || skip "../shared/fixtures/hosts not found"
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# Drops what changes from one read to the next (counters, rates, pids, the
# root path) so two reports of the same host compare equal.
strip_counters() {
	jq -S 'del(.host.root) | del(.sample)
	  | walk(if type == "object" then
	      del(.counts, .total, .rate_per_s, .usage, .time_us, .above, .below,
	          .rejected, .processed, .dropped, .time_squeeze, .received_rps,
	          .flow_limit_count, .backlog_len, .cur_khz, .pid)
	    else . end)
	  | .findings |= map({id, severity})'
}

AGENTLOOP="$REPO/${B:-build}/agentloop"

need_bpf() {
	need_root
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"
}

# Starts the bundled workload in the background with the given options and
# waits until it says it is ready; sets WL_PID and WL_TID (first consumer).
# Its JSON stats go to $BATS_TEST_TMPDIR/wl.json.
start_workload() {
	"$AGENTLOOP" "$@" --json >"$BATS_TEST_TMPDIR/wl.json" 2>"$BATS_TEST_TMPDIR/wl.err" &
	WL_PID=$!
	for _ in $(seq 100); do
		grep -q ready "$BATS_TEST_TMPDIR/wl.err" && break
		sleep 0.05
	done
	WL_TID=$(sed -n 's/.*consumer tids \([0-9]*\).*/\1/p' "$BATS_TEST_TMPDIR/wl.err")
	[ -n "$WL_TID" ]
}

stop_workload() {
	[ -n "${WL_PID:-}" ] && kill "$WL_PID" 2>/dev/null
	wait "${WL_PID:-}" 2>/dev/null || true
}

# A CPU hog with a recognisable name, pinned to a CPU; sets HOG_PID.
start_hog() {
	cp /usr/bin/yes "$BATS_TEST_TMPDIR/agenthog"
	taskset -c "$1" "$BATS_TEST_TMPDIR/agenthog" >/dev/null &
	HOG_PID=$!
}

# Within 20% or 10 us, whichever is larger.
close_enough() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d;
		t = 0.2 * (b > 0 ? b : -b); if (t < 10) t = 10; exit !(d <= t) }'
}

# Two `agentune snapshot` trees hold the same settings: every file and link
# equal, except counters and what names running processes.
SNAP_COUNTERS='^\./proc/([0-9]+|self|thread-self|interrupts|softirqs|stat|uptime|loadavg|meminfo|vmstat|net/softnet_stat)(/|$)|/cpuidle/state[0-9]+/(usage|time|above|below|rejected)$|/statistics/'
snap_same() {
	local a=$1 b=$2 f
	diff <(cd "$a" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS" | sort) \
	     <(cd "$b" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS" | sort) || return 1
	while read -r f; do
		if [ -L "$a/$f" ]; then
			[ "$(readlink "$a/$f")" = "$(readlink "$b/$f")" ] || { echo "link $f differs"; return 1; }
		elif [ "$f" = ./proc/cgroups ]; then
			# num_cgroups counts removed cgroups until the kernel frees them
			diff <(awk '{ print $1, $2, $4 }' "$a/$f") <(awk '{ print $1, $2, $4 }' "$b/$f") || return 1
		else
			cmp -s "$a/$f" "$b/$f" || { echo "$f differs:"; diff "$a/$f" "$b/$f" | head -5; return 1; }
		fi
	done < <(cd "$a" && find . \( -type f -o -type l \) | grep -Ev "$SNAP_COUNTERS")
}
