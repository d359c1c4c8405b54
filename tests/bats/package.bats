#!/usr/bin/env bats
# The Debian package: `make deb` from a fresh clone (nothing written beside
# it), lintian without an error, dpkg -i, the installed program runs
# (--version, inspect, its man pages and profiles), and dpkg -r / -P leave
# nothing of it.  Root (it installs a package on the machine, and puts the
# machine back in teardown).
#
# DEB=path/to/agentune_V_ARCH.deb uses that package instead of building one
# (what `make deb` left in build/, say).
load helpers

PKG=agentune

# dpkg, retried while another dpkg or apt holds its lock (a shared machine).
dpkg_retry() {
	local i out
	for i in $(seq 120); do
		out=$(dpkg "$@" 2>&1) && { echo "$out"; return 0; }
		grep -qi 'lock' <<<"$out" || { echo "$out"; return 1; }
		sleep 5
	done
	echo "$out"
	return 1
}

setup_file() {
	export VERSION_BASE
	VERSION_BASE=$(cat "$BATS_TEST_DIRNAME/../../VERSION")
}

setup() {
	need_root
	need_cmd dpkg
	installed_before=false
	if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'ok installed'; then
		skip "the $PKG package is installed on this machine already: the test would remove it"
	fi
	[ ! -e /usr/sbin/agentune ] || skip "/usr/sbin/agentune exists and does not belong to a package: the test would replace it"
	if [ -z "${DEB:-}" ]; then
		need_cmd git
		need_cmd dpkg-buildpackage
		need_cmd dh
		need_cmd scdoc
		git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || skip "$REPO is not a git checkout to clone (set DEB=)"
	fi
}

teardown() {
	# installed, or removed with its conffiles left ("config-files"): purge
	if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -Eq 'installed|config-files|half'; then
		dpkg_retry -P "$PKG" >/dev/null || true
	fi
	true
}

# The package: $DEB, else one built by `make deb` in a fresh clone of this
# checkout's HEAD, in a directory of its own with a sentinel beside the
# clone (as CI has ../shared), which must be left alone.
build_deb() {
	if [ -n "${DEB:-}" ]; then
		[ -f "$DEB" ] || { echo "DEB=$DEB: no such file"; return 1; }
		echo "$DEB"
		return
	fi
	local top="$BATS_FILE_TMPDIR/pkg" arch
	arch=$(dpkg --print-architecture)
	if [ ! -f "$top/clone/build/agentune_${VERSION_BASE}_$arch.deb" ]; then
		rm -rf "$top" && mkdir -p "$top/shared"
		echo keep >"$top/shared/sentinel"
		git clone -q "$REPO" "$top/clone" >&2
		(cd "$top" && ls -A) >"$BATS_FILE_TMPDIR/parent.before"
		make -C "$top/clone" deb >"$BATS_FILE_TMPDIR/make-deb.log" 2>&1 ||
			{ tail -30 "$BATS_FILE_TMPDIR/make-deb.log" >&2; return 1; }
		# nothing beside the clone, nothing in it but build/
		(cd "$top" && ls -A) >"$BATS_FILE_TMPDIR/parent.after"
		diff "$BATS_FILE_TMPDIR/parent.before" "$BATS_FILE_TMPDIR/parent.after" >&2 ||
			{ echo "make deb wrote beside the clone" >&2; return 1; }
		[ "$(cat "$top/shared/sentinel")" = keep ]
		[ -z "$(git -C "$top/clone" status --porcelain --ignored | grep -v '^!! build/$')" ] ||
			{ git -C "$top/clone" status --porcelain --ignored >&2; echo "make deb left files in the clone" >&2; return 1; }
	fi
	echo "$top/clone/build/agentune_${VERSION_BASE}_$arch.deb"
}

