#!/usr/bin/env bats
# A hostile local user against root running agentune (issue 15, defects 1,
# 4, 5 and 6).  The second user is `nobody` (uid 65534), run with setpriv;
# it plants symlinks in directories it owns while root snapshots, applies,
# reverts.  Each test asserts that root wrote nothing through a link and
# refused what it could not trust, with the reason.  Nothing here changes
# the live host: applies go to trees under --root, the run directory is the
# test's own.  Everything made is removed in teardown.
load helpers

HOSTILE_UID=65534

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	# /tmp for what the hostile user owns (it must reach it), /run for a
	# directory only root can write (every directory above a profile must be).
	SEC_BASE=$(mktemp -d /tmp/agentune-sec.XXXXXX)
	chmod 0755 "$SEC_BASE"
	SEC_ROOT=$(mktemp -d /run/agentune-sec.XXXXXX)
	chmod 0755 "$SEC_ROOT"
	export SEC_BASE SEC_ROOT
}

teardown_file() {
	[ -n "${SEC_BASE:-}" ] && rm -rf "$SEC_BASE"
	[ -n "${SEC_ROOT:-}" ] && rm -rf "$SEC_ROOT"
	true
}

setup() {
	need_root
	need_cmd setpriv
	HOSTILE_PID=""
	# Never the host's /run/agentune.
	export AGENTUNE_RUN_DIR="$BATS_TEST_TMPDIR/run"
	unset AGENTUNE_PROFILE_PATH
	# A directory of the hostile user's, which it can reach.
	H=$(mktemp -d "$SEC_BASE/h.XXXXXX")
	chown "$HOSTILE_UID:$HOSTILE_UID" "$H"
	hostile test -w "$H" || skip "user nobody cannot write $H"
}

teardown() {
	stop_hostile
	[ -n "${H:-}" ] && rm -rf "$H"
	true
}

# Runs a command as the hostile user.
hostile() {
	setpriv --reuid="$HOSTILE_UID" --regid="$HOSTILE_UID" --clear-groups "$@"
}

# Starts a hostile shell script in the background: HOSTILE_PID is its pid
# (setpriv execs bash), the one stop_hostile kills.
start_hostile() {
	setpriv --reuid="$HOSTILE_UID" --regid="$HOSTILE_UID" --clear-groups bash -c "$1" _ "${@:2}" &
	HOSTILE_PID=$!
}

stop_hostile() {
	if [ -n "${HOSTILE_PID:-}" ]; then
		kill "$HOSTILE_PID" 2>/dev/null
		wait "$HOSTILE_PID" 2>/dev/null || true
	fi
	HOSTILE_PID=""
}

# A tree to apply to (a fixture copy) and a one-line profile.
make_tree() {
	cp -a "$FIXTURES/virtio-net-2cpu" "$1"
}
PROFILE_TEXT='[main]\nsummary = t\n[napi]\nbusy_poll = 25\n'

# ---------- defect 1: snapshot ----------

# Swaps OUTDIR's subdirectories for links to TARGET, as fast as it can.
# "after-start" waits until something appears in OUTDIR first (what
# agentune writes), so the emptiness check at the start sees nothing.
PLANTER='out=$1 target=$2 mode=$3
if [ "$mode" = after-start ]; then
	until [ -e "$out/proc" ] || [ -e "$out/sys" ] || [ -e "$out/dev" ]; do :; done
fi
while :; do
	for d in proc sys dev agentune; do
		if [ -d "$out/$d" ] && [ ! -L "$out/$d" ]; then
			mv "$out/$d" "$out/.moved-$d-$RANDOM" 2>/dev/null
		fi
		ln -sn "$target" "$out/$d" 2>/dev/null
	done
done'

@test "snapshot into another user's directory: nothing is written through the links it plants (20 tries)" {
	target="$H/target"
	hostile mkdir "$target"
	wrote=0 refused=0
	for i in $(seq 20); do
		mode=after-start
		[ $((i % 2)) -eq 0 ] && mode=always
		out="$H/snap$i"
		hostile mkdir "$out"
		start_hostile "$PLANTER" "$out" "$target" "$mode"
		if [ "$mode" = always ]; then sleep 0.05; fi
		run timeout 60 "$AGENTUNE" snapshot "$out"
		stop_hostile
		# nothing at all in the hostile user's target, and nothing root made
		# left beside OUTDIR
		[ -z "$(ls -A "$target")" ] || { echo "try $i ($mode): written through a link:"; ls -la "$target"; false; }
		[ -z "$(compgen -G "$H/.snap$i.tmp-*")" ]
		if [ "$status" -eq 0 ]; then
			wrote=$((wrote + 1))
			# what root wrote is its own, no link on the way
			[ ! -L "$out" ]
			[ "$(stat -c %u "$out")" -eq 0 ]
			[ -d "$out/proc" ]
			[ ! -L "$out/proc" ]
			[ "$(stat -c %u "$out/proc")" -eq 0 ]
			[ -s "$out/proc/interrupts" ]
		else
			refused=$((refused + 1))
			[[ "$output" == *"not an empty directory"* || "$output" == *"no longer absent or an empty directory"* ]] ||
				{ echo "try $i: unexpected failure: $output"; false; }
		fi
	done
	echo "written $wrote, refused $refused"
	[ $((wrote + refused)) -eq 20 ]
	# Without a race the capture lands (in a directory nobody can change).
	[ "$wrote" -ge 1 ]
}

