#!/usr/bin/env bash
# Copies a captured tree, turning its links from one form into the other:
#   linkfiles.sh to-symlinks SRC DST    every link-file becomes a real symbolic link
#   linkfiles.sh to-linkfiles SRC DST   every symbolic link becomes a link-file
#   linkfiles.sh list SRC               the link-files of SRC, "path -> text"
# A link-file is what src/base/host.c reads as one: a regular file shorter
# than PATH_MAX, without NUL bytes, whose one line starts with "../" or "./"
# (trailing white space aside).  A link-file is written as its text alone,
# without a newline, as the captures in ../shared/fixtures/hosts keep them.
# DST must not exist.  Used by tests/bats/inspect_fixtures.bats.
set -euo pipefail

# The link text of file $1 when it is a link-file; status 1 otherwise.
link_file_text() {
	local f=$1 t
	[ -f "$f" ] && [ ! -L "$f" ] && [ "$(stat -c %s "$f")" -lt 4096 ] || return 1
	tr -d '\0' <"$f" | cmp -s - "$f" || return 1
	t=$(<"$f")
	t=${t%"${t##*[![:space:]]}"}
	[[ "$t" != *$'\n'* ]] || return 1
	[[ "$t" == ../* || "$t" == ./* ]] || return 1
	printf '%s' "$t"
}

# Candidates: regular files whose first bytes are "../" or "./".
candidates() {
	find "$1" -type f -size -4096c -print0 | xargs -0 -r grep -lZ -E '^\.\.?/' -- 2>/dev/null || true
}

cmd=${1:-} src=${2:-} dst=${3:-}
case "$cmd" in
list)
	[ -d "$src" ] || { echo "usage: $0 list SRC" >&2; exit 2; }
	while IFS= read -r -d '' f; do
		t=$(link_file_text "$f") && printf '%s -> %s\n' "${f#"$src"/}" "$t"
	done < <(candidates "$src")
	;;
to-symlinks)
	[ -d "$src" ] && [ -n "$dst" ] && [ ! -e "$dst" ] || { echo "usage: $0 to-symlinks SRC DST (DST new)" >&2; exit 2; }
	cp -a "$src" "$dst"
	while IFS= read -r -d '' f; do
		if t=$(link_file_text "$f"); then
			rm "$f"
			ln -s "$t" "$f"
		fi
	done < <(candidates "$dst")
	;;
to-linkfiles)
	[ -d "$src" ] && [ -n "$dst" ] && [ ! -e "$dst" ] || { echo "usage: $0 to-linkfiles SRC DST (DST new)" >&2; exit 2; }
	cp -a "$src" "$dst"
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		rm "$l"
		printf '%s' "$t" >"$l"
	done < <(find "$dst" -type l -print0)
	;;
*)
	echo "usage: $0 to-symlinks|to-linkfiles SRC DST, or $0 list SRC" >&2
	exit 2
	;;
esac
