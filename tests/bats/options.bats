#!/usr/bin/env bats
# The options each command accepts, taken from the program itself
# (`agentune CMD --list-options` prints the table its getopt parses), are
# in its --help, in agentune(8) under that command, in the README's short
# option table, and offered by the bash completion; one short letter means
# one thing across commands; the values completion offers are accepted.
load helpers

MAN8="$REPO/${B:-build}/man/agentune.8"

commands() {
	"$AGENTUNE" help | awk '/^Commands:/ {on=1; next} on && !NF {exit} on {print $1}'
}

# "LONG SHORT ARG" lines: --pid -p value; SHORT is "-" when there is none.
options_of() {
	"$AGENTUNE" "$1" --list-options | tr '\t' ' '
}

complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _agentune; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$REPO/completions/agentune.bash" "$@"
}

# The rendered text of agentune(8) under the subsection "agentune CMD".
man_section() {
	MANWIDTH=200 man -l "$MAN8" 2>/dev/null | col -b |
		awk -v h="agentune $1" '
			$0 ~ "^   " h "( |$)" { on = 1; next }
			on && (/^   agentune [a-z]+( |$)/ || /^[A-Z]/) { exit }
			on { print }'
}

# Is option word $2 (like --pid or -p) in text $1, as a word of its own?
has_word() {
	grep -Eq -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" <<<"$1"
}

@test "every command lists its options, and each getopt option is in the list" {
	[ "$(commands | wc -l)" -ge 8 ]
	for c in $(commands); do
		run "$AGENTUNE" "$c" --list-options
		[ "$status" -eq 0 ]
		[[ "$output" == *"--help"* ]] || { echo "$c: no --help in $output"; false; }
	done
	# the list is what getopt takes: a listed short option is accepted, one
	# not listed is refused
	run "$AGENTUNE" inspect -j -r "$FIXTURES/virtio-net-2cpu"
	[ "$status" -eq 0 ]
	run "$AGENTUNE" diagnose -d 3 --pid 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '-d' (-d is --delay, of top)"* ]]
}

@test "every option of every command is in its --help" {
	for c in $(commands); do
		help=$("$AGENTUNE" "$c" --help)
		while read -r long short _; do
			has_word "$help" "$long" || { echo "$c --help: missing $long"; return 1; }
			[ "$short" = - ] || has_word "$help" "$short" || { echo "$c --help: missing $short ($long)"; return 1; }
		done < <(options_of "$c")
	done
}

@test "every option of every command is in agentune(8) under that command" {
	need_cmd man
	[ -f "$MAN8" ] || skip "$MAN8 not built (make)"
	# --help, which every command has, is under GLOBAL OPTIONS
	global=$(MANWIDTH=200 man -l "$MAN8" 2>/dev/null | col -b | awk '/^GLOBAL OPTIONS/ {on=1; next} on && /^[A-Z]/ {exit} on')
	has_word "$global" --help && has_word "$global" -h && has_word "$global" --version
	for c in $(commands); do
		text=$(man_section "$c")
		[ -n "$text" ] || { echo "agentune(8): no subsection 'agentune $c'"; return 1; }
		while read -r long short _; do
			[ "$long" = --help ] && continue
			has_word "$text" "$long" || { echo "agentune(8) $c: missing $long"; return 1; }
			[ "$short" = - ] || has_word "$text" "$short" || { echo "agentune(8) $c: missing $short ($long)"; return 1; }
		done < <(options_of "$c")
	done
}

@test "bash completion offers every option of every command, long and short" {
	for c in $(commands); do
		got=$(complete_words agentune "$c" "-")
		while read -r long short _; do
			grep -qx -- "$long" <<<"$got" || { echo "completion $c: missing $long"; return 1; }
			[ "$short" = - ] || grep -qx -- "$short" <<<"$got" || { echo "completion $c: missing $short"; return 1; }
		done < <(options_of "$c")
		# and nothing the command does not accept
		while read -r w; do
			[ -z "$w" ] || options_of "$c" | awk '{print $1; print $2}' | grep -qx -- "$w" ||
				{ echo "completion $c offers $w, which $c does not take"; return 1; }
		done <<<"$got"
	done
}