@test "snapshot: OUTDIR that is a symlink, or not empty, is refused before anything is read" {
	hostile mkdir "$H/elsewhere"
	hostile ln -s "$H/elsewhere" "$H/link"
	for out in "$H/link" "$H/link/"; do
		run "$AGENTUNE" snapshot "$out"
		[ "$status" -eq 2 ]
		[[ "$output" == *"is a symlink: refusing it"* ]]
	done
	hostile touch "$H/elsewhere/x"
	run "$AGENTUNE" snapshot "$H/elsewhere"
	[ "$status" -eq 2 ]
	[[ "$output" == *"exists and is not an empty directory"* ]]
	[ "$(ls -A "$H/elsewhere")" = x ]
}

# ---------- defect 4: revert and a swapped --root ----------

@test "revert and status refuse a --root that was swapped for a link to another tree or to /" {
	make_tree "$H/tree"
	chown -R "$HOSTILE_UID:$HOSTILE_UID" "$H/tree"
	printf "$PROFILE_TEXT" >"$BATS_TEST_TMPDIR/p.profile"
	bp=proc/sys/net/core/busy_poll
	run "$AGENTUNE" apply --allow-unsafe-profile --root "$H/tree" profile "$BATS_TEST_TMPDIR/p.profile" --cpus 1
	[ "$status" -eq 0 ]
	[ "$(cat "$H/tree/$bp")" = 25 ]
	# The hostile user keeps the applied tree aside and puts a link to a copy
	# of it (the applied values included) in its place.
	hostile mv "$H/tree" "$H/tree.orig"
	hostile cp -r "$H/tree.orig" "$H/other"
	hostile ln -s "$H/other" "$H/tree"
	for cmd in status revert "revert --force"; do
		run "$AGENTUNE" $cmd
		[ "$status" -eq 1 ]
		[[ "$output" == *"the journal's root $H/tree now resolves to $H/other"*"refusing it"* ]] ||
			{ echo "$cmd: $output"; false; }
	done
	[ "$(cat "$H/other/$bp")" = 25 ]
	[ "$(cat "$H/tree.orig/$bp")" = 25 ]
	# A link to / (revert would write into the live host).
	hostile ln -sfn / "$H/tree"
	for cmd in status revert; do
		run "$AGENTUNE" $cmd
		[ "$status" -eq 1 ]
		[[ "$output" == *"the journal's root $H/tree now resolves to / "*"refusing it"* ]] ||
			{ echo "$cmd: $output"; false; }
	done
	# Another directory at the very path.
	hostile rm "$H/tree"
	hostile mv "$H/other" "$H/tree"
	run "$AGENTUNE" revert
	[ "$status" -eq 1 ]
	[[ "$output" == *"the journal's root $H/tree was device "*"when applied; $H/tree is now device "*"another directory: refusing it"* ]]
	[ "$(cat "$H/tree/$bp")" = 25 ]
	# The applied tree back: revert restores it.
	hostile mv "$H/tree" "$H/other"
	hostile mv "$H/tree.orig" "$H/tree"
	run "$AGENTUNE" revert
	[ "$status" -eq 0 ]
	[ "$(cat "$H/tree/$bp")" = 0 ]
	[ "$(cat "$H/other/$bp")" = 25 ]
}

# ---------- defect 5: profiles ----------

