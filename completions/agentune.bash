# bash completion for agentune
_agentune()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="inspect snapshot diagnose top apply revert status profile help"

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$prev" in
	--root)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--sample)
		COMPREPLY=($(compgen -W "100 500 1000" -- "$cur"))
		return ;;
	--pid)
		COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur"))
		return ;;
	--tid|--duration|--slowest|--cpus|--frames|-n|--width)
		return ;;
	--unit)
		# the units whose cgroups exist (systemd or not)
		COMPREPLY=($(compgen -W "$(find /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup \
			-maxdepth 3 -type d \( -name '*.service' -o -name '*.scope' \) -printf '%f\n' 2>/dev/null |
			sort -u)" -- "$cur"))
		return ;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "text json openmetrics prometheus" -- "$cur"))
		return ;;
	--textfile)
		COMPREPLY=($(compgen -f -X '!*.prom' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	--config)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--delay|-d)
		COMPREPLY=($(compgen -W "0.5 1 2 5" -- "$cur"))
		return ;;
	profile)
		if [ "$cmd" = apply ]; then
			COMPREPLY=($(compgen -W "$(agentune profile list --json 2>/dev/null | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p')" -- "$cur"))
			COMPREPLY+=($(compgen -f -X '!*.profile' -- "$cur"))
			return
		fi ;;
	show)
		if [ "$cmd" = profile ]; then
			COMPREPLY=($(compgen -W "$(agentune profile list --json 2>/dev/null | sed -n 's/.*"name": *"\([^"]*\)".*/\1/p')" -- "$cur"))
			return
		fi ;;
	--disable-stage)
		COMPREPLY=($(compgen -W "wake_run idle_exit queue run irq softirq wait block_io" -- "$cur"))
		return ;;
	esac
	case "$cmd" in
	inspect)
		COMPREPLY=($(compgen -W "--root --json --sample --help" -- "$cur")) ;;
	snapshot)
		if [[ "$cur" == -* ]]; then
			COMPREPLY=($(compgen -W "--root --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi ;;
	diagnose)
		COMPREPLY=($(compgen -W "--pid --unit --cgroup --tid --duration --slowest --children --json --raw-tp --disable-stage --help" -- "$cur")) ;;
	top)
		COMPREPLY=($(compgen -W "--pid --unit --cgroup --config --delay --batch --frames --no-bpf --width --root --format --textfile --help" -- "$cur")) ;;
	apply)
		COMPREPLY=($(compgen -W "profile --pid --unit --cgroup --config --cpus --dry-run --json --allow-unsafe-profile --root --help" -- "$cur")) ;;
	revert)
		COMPREPLY=($(compgen -W "--dry-run --force --json --help" -- "$cur")) ;;
	status)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	profile)
		COMPREPLY=($(compgen -W "list show --json --help" -- "$cur")) ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	esac
}
complete -F _agentune agentune
