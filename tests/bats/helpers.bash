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