@test "make deb (a fresh clone): agentune_VERSION_ARCH.deb, nothing written beside the clone" {
	deb=$(build_deb)
	[ -f "$deb" ]
	[[ "$(basename "$deb")" == "agentune_${VERSION_BASE}_$(dpkg --print-architecture).deb" ]]
	run dpkg-deb -f "$deb" Package Version Depends
	[ "$status" -eq 0 ]
	[[ "$output" == *"Package: agentune"* ]]
	[[ "$output" == *"Version: $VERSION_BASE"* ]]
	# the run-time libraries, from ${shlibs:Depends}
	[[ "$output" == *libbpf* ]] && [[ "$output" == *libjson-c* ]] && [[ "$output" == *libc6* ]]
	echo "size: $(stat -c %s "$deb") bytes"
	dpkg-deb -c "$deb"
	run dpkg-deb -c "$deb"
	for f in ./usr/sbin/agentune ./usr/share/man/man8/agentune.8.gz ./usr/share/man/man5/agentune.profile.5.gz \
		./usr/share/bash-completion/completions/agentune ./usr/share/zsh/vendor-completions/_agentune \
		./usr/share/agentune/profiles/agent-latency.profile ./usr/share/doc/agentune/copyright; do
		[[ "$output" == *" $f"* ]] || { echo "missing $f"; false; }
	done
	# the units the tree has (systemd/), where dh_installsystemd put them
	for u in "$REPO"/systemd/*.service "$REPO"/systemd/*.timer; do
		[ -f "$u" ] || continue
		[[ "$output" == *"/lib/systemd/system/$(basename "$u")"* ]] || { echo "missing unit $u"; false; }
	done
}

@test "lintian: no error on the package" {
	need_cmd lintian
	deb=$(build_deb)
	run lintian --pedantic -I "$deb"
	echo "$output"
	! grep -E '^E: ' <<<"$output"
}

@test "dpkg -i: the installed agentune runs; dpkg -r then -P leave nothing of it" {
	deb=$(build_deb)
	run dpkg_retry -i "$deb"
	echo "$output"
	[ "$status" -eq 0 ]
	dpkg-query -L "$PKG" >"$BATS_TEST_TMPDIR/files"
	[ -s "$BATS_TEST_TMPDIR/files" ]
	# conffiles (/etc/agentune/agentune.conf) stay after -r, by design; -P removes them
	dpkg-query -W -f='${Conffiles}\n' "$PKG" | awk 'NF {print $1}' >"$BATS_TEST_TMPDIR/conffiles"

	run /usr/sbin/agentune --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "agentune $VERSION_BASE"* ]]
	[[ "$output" == *libbpf* ]]
	run /usr/sbin/agentune inspect
	[ "$status" -eq 0 ]
	[[ "$output" == *Findings* ]]
	# the shipped profiles, found in /usr/share/agentune
	run /usr/sbin/agentune profile list --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.profiles[] | select(.path == "/usr/share/agentune/profiles/agent-latency.profile")] | length == 1'
	if command -v man >/dev/null; then
		[ "$(man -w agentune)" = /usr/share/man/man8/agentune.8.gz ]
		run bash -c 'MANWIDTH=100 man --warnings 5 agentune.profile 2>&1 >/dev/null'
		[ -z "$output" ] || { echo "man warnings: $output"; false; }
	fi

	# every path dpkg listed: a file gone after -r; a directory gone unless
	# it holds what other packages installed (/usr/share/man, ...)
	run dpkg_retry -r "$PKG"
	[ "$status" -eq 0 ]
	gone() {
		while read -r p; do
			[ "$p" = /. ] && continue
			[ "$1" = remove ] && grep -qxF "$p" "$BATS_TEST_TMPDIR/conffiles" && continue
			[ "$1" = remove ] && [ -d "$p" ] && grep -q "^$p/" "$BATS_TEST_TMPDIR/conffiles" && continue
			# a directory, or a link to one that another package owns (/lib
			# on a merged-/usr system)
			if [ -d "$p" ]; then
				[[ "$p" != */agentune* ]] || { echo "directory left: $p"; return 1; }
				[ -n "$(ls -A "$p")" ] || { echo "empty directory left: $p"; return 1; }
			else
				[ ! -e "$p" ] && [ ! -L "$p" ] || { echo "left: $p"; return 1; }
			fi
		done <"$BATS_TEST_TMPDIR/files"
	}
	gone remove
	run dpkg_retry -P "$PKG"
	[ "$status" -eq 0 ]
	gone purge
	while read -r c; do [ ! -e "$c" ] || { echo "conffile left after purge: $c"; false; }; done <"$BATS_TEST_TMPDIR/conffiles"
	! dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -Eq 'installed|config-files' 
	! ls /var/lib/dpkg/info/"$PKG".* 2>/dev/null
}
