# bash completion for agentune
_agentune()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="inspect snapshot diagnose help"

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
	--tid|--duration|--slowest)
		return ;;
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
		COMPREPLY=($(compgen -W "--pid --tid --duration --slowest --children --json --raw-tp --disable-stage --help" -- "$cur")) ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	esac
}
complete -F _agentune agentune
