#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed, N skipped".
#   unit tests (cmocka, TAP), the same under ASan+UBSan, the libFuzzer
#   harnesses for a bounded time each, and the command-level bats tests.
# Environment: B (build dir, default build), FUZZ_SECONDS (default 10),
#   ONLY=unit|asan|fuzz|bats to run one suite.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
ONLY=${ONLY:-}
passed=0 failed=0 skipped=0
failures=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Counts TAP lines of one suite's output; a suite that died without saying
# "not ok" still counts as one failure.
count_tap() {
	local suite=$1 out=$2 status=$3
	local p f s
	# cmocka prints a skipped test as "not ok N # SKIP", bats as "ok N # skip".
	s=$(grep -Eic '^(not )?ok .*# skip' "$out")
	p=$(grep -Ec '^ok ' "$out"); p=$((p - $(grep -Eic '^ok .*# skip' "$out")))
	f=$(grep -Ec '^not ok ' "$out"); f=$((f - $(grep -Eic '^not ok .*# skip' "$out")))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$suite: exited with status $status")
	fi
	while IFS= read -r line; do failures+=("$suite: $line"); done < <(grep -E '^not ok ' "$out" | grep -vi '# skip')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-40s %4d passed %3d failed %3d skipped\n' "$suite" "$p" "$f" "$s"
}

run_unit_dir() {
	local dir=$1 tag=$2
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		local name out
		name="$tag$(basename "$t")"
		out="$log/$(echo "$name" | tr '/:' '__').tap"
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$t" >"$out" 2>"$out.err"
		local st=$?
		count_tap "$name" "$out" "$st"
		[ "$st" -ne 0 ] && tail -20 "$out.err" | sed 's/^/    /'
	done
}

run_fuzz() {
	for f in "$B"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		local name corpus out
		name=$(basename "$f")
		corpus="$log/corpus-$name"
		mkdir -p "$corpus"
		[ -d "tests/fuzz/corpus/${name#fuzz_}" ] && cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$corpus/"
		out="$log/$name.tap"
		if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=1024 -artifact_prefix="$log/" \
			"$corpus" >"$out.log" 2>&1; then
			echo "ok 1 - $name ran ${FUZZ_SECONDS}s without a crash" >"$out"
			count_tap "fuzz:$name" "$out" 0
		else
			echo "not ok 1 - $name crashed (see below)" >"$out"
			count_tap "fuzz:$name" "$out" 0
			grep -E 'ERROR|SUMMARY|Test unit written' "$out.log" | head -5 | sed 's/^/    /'
		fi
	done
}

run_bats() {
	if ! command -v bats >/dev/null; then
		echo "ok 1 - bats # SKIP bats is not installed" >"$log/bats.tap"
		count_tap "bats" "$log/bats.tap" 0
		return
	fi
	for f in tests/bats/*.bats; do
		[ -f "$f" ] || continue
		local out="$log/$(basename "$f").tap"
		B="$B" bats --tap "$f" >"$out" 2>&1
		local st=$?
		count_tap "bats:$(basename "$f")" "$out" "$st"
	done
}

{ [ -z "$ONLY" ] || [ "$ONLY" = unit ]; } && run_unit_dir "$B/tests" ""
{ [ -z "$ONLY" ] || [ "$ONLY" = asan ]; } && run_unit_dir "build/asan/tests" "asan:"
{ [ -z "$ONLY" ] || [ "$ONLY" = fuzz ]; } && run_fuzz
{ [ -z "$ONLY" ] || [ "$ONLY" = bats ]; } && run_bats

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
