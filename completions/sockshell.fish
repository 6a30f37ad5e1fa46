# fish completion for sockshell(1): its flags, and files where a FILE goes
# (transcripts, *.md, after --check). Installed by scripts/install as
# share/fish/vendor_completions.d/sockshell.fish.

complete -c sockshell -s c -x -d 'run the commands (separated by ;), then exit'
complete -c sockshell -s i -d 'enter the interactive prompt after FILE or -c'
complete -c sockshell -s e -l exit-on-error -d 'stop at the first failing command'
complete -c sockshell -l echo -d "print 'sock> COMMAND' before each command's output"
complete -c sockshell -l check -d 'verify transcripts; exit 0 only if every example matches'
complete -c sockshell -l sandbox -d 'a private user and network namespace'
complete -c sockshell -l no-color -d 'no colour'
complete -c sockshell -s h -l help -d 'show the usage and the options, then exit'
complete -c sockshell -s V -l version -d 'show the version, then exit'
complete -c sockshell -l man -d 'print the manual page sockshell(1) as roff'
# After --check the files are transcripts: *.md first (and directories).
complete -c sockshell -n '__fish_seen_argument -l check' -k -a '(__fish_complete_suffix .md)'
