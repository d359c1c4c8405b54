#!/usr/bin/env bats
# The shape of src/ (README.md, "Layout"): folders by concern, no module
# loose, no include circle.  tests/tools/layout.sh does the checking; the
# planted cases show that it can fail.
load helpers

LAYOUT="$REPO/tests/tools/layout.sh"

# A copy of src/ to plant a violation in.
copy_src() {
	cp -r "$REPO/src" "$BATS_TEST_TMPDIR/src"
	echo "$BATS_TEST_TMPDIR/src"
}

@test "layout: src/ keeps its rules (folders, first lines, no include circle)" {
	run "$LAYOUT" "$REPO/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "layout: a planted include circle of two modules is found and named" {
	s=$(copy_src)
	echo '#include "base/host.h"' >>"$s/base/cpumask.h"
	echo '#include "base/cpumask.h"' >>"$s/base/host.c"
	run "$LAYOUT" "$s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"include circle"*"base/cpumask"* ]]
	[[ "$output" == *"base/host"* ]]
}

@test "layout: a circle through three folders is found" {
	s=$(copy_src)
	echo '#include "top/top_view.h"' >>"$s/base/util.c"
	run "$LAYOUT" "$s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"include circle"* ]]
}

@test "layout: a loose module, a folder of one module and an unnamed first line are refused" {
	s=$(copy_src)
	printf '/* loose: x */\n' >"$s/loose.c"
	mkdir "$s/lonely"
	printf '/* lonely/one: x */\n' >"$s/lonely/one.c"
	echo "one" >"$s/lonely/README.md"
	printf '/* wrong name */\n' >"$s/base/extra.c"
	run "$LAYOUT" "$s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"loose in src/"*"loose.c"* ]]
	[[ "$output" == *"lonely/ holds 1 module"* ]]
	[[ "$output" == *"base/extra.c: first line"* ]]
}
