#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed, N skipped".
#   unit tests (cmocka, TAP), the same under ASan+UBSan, the libFuzzer
#   harnesses for a bounded time each, and the command-level bats tests.
# Environment: B (build dir, default build), FUZZ_SECONDS (default 10),
#   ONLY=unit|asan|fuzz|bats to run one suite.
#
# What each suite printed stays in $B/test-results/ (emptied when a run
# starts): SUITE.tap and SUITE.err per unit test binary, bats/FILE.tap,
# fuzz/NAME/ with the fuzzer's log and, when it crashed, its crash input
# (reproduce with: $B/fuzz/NAME $B/test-results/fuzz/NAME/crash-...).
# Each failure is listed with the file that holds its output, and each
# skipped test with the reason it gave.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
ONLY=${ONLY:-}
mkdir -p "$B" || exit 1
results="$(cd "$B" && pwd)/test-results"
passed=0 failed=0 skipped=0
failures=()
skips=()
rm -rf "$results"
mkdir -p "$results" || exit 1

# Counts TAP lines of one suite's output; a suite that died without saying
# "not ok" still counts as one failure.  log names where the suite's output
# is kept; skipped tests are remembered with their reasons.
count_tap() {
	local suite=$1 out=$2 status=$3 log=${4:-$2}
	local p f s
	# cmocka prints a skipped test as "not ok N # SKIP", bats as "ok N # skip".
	s=$(grep -Eic '^(not )?ok .*# skip' "$out")
	p=$(grep -Ec '^ok ' "$out"); p=$((p - $(grep -Eic '^ok .*# skip' "$out")))
	f=$(grep -Ec '^not ok ' "$out"); f=$((f - $(grep -Eic '^not ok .*# skip' "$out")))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$suite: exited with status $status" "    output: $log")
	fi
	while IFS= read -r line; do
		failures+=("$suite: $line" "    output: $log")
		while IFS= read -r d; do failures+=("      $d"); done < <(failure_detail "$out" "$line")
	done < <(grep -E '^not ok ' "$out" | grep -vi '# skip')
	while IFS= read -r line; do skips+=("$suite: $line"); done < <(skip_reasons "$out")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-40s %4d passed %3d failed %3d skipped\n' "$suite" "$p" "$f" "$s"
}

# What a failed test printed: the comment lines after its "not ok" line in
# the TAP file (bats: the failing command, its line, the test's output),
# the first 40 of them.  CI keeps only this summary, not the result files,
# so a failure there must be readable from it.
failure_detail() {
	awk -v t="$2" '$0 == t { on = 1; next } on && /^(not )?ok / { exit } on && /^#/' "$1" | head -n 40
}

# "test: reason" for every skipped test of a TAP file.  bats puts the
# reason on the line ("ok 3 name # skip reason"); cmocka puts the test's
# name there ("not ok 17 # SKIP name") and testutil.h's skip_because the
# reason on a comment line just before it ("# SKIP: reason").
skip_reasons() {
	awk '
	/^# SKIP: / { why = substr($0, 9); next }
	/^(ok|not ok) / {
		if (match($0, /# [Ss][Kk][Ii][Pp]/)) {
			head = substr($0, 1, RSTART - 1); tail = substr($0, RSTART + 7)
			sub(/^(not )?ok [0-9]+ (- )?/, "", head); sub(/ +$/, "", head)
			sub(/^ +/, "", tail)
			if (head == "") { name = tail; reason = why }
			else { name = head; reason = tail }
			if (reason == "") reason = "(no reason given)"
			print name " -- " reason
		}
		why = ""
	}' "$1"
}

run_unit_dir() {
	local dir=$1 tag=$2
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		local name out
		name="$tag$(basename "$t")"
		out="$results/$(echo "$name" | tr '/:' '__')"
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$t" >"$out.tap" 2>"$out.err"
		local st=$?
		count_tap "$name" "$out.tap" "$st" "$out.tap (stderr: $out.err)"
		[ "$st" -ne 0 ] && tail -20 "$out.err" | sed 's/^/    /'
	done
}

run_fuzz() {
	for f in "$B"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		local name dir corpus
		name=$(basename "$f")
		dir="$results/fuzz/$name"
		corpus="$dir/corpus"
		mkdir -p "$corpus"
		[ -d "tests/fuzz/corpus/${name#fuzz_}" ] && cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$corpus/"
		if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=1024 -artifact_prefix="$dir/" \
			"$corpus" >"$dir/log" 2>&1; then
			echo "ok 1 - $name ran ${FUZZ_SECONDS}s without a crash" >"$dir/result.tap"
			count_tap "fuzz:$name" "$dir/result.tap" 0
			rm -rf "$corpus" # grown by the run; only a crash is worth keeping
		else
			echo "not ok 1 - $name crashed" >"$dir/result.tap"
			local crash
			crash=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null | head -1)
			count_tap "fuzz:$name" "$dir/result.tap" 0 \
				"$dir/log${crash:+ (input: $crash; reproduce: $f $crash)}"
			grep -E 'ERROR|SUMMARY|Test unit written' "$dir/log" | head -5 | sed 's/^/    /'
		fi
	done
}

run_bats() {
	mkdir -p "$results/bats"
	if ! command -v bats >/dev/null; then
		echo "ok 1 - bats # SKIP bats is not installed" >"$results/bats/bats.tap"
		count_tap "bats" "$results/bats/bats.tap" 0
		return
	fi
	for f in tests/bats/*.bats; do
		[ -f "$f" ] || continue
		local out
		out="$results/bats/$(basename "$f").tap"
		B="$B" bats --tap "$f" >"$out" 2>&1
		local st=$?
		count_tap "bats:$(basename "$f")" "$out" "$st"
	done
}

{ [ -z "$ONLY" ] || [ "$ONLY" = unit ]; } && run_unit_dir "$B/tests" ""
{ [ -z "$ONLY" ] || [ "$ONLY" = asan ]; } && run_unit_dir "build/asan/tests" "asan:"
{ [ -z "$ONLY" ] || [ "$ONLY" = fuzz ]; } && run_fuzz
{ [ -z "$ONLY" ] || [ "$ONLY" = bats ]; } && run_bats

if [ ${#skips[@]} -gt 0 ]; then
	echo
	echo "Skipped (test -- reason):"
	printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failures (each suite's output is kept in $results/):"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
