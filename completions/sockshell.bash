# bash completion for sockshell(1): its flags, and files where a FILE goes
# (transcripts, *.md, after --check). Installed by scripts/install as
# share/bash-completion/completions/sockshell; works with or without the
# bash-completion package (it uses _filedir when that is loaded).

_sockshell() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD-1]}
    local flags="-c -i -e --exit-on-error --echo --check --sandbox --no-color -h --help -V --version --man"

    # -c takes the commands to run: nothing to complete.
    [[ $prev == -c ]] && return 0

    local word only_files="" check=""
    for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        case $word in
            --) only_files=1 ;;
            --check) [[ -z $only_files ]] && check=1 ;;
        esac
    done

    if [[ -z $only_files && $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
        return 0
    fi

    if declare -F _filedir >/dev/null; then
        if [[ -n $check ]]; then _filedir md; else _filedir; fi
        return 0
    fi
    compopt -o filenames 2>/dev/null
    if [[ -n $check ]]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X '!*.md' -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

complete -F _sockshell sockshell
