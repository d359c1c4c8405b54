#!/usr/bin/env bash
# make demo: start the bundled agent loop (UDP over loopback, so each wakeup
# travels NET_RX softirq -> scheduler), diagnose it for a few seconds, print
# the report and the workload's own measurement beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
SECONDS_DIAG=${DEMO_SECONDS:-5}
cpu=$(($(nproc) > 1 ? 1 : 0))

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: diagnose loads BPF programs and needs root (CAP_BPF, CAP_PERFMON);"
	echo "      showing the host report instead."
	exec "$B/agentune" inspect --sample 500
fi

tmp=$(mktemp -d)
trap 'kill "$wl" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$B/agentloop" --wake udp --cpu "$cpu" --interval-us 1000 --work-us 100 \
	--duration $((SECONDS_DIAG + 2)) --start-delay-ms 500 >"$tmp/wl.txt" 2>"$tmp/wl.err" &
wl=$!
for _ in $(seq 100); do grep -q ready "$tmp/wl.err" && break; sleep 0.05; done
tid=$(sed -n 's/.*consumer tids \([0-9]*\).*/\1/p' "$tmp/wl.err")
echo "demo: agent loop pid $wl (consumer thread $tid on CPU $cpu), woken over UDP every 1 ms"
echo "demo: agentune diagnose --pid $wl --tid $tid --duration $SECONDS_DIAG"
echo
"$B/agentune" diagnose --pid "$wl" --tid "$tid" --duration "$SECONDS_DIAG"
wait "$wl" || true
echo
echo "demo: the workload's own measurement of its wake latency (whole run):"
cat "$tmp/wl.txt"
