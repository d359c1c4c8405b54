#!/usr/bin/env bash
# layout.sh SRC_DIR: checks the rules src/ is kept to (README.md, "Layout"):
#   - every .c and .h lies in a folder, none loose in SRC_DIR;
#   - at least four folders, none with a single module (a module is X.c
#     with its X.h, or a lone header);
#   - each folder has a README.md, and each file's first line names it as
#     "/* FOLDER/MODULE: ..." so a reader knows where they are;
#   - no include circle between modules: module A depends on B when A's .c
#     or .h includes B's header ("folder/b.h"); a cycle in that graph, of
#     any length, is a circle.
# Prints each violation on a line of its own and exits 1 when there is one.
set -uo pipefail
src=${1:?usage: layout.sh SRC_DIR}
cd "$src" || exit 2
bad=0
say() { echo "$*"; bad=1; }

loose=$(find . -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) | sed 's|^\./||' | sort)
[ -z "$loose" ] || say "loose in src/ (put them in a folder): $(echo $loose)"

folders=$(find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort)
nfolders=$(echo "$folders" | grep -c .)
[ "$nfolders" -ge 4 ] || say "only $nfolders folders in src/ (at least four concerns)"

for d in $folders; do
	mods=$(find "$d" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) |
		sed 's|.*/||; s|\.[ch]$||' | sort -u)
	n=$(echo "$mods" | grep -c .)
	[ "$n" -ge 2 ] || say "$d/ holds $n module(s): a folder is for a concern with more than one"
	[ -s "$d/README.md" ] || say "$d/ has no README.md saying what the folder is for"
	for f in "$d"/*.c "$d"/*.h; do
		[ -f "$f" ] || continue
		m=${f%.[ch]}
		head -1 "$f" | grep -q "^/\* $m: " ||
			say "$f: first line does not start with '/* $m: ' (which folder and module it is)"
	done
done

# Edges "a b" (module a includes module b's header), one per line.
edges() {
	for f in */*.c */*.h; do
		[ -f "$f" ] || continue
		local from=${f%.[ch]}
		sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*/[a-z_0-9]*\)\.h".*|\1|p' "$f" |
			while read -r to; do
				[ "$to" = "$from" ] && continue
				[ -f "$to.h" ] || continue
				echo "$from $to"
			done
	done | sort -u
}

e=$(edges)
# tsort prints the members of each cycle it finds on stderr.
if ! loops=$(echo "$e" | tsort 2>&1 >/dev/null) || [ -n "$loops" ]; then
	cyc=$(echo "$loops" | sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | tr '\n' ' ')
	say "include circle between modules: $cyc"
fi
exit $bad
