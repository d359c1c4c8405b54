#!/usr/bin/env bats
# The completions offer every command and every option the binary has.
load helpers

complete_words() {
	# Runs the bash completion function for the given words.
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _agentune; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$REPO/completions/agentune.bash" "$@"
}

@test "bash completion offers every command that help lists" {
	got=$(complete_words agentune "")
	for c in $("$AGENTUNE" help | awk '/^Commands:/ {on=1; next} on && !NF {exit} on {print $1}'); do
		grep -qx "$c" <<<"$got" || { echo "missing command $c"; return 1; }
	done
}

@test "bash completion offers every long option of each command's --help" {
	for c in inspect snapshot diagnose top apply evaluate revert status profile; do
		got=$(complete_words agentune "$c" "--")
		for o in $("$AGENTUNE" "$c" --help | grep -oE -- '--[a-z-]+' | sort -u); do
			grep -qx -- "$o" <<<"$got" || { echo "$c: missing $o"; return 1; }
		done
	done
}

@test "zsh completion names every command and option" {
	for c in $("$AGENTUNE" help | awk '/^Commands:/ {on=1; next} on && !NF {exit} on {print $1}'); do
		grep -q "'$c:" "$REPO/completions/_agentune" || { echo "zsh: missing $c"; return 1; }
	done
	# an option spec: '--opt[...' with an optional exclusion list "(...)"
	# and "*" (repeatable) before it; short options too
	for c in inspect snapshot diagnose top apply evaluate revert status profile; do
		for o in $("$AGENTUNE" "$c" --help | grep -oE -- '(^|[ ,[])--?[a-zA-Z][a-z-]*' | grep -oE -- '--?[a-zA-Z][a-z-]*' | sort -u); do
			grep -Eq -- "'(\([^)]*\))?(\*)?$o\[" "$REPO/completions/_agentune" || { echo "zsh: missing $c $o"; return 1; }
		done
	done
}
