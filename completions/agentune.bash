# bash completion for agentune
#
# Every option of every command, long and short (one meaning per short
# letter across commands: agentune(8), "SHORT OPTIONS"), and the values an
# option takes, as `--opt value` and `--opt=value`.  The values offered are
# ones the command accepts (tests/bats/options.bats runs each one).

_agentune_profiles()
{
	agentune profile list --json 2>/dev/null | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p'
}

# The options of command $1, long and short.
_agentune_options()
{
	case "$1" in
	inspect) echo "--root -r --json -j --sample -s --help -h" ;;
	snapshot) echo "--root -r --json -j --help -h" ;;
	diagnose) echo "--pid -p --unit --cgroup --tid -t --duration --slowest --children --no-sampling --json -j --raw-tp --disable-stage --help -h" ;;
	top) echo "--pid -p --unit --cgroup --delay -d --batch -b --frames -n --no-bpf --width --root -r --format --textfile --config --help -h" ;;
	apply) echo "--pid -p --unit --cgroup --config --cpus -c --dry-run --json -j --allow-unsafe-profile --root -r --help -h" ;;
	evaluate) echo "--pid -p --cpus -c --rounds --duration --json -j --allow-unsafe-profile --help -h" ;;
	revert) echo "--dry-run --force -f --json -j --help -h" ;;
	status) echo "--json -j --help -h" ;;
	profile) echo "--json -j --help -h" ;;
	help) echo "--help -h" ;;
	esac
}

# The online CPUs, each and as the whole list ("0-3"), for --cpus.
_agentune_cpus()
{
	local online part a b i
	online=$(cat /sys/devices/system/cpu/online 2>/dev/null) || return
	echo "$online"
	for part in ${online//,/ }; do
		a=${part%-*} b=${part#*-}
		for ((i = a; i <= b; i++)); do echo "$i"; done
	done
}

# Sets COMPREPLY to the values option $2 of command $1 takes, completing
# $3; returns 1 when the option takes no value.
_agentune_values()
{
	local cmd=$1 opt=$2 cur=$3 pid w
	case "$cmd:$opt" in
	*:--root|*:-r)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	inspect:--sample|inspect:-s)
		COMPREPLY=($(compgen -W "100 500 1000" -- "$cur")) ;;
	*:--unit)
		# the units whose cgroups exist (systemd or not)
		COMPREPLY=($(compgen -W "$(find /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup \
			-maxdepth 3 -type d \( -name '*.service' -o -name '*.scope' \) -printf '%f\n' 2>/dev/null |
			sort -u)" -- "$cur")) ;;
	*:--cgroup)
		COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}")) ;;
	*:--config)
		COMPREPLY=($(compgen -f -X '!*.conf' -- "$cur")) ;;
	top:--format)
		COMPREPLY=($(compgen -W "text json openmetrics prometheus" -- "$cur")) ;;
	top:--textfile)
		COMPREPLY=($(compgen -f -X '!*.prom' -- "$cur")) ;;
	*:--pid|*:-p)
		COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur")) ;;
	diagnose:--tid|diagnose:-t)
		# the threads of the --pid given before, if any
		for ((w = 2; w < ${#COMP_WORDS[@]} - 1; w++)); do
			case "${COMP_WORDS[w]}" in
			--pid|-p) pid=${COMP_WORDS[w + 1]} ;;
			--pid=*) pid=${COMP_WORDS[w]#--pid=} ;;
			esac
		done
		[ -n "$pid" ] && COMPREPLY=($(compgen -W "$(ls /proc/"$pid"/task 2>/dev/null)" -- "$cur")) ;;
	diagnose:--duration)
		COMPREPLY=($(compgen -W "1 5 10 30 60" -- "$cur")) ;;
	diagnose:--slowest)
		COMPREPLY=($(compgen -W "10 100 1000" -- "$cur")) ;;
	diagnose:--disable-stage)
		COMPREPLY=($(compgen -W "wake_run idle_exit queue run irq softirq wait block_io completion throttle unattributed preempted delay" -- "$cur")) ;;
	top:--delay|top:-d)
		COMPREPLY=($(compgen -W "0.5 1 2 5" -- "$cur")) ;;
	top:--frames|top:-n)
		COMPREPLY=($(compgen -W "1 10 60" -- "$cur")) ;;
	top:--width)
		COMPREPLY=($(compgen -W "80 120 160 200" -- "$cur")) ;;
	evaluate:--rounds)
		COMPREPLY=($(compgen -W "1 2 3 5 10" -- "$cur")) ;;
	evaluate:--duration)
		COMPREPLY=($(compgen -W "1 2 5 10 30" -- "$cur")) ;;
	apply:--cpus|apply:-c|evaluate:--cpus|evaluate:-c)
		COMPREPLY=($(compgen -W "$(_agentune_cpus)" -- "$cur")) ;;
	*)
		return 1 ;;
	esac
	return 0
}

_agentune()
{
	local cur prev cmd opt i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="inspect snapshot diagnose top apply evaluate revert status profile help"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --version -V --help -h" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}

	# --opt=value: one word where '=' does not break words, else the
	# words "--opt" "=" "value" (bash's default COMP_WORDBREAKS).
	if [[ "$cur" == --*=* ]]; then
		opt=${cur%%=*}
		if _agentune_values "$cmd" "$opt" "${cur#*=}"; then
			for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="$opt=${COMPREPLY[i]}"; done
		fi
		return
	fi
	if [ "$cur" = "=" ] && [[ "$prev" == --* ]]; then
		_agentune_values "$cmd" "$prev" ""
		return
	fi
	if [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 3 ]; then
		_agentune_values "$cmd" "${COMP_WORDS[COMP_CWORD-2]}" "$cur"
		return
	fi
	if [[ "$prev" == -* ]] && _agentune_values "$cmd" "$prev" "$cur"; then
		return
	fi

	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$(_agentune_options "$cmd")" -- "$cur"))
		return
	fi
	case "$cmd" in
	snapshot)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	apply|evaluate)
		# apply [profile] NAME|FILE (evaluate too)
		COMPREPLY=($(compgen -W "$(_agentune_profiles)" -- "$cur"))
		[ "$prev" = profile ] || COMPREPLY+=($(compgen -W "profile" -- "$cur"))
		COMPREPLY+=($(compgen -f -X '!*.profile' -- "$cur")) ;;
	profile)
		if [ "$prev" = show ]; then
			COMPREPLY=($(compgen -W "$(_agentune_profiles)" -- "$cur"))
			COMPREPLY+=($(compgen -f -X '!*.profile' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "list show" -- "$cur"))
		fi ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	esac
}
complete -F _agentune agentune
