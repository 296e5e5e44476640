# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for peerdist(1) and peerdistd(8): commands, options, and
# files where a file is expected.

# Without the bash-completion package: the words as bash gives them.
if ! declare -F _init_completion >/dev/null; then
	_init_completion()
	{
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	}
	_filedir()
	{
		COMPREPLY=($(compgen ${1:+-d} -f -- "$cur"))
	}
fi

_peerdist_options()
{
	case $1 in
	hash) echo "--v2 --hash --secret-file --offset --length --threads --kernel -o --output -h --help" ;;
	info) echo "--json --show-secrets -h --help" ;;
	verify) echo "-h --help" ;;
	secret) echo "--passphrase-file --secret-file --force -h --help" ;;
	publish) echo "--v2 -o --output -l --list -h --help" ;;
	unpublish|flush) echo "-h --help" ;;
	status) echo "--json --state-file -h --help" ;;
	cache) echo "--json --max-bytes --clear --reset-counters -h --help" ;;
	get) echo "-o --output -u --user --timeout --json -v --verbose --v2 -h --help" ;;
	serve) echo "-l --listen -p --port -u --upstream --min-size --cache-dir --secret-file -h --help" ;;
	esac
}

_peerdist()
{
	local cur prev cmd words cword
	_init_completion || return
	local commands="hash info verify secret publish unpublish status cache flush serve get"

	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi
	cmd=${words[1]}
	case $prev in
	-o|--output|--secret-file|--passphrase-file|--state-file)
		_filedir
		return ;;
	--cache-dir)
		_filedir -d
		return ;;
	--hash)
		COMPREPLY=($(compgen -W "sha256 sha384 sha512" -- "$cur"))
		return ;;
	--max-bytes)
		COMPREPLY=($(compgen -W "default 5% 10%" -- "$cur"))
		return ;;
	--offset|--length|--threads|--listen|-l|--port|-p|--upstream|-u|--user|--timeout|--min-size)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_peerdist_options "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	secret)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "export import kernel" -- "$cur"))
		else
			_filedir
		fi ;;
	unpublish)
		COMPREPLY=($(compgen -W "$(peerdist publish --list 2>/dev/null)" -- "$cur")) ;;
	hash|info|verify|publish)
		_filedir ;;
	esac
}
complete -F _peerdist peerdist

_peerdistd()
{
	local cur prev words cword
	_init_completion || return
	case $prev in
	--config|--pid-file)
		_filedir
		return ;;
	--cache-dir)
		_filedir -d
		return ;;
	--log-level)
		COMPREPLY=($(compgen -W "error warning info debug" -- "$cur"))
		return ;;
	--listen|--port|--interfaces|--proxy-listen)
		return ;;
	esac
	COMPREPLY=($(compgen -W "--config --listen --port --cache-dir --interfaces
		--no-discovery --log-level --verbose -f --foreground -d --daemon
		--pid-file --check-config --version --proxy-listen -h --help" -- "$cur"))
}
complete -F _peerdistd peerdistd