@test "a profile reached through another user's directory or link is refused, includes too" {
	safe=$(mktemp -d "$SEC_ROOT/safe.XXXXXX")
	chmod 0755 "$safe"
	printf "$PROFILE_TEXT" >"$safe/good.profile"
	chmod 0644 "$safe/good.profile"
	make_tree "$BATS_TEST_TMPDIR/tree"
	# A dry run shows the plan of a refused profile with the refusal as a
	# warning (it changes nothing); the refusal itself is apply's.
	dry() { "$AGENTUNE" apply --root "$BATS_TEST_TMPDIR/tree" profile "$1" --cpus 1 --dry-run; }
	real() { "$AGENTUNE" apply --root "$BATS_TEST_TMPDIR/tree" profile "$1" --cpus 1; }
	cp -a "$BATS_TEST_TMPDIR/tree" "$BATS_TEST_TMPDIR/tree.before"
	run dry "$safe/good.profile"
	[ "$status" -eq 0 ]
	[[ "$output" != *"refused"* ]]
	# A directory of the hostile user's in a root-only directory, holding a
	# link to the safe profiles: what the link points to is root's, the
	# link is not.
	u=$(mktemp -d "$SEC_ROOT/user.XXXXXX")
	chmod 0755 "$u"
	chown "$HOSTILE_UID:$HOSTILE_UID" "$u"
	hostile ln -s "$safe" "$u/profiles"
	run dry "$u/profiles/good.profile"
	[ "$status" -eq 0 ]
	[[ "$output" == *"refused: $u: owned by uid $HOSTILE_UID, not root"* ]]
	run real "$u/profiles/good.profile"
	[ "$status" -eq 2 ]
	[[ "$output" == *"refused: $u: owned by uid $HOSTILE_UID, not root"*"a profile must be writable by root only"* ]]
	# The same as an include of a safe profile.
	printf '[main]\nsummary = top\ninclude = %s\n' "$u/profiles/good.profile" >"$safe/top.profile"
	chmod 0644 "$safe/top.profile"
	run real "$safe/top.profile"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$u/profiles/good.profile"*"owned by uid $HOSTILE_UID, not root"* ]]
	# The hostile user flips its link between the safe profile and its own
	# while root loads it: root never plans its value.
	hostile mkdir "$u/evil"
	printf '[main]\nsummary = evil\n[napi]\nbusy_poll = 77\n' | hostile tee "$u/evil/good.profile" >/dev/null
	start_hostile 'while :; do ln -sfn "$1" "$2/profiles"; ln -sfn "$2/evil" "$2/profiles"; done' "$safe" "$u"
	for i in $(seq 20); do
		run real "$u/profiles/good.profile"
		[ "$status" -eq 2 ]
		[[ "$output" != *"-> 77"* ]]
	done
	stop_hostile
	# Nothing of it reached the tree, and nothing was journaled.
	diff -r --no-dereference "$BATS_TEST_TMPDIR/tree.before" "$BATS_TEST_TMPDIR/tree"
	[ ! -s "$AGENTUNE_RUN_DIR/journal" ]
	rm -rf "$safe" "$u"
}

# ---------- defect 6: the run directory ----------

@test "AGENTUNE_RUN_DIR through a link (trailing slash, in the middle) or relative is refused, nothing made" {
	make_tree "$BATS_TEST_TMPDIR/tree"
	printf "$PROFILE_TEXT" >"$BATS_TEST_TMPDIR/p.profile"
	# A root-only 0700 directory (as /root is) the hostile user points at.
	priv=$(mktemp -d "$SEC_ROOT/priv.XXXXXX")
	chmod 0700 "$priv"
	mkdir -m 0700 "$priv/run"
	hostile ln -s "$priv" "$H/link"
	for dir in "$H/link/" "$H/link" "$H/link/run" "$H/link/run/"; do
		AGENTUNE_RUN_DIR="$dir" run "$AGENTUNE" apply --allow-unsafe-profile --root "$BATS_TEST_TMPDIR/tree" \
			profile "$BATS_TEST_TMPDIR/p.profile" --cpus 1
		[ "$status" -ne 0 ] || { echo "$dir accepted: $output"; false; }
		[[ "$output" == *"$H/link is a symlink"* ]] || { echo "$dir: $output"; false; }
		[ -z "$(ls -A "$priv/run")" ] && [ ! -e "$priv/lock" ] && [ ! -e "$priv/journal" ] ||
			{ echo "$dir: made something through the link"; ls -la "$priv" "$priv/run"; false; }
		AGENTUNE_RUN_DIR="$dir" run "$AGENTUNE" status
		[ "$status" -ne 0 ]
		[[ "$output" == *"$H/link is a symlink"* ]]
	done
	[ "$(cat "$BATS_TEST_TMPDIR/tree/proc/sys/net/core/busy_poll")" = 0 ]
	# Relative: the window controller (a daemon in /) would look elsewhere.
	cd "$BATS_TEST_TMPDIR"
	AGENTUNE_RUN_DIR=rel-run run "$AGENTUNE" apply --allow-unsafe-profile --root "$BATS_TEST_TMPDIR/tree" \
		profile "$BATS_TEST_TMPDIR/p.profile" --cpus 1
	[ "$status" -ne 0 ]
	[[ "$output" == *"run directory rel-run is not an absolute path"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/rel-run" ]
	rm -rf "$priv"
}
