#!/usr/bin/env bats
# The man pages: built by make (scdoc), rendered by man without a warning,
# and agentune.profile(5) documents every section and key the profile
# parser knows (taken from the parser's own messages, so the list cannot
# drift).
load helpers

MANDIR="$REPO/${B:-build}/man"

setup() {
	need_cmd man
	[ -f "$MANDIR/agentune.8" ] && [ -f "$MANDIR/agentune.profile.5" ] || skip "$MANDIR not built (make)"
}

@test "man --warnings renders agentune(8) and agentune.profile(5) without a warning" {
	for page in "$MANDIR/agentune.8" "$MANDIR/agentune.profile.5"; do
		for loc in C.UTF-8 C; do
			run bash -c "LC_ALL=$loc MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null"
			[ -z "$output" ] || { echo "$page ($loc): $output"; false; }
		done
		# and it renders something: NAME, and the page's own name
		MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | grep -q '^NAME'
	done
}

@test "the man pages carry VERSION" {
	v=$(cat "$REPO/VERSION")
	MANWIDTH=80 man -l "$MANDIR/agentune.8" 2>/dev/null | col -b | tail -2 | grep -q "agentune $v"
}

@test "agentune(8) has exit codes, environment, files, examples and every command" {
	text=$(MANWIDTH=120 man -l "$MANDIR/agentune.8" 2>/dev/null | col -b)
	for s in "SHORT OPTIONS" COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
		grep -q "^$s" <<<"$text" || { echo "no section $s"; return 1; }
	done
	for c in $("$AGENTUNE" help | awk '/^Commands:/ {on=1; next} on && !NF {exit} on {print $1}'); do
		grep -Eq "^   agentune $c( |$)" <<<"$text" || { echo "no subsection for $c"; return 1; }
	done
	# every environment variable the program reads
	for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$REPO/src" "$REPO/cli" | sed -E 's/getenv\("(.*)"\)/\1/' | sort -u); do
		awk '/^ENVIRONMENT/ {on=1; next} on && /^[A-Z]/ {exit} on' <<<"$text" | grep -q "$v" ||
			{ echo "ENVIRONMENT: $v missing"; return 1; }
	done
	# the status exit code
	awk '/^EXIT STATUS/ {on=1; next} on && /^[A-Z]/ {exit} on' <<<"$text" | grep -q '^       3'
}

@test "agentune.profile(5) documents every section and key the parser knows" {
	text=$(MANWIDTH=120 man -l "$MANDIR/agentune.profile.5" 2>/dev/null | col -b)
	f="$BATS_TEST_TMPDIR/x.profile"
	printf '[nosuch]\n' >"$f"
	sections=$("$AGENTUNE" profile show "$f" 2>&1 | sed -n 's/.*unknown section \[nosuch\] (\(.*\))$/\1/p' | tr -d ,)
	[ "$(wc -w <<<"$sections")" -ge 6 ]
	n=0
	for s in $sections; do
		printf '[%s]\nzz_no_such_key = 1\n' "$s" >"$f"
		keys=$("$AGENTUNE" profile show "$f" 2>&1 | sed -n 's/.*unknown key (\(.*\))$/\1/p' | tr -d ,)
		[ -n "$keys" ] || { echo "no key list for [$s]"; return 1; }
		# the subsection [s], up to the next one
		sec=$(awk -v h="   [$s]" '$0 == h {on=1; next} on && (/^   \[/ || /^[A-Z]/) {exit} on' <<<"$text")
		[ -n "$sec" ] || { echo "agentune.profile(5): no subsection [$s]"; return 1; }
		for k in $keys; do
			grep -Eq "^       $k = " <<<"$sec" || { echo "agentune.profile(5) [$s]: no entry for $k"; return 1; }
			n=$((n + 1))
		done
	done
	[ "$n" -ge 25 ]
}