@test "one meaning per short option across commands, and the README's table says which" {
	pairs=$(for c in $(commands); do options_of "$c" | awk -v c="$c" '$2 != "-" {print $2, $1, c}'; done)
	pairs+=$'\n'$("$AGENTUNE" --list-options | tr '\t' ' ' | awk '{print $2, $1, "agentune"}')
	# each letter has one long name
	bad=$(awk '{print $1, $2}' <<<"$pairs" | sort -u | awk '{n[$1]++} END {for (s in n) if (n[s] > 1) print s}')
	[ -z "$bad" ] || { echo "short options with two meanings: $bad"; grep -E "^($(tr '\n' '|' <<<"$bad" | sed 's/|$//')) " <<<"$pairs"; false; }
	# README: a row "| `-x` | `--long` | ..." for every one
	while read -r s l _; do
		grep -Eq -- "^\| \`$s\` \| \`$l\` \|" "$REPO/README.md" || { echo "README: no row for $s $l"; return 1; }
	done < <(sort -u <<<"$pairs")
	# and agentune(8) has the same table
	if [ -f "$MAN8" ] && command -v man >/dev/null; then
		table=$(MANWIDTH=200 man -l "$MAN8" 2>/dev/null | col -b | awk '/^SHORT OPTIONS/ {on=1; next} on && /^[A-Z]/ {exit} on')
		while read -r s l _; do
			grep -Eq -- "$s +$l" <<<"$table" || { echo "agentune(8) SHORT OPTIONS: no $s $l"; return 1; }
		done < <(sort -u <<<"$pairs")
	fi
}

# Runs `agentune CMD [context] OPT VALUE --zz-end-of-options`: options are
# parsed left to right, so the marker is reached, and named as unknown,
# only when VALUE was accepted.  Nothing runs.
value_accepted() {
	local c=$1 opt=$2 val=$3
	shift 3
	run "$AGENTUNE" "$c" "$@" "$opt" "$val" --zz-end-of-options
	[ "$status" -eq 2 ] && [[ "$output" == *"unknown option '--zz-end-of-options'"* ]] ||
		{ echo "agentune $c $* $opt '$val': exit $status: $output"; return 1; }
	[[ "$opt" == --* ]] || return 0 # getopt takes -xVALUE, not -x=VALUE
	run "$AGENTUNE" "$c" "$@" "$opt=$val" --zz-end-of-options
	[ "$status" -eq 2 ] && [[ "$output" == *"unknown option '--zz-end-of-options'"* ]] ||
		{ echo "agentune $c $* $opt='$val': exit $status: $output"; return 1; }
}

@test "every value completion offers for an option is accepted by the command, as OPT VALUE and OPT=VALUE" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p somedir
	checked=0
	for c in $(commands); do
		while read -r long short arg; do
			[ "$arg" = value ] || continue
			ctx=()
			[ "$c:$long" = diagnose:--tid ] && ctx=(--pid $$)
			for form in "$long" "$short"; do
				[ "$form" = - ] && continue
				# the first 4 offers (--pid offers every process: any will do)
				mapfile -t offers < <(complete_words agentune "$c" "${ctx[@]}" "$form" "" | head -4)
				for v in "${offers[@]}"; do
					[ -n "$v" ] || continue
					value_accepted "$c" "$form" "$v" "${ctx[@]}"
					checked=$((checked + 1))
				done
			done
			# --opt=<TAB> offers --opt=VALUE, one word or split at '='
			[ "$long" = --tid ] && continue
			one=$(complete_words agentune "$c" "${ctx[@]}" "$long=" | head -1)
			split=$(complete_words agentune "$c" "${ctx[@]}" "$long" "=" "" | head -1)
			if [ -n "$one" ]; then
				[[ "$one" == "$long="* ]] || { echo "$c $long=: offered '$one'"; return 1; }
				value_accepted "$c" "$long" "${one#*=}" "${ctx[@]}"
				[ "$split" = "${one#*=}" ] || { echo "$c $long = : offered '$split', not '${one#*=}'"; return 1; }
			fi
		done < <(options_of "$c")
	done
	echo "checked $checked values"
	[ "$checked" -ge 20 ]
}

@test "diagnose --duration completion offers only whole seconds (0.5 was offered and refused)" {
	got=$(complete_words agentune diagnose --duration "")
	[ -n "$got" ]
	! grep -q '\.' <<<"$got"
	got=$(complete_words agentune top -d "")
	grep -qx 0.5 <<<"$got"
}

@test "the profile names completion offers are accepted by apply and profile show" {
	# the completion asks `agentune profile list`: this build's
	PATH="$(dirname "$AGENTUNE"):$PATH"
	names=$(complete_words agentune apply "")
	grep -qx agent-latency <<<"$names"
	grep -qx profile <<<"$names"
	tree="$BATS_TEST_TMPDIR/tree"
	cp -a "$FIXTURES/virtio-net-2cpu" "$tree"
	for n in $(complete_words agentune profile show ""); do
		[[ "$n" == *.profile ]] && continue
		run "$AGENTUNE" profile show "$n"
		[ "$status" -eq 0 ] || { echo "profile show $n: $output"; false; }
		run "$AGENTUNE" apply $UNSAFE --dry-run --cpus 1 --root "$tree" "$n"
		[ "$status" -eq 0 ] || { echo "apply $n: $output"; false; }
	done
}
