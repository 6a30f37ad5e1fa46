#!/usr/bin/env python3
"""What a user expects installed with a command-line tool, checked on the real
files: the manual page sockshell(1) that `sockshell --man` generates from the
command table, the completion scripts for bash, zsh and fish, and
scripts/install with its --uninstall.

usage: python3 Tests/Ship/ship_test.py PATH_TO_SOCKSHELL

The binary given is the one under test; scripts/install is run with
SOCKSHELL_BINARY set to it, so the install test copies that binary instead of
building a release one (which takes minutes here).  A tool a test needs that
is not installed (groff, man, bash-completion, zsh, fish) makes that test
print SKIP and the reason; scripts/test installs them first, so there it
runs them all.

Ends with the line "N passed, N failed" (", N skipped" after it when any
were); exit status 1 if any failed.
"""

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

if len(sys.argv) != 2:
    sys.exit("usage: ship_test.py PATH_TO_SOCKSHELL")

BINARY = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPLETIONS = os.path.join(ROOT, "completions")
TIMEOUT = 60
SCRATCH = tempfile.mkdtemp(prefix="sockshell-ship-")

tests = []


def test(function):
    tests.append(function)
    return function


class Skip(Exception):
    """The test cannot run here; the message says why."""


def run(argv, **kwargs):
    kwargs.setdefault("timeout", TIMEOUT)
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def need(program, why):
    if shutil.which(program) is None:
        raise Skip(f"{program} is not installed ({why})")


def squeezed(text):
    """Text with every run of white space as one space, for comparing what a
    formatter filled into lines with the text it came from."""
    return " ".join(text.split())


_roff = None


def roff():
    global _roff
    if _roff is None:
        result = run([BINARY, "--man"])
        check(result.returncode == 0 and result.stderr == "", f"--man: rc {result.returncode}, stderr {result.stderr!r}")
        _roff = result.stdout
    return _roff


def rendered():
    """The page as groff formats it for a terminal, without overstrikes."""
    need("groff", "it formats the manual page")
    path = os.path.join(SCRATCH, "sockshell.1")
    with open(path, "w") as f:
        f.write(roff())
    result = run(["groff", "-man", "-Tutf8", "-P", "-cbou", path])
    check(result.returncode == 0, f"groff: rc {result.returncode}: {result.stderr}")
    return result.stdout


def help_command_names():
    """The command names `help` lists: rows '  NAME  SUMMARY' under a group."""
    result = run([BINARY, "-c", "help"])
    check(result.returncode == 0, f"help: rc {result.returncode}: {result.stderr}")
    names = re.findall(r"^  (\S+)  ", result.stdout, re.MULTILINE)
    check(len(names) > 40, f"help listed only {len(names)} commands: {result.stdout!r}")
    return names


# =============================================================================
# The manual page
# =============================================================================

@test
def test_man_has_no_groff_warnings():
    need("groff", "it checks the roff")
    path = os.path.join(SCRATCH, "lint.1")
    with open(path, "w") as f:
        f.write(roff())
    result = run(["groff", "-ww", "-man", "-Tutf8", "-z", path])
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    check(result.returncode == 0 and not warnings, f"groff -ww: rc {result.returncode}:\n" + "\n".join(warnings))


@test
def test_man_has_an_entry_for_every_command_help_lists():
    page = roff()
    missing = [name for name in help_command_names()
               if not re.search(r"^\.TP\n\\fB" + re.escape(name) + r"\\fR", page, re.MULTILINE)]
    check(not missing, f"no .TP entry in the man page for: {missing}")


@test
def test_man_says_what_help_says_of_each_command():
    text = squeezed(rendered())
    problems = []
    for name in help_command_names():
        result = run([BINARY, "-c", f"help {name}"])
        lines = result.stdout.splitlines()
        usage = lines[0].removeprefix("usage: ")
        summary = lines[2].strip()
        python = next((l.strip().removeprefix("Python: ") for l in lines if l.startswith("  Python: ")), None)
        c_call = next((l.strip().removeprefix("C call: ") for l in lines if l.startswith("  C call: ")), None)
        expected = squeezed(f"{usage} {summary}")
        if expected not in text:
            problems.append(f"{name}: no {expected!r}")
        for label, value in (("Python", python), ("C call", c_call)):
            if value is not None and squeezed(f"{label}: {value}") not in text:
                problems.append(f"{name}: no {label}: {value!r}")
    check(not problems, "\n".join(problems))


@test
def test_man_lists_every_flag_of_help():
    text = rendered()
    flags = help_flags()
    options = text.split("\nOPTIONS\n")[1].split("\nCOMMANDS\n")[0]
    missing = [flag for flag in sorted(flags) if not re.search(r"(^|[\s,])" + re.escape(flag) + r"\b", options)]
    check(not missing, f"not in OPTIONS (with ASCII hyphens, as typed): {missing}")


@test
def test_man_prints_backslashes_and_has_every_section():
    text = rendered()
    # helpExamples has sendall conn 'welcome\n': \n must not be roff's register.
    check("Example: sendall conn 'welcome\\n'" in text, "the example with a backslash is not printed as written")
    check("Example: recvuntil c b'\\r\\n\\r\\n'" in text, "the example with backslashes is not printed as written")
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "FILES", "ENVIRONMENT", "EXIT STATUS"):
        check(f"\n{heading}\n" in text, f"no section {heading}")
    for variable in ("NO_COLOR", "XDG_STATE_HOME", "PAGER", "TERM"):
        check(re.search(r"^       " + variable + r"\b", text, re.MULTILINE), f"ENVIRONMENT lacks {variable}")
    for status in ("0", "1", "2", "130"):
        check(re.search(r"^       " + status + r" ", text, re.MULTILINE), f"EXIT STATUS lacks {status}")
    check("~/.local/state/sockshell/history" in text, "FILES lacks the history file")


@test
def test_man_l_renders_the_page():
    need("man", "man -l shows the page as a user sees it")
    path = os.path.join(SCRATCH, "sockshell.1")
    with open(path, "w") as f:
        f.write(roff())
    result = run(["man", "-l", path], env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"})
    check(result.returncode == 0, f"man -l: rc {result.returncode}: {result.stderr}")
    check(result.stderr == "", f"man -l wrote to stderr: {result.stderr!r}")
    check(result.stdout.startswith("SOCKSHELL(1)") and "create_connection" in result.stdout,
          f"man -l did not show the page: {result.stdout[:200]!r}")


# =============================================================================
# Completions: each shell loads its script, completes the flags --help lists,
# and offers transcripts (*.md) after --check
# =============================================================================

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def help_flags():
    flags = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", run([BINARY, "--help"]).stdout))
    known = {"-c", "-i", "-e", "--exit-on-error", "--echo", "--check", "--no-color", "-h", "--help", "-V", "--version",
             "--man"}
    check(known <= flags, f"--help lacks {sorted(known - flags)}")
    return flags


def files_directory():
    """A directory with a transcript, another file and a subdirectory."""
    directory = os.path.join(SCRATCH, "files")
    if not os.path.isdir(directory):
        os.makedirs(os.path.join(directory, "lessons"))
        for name in ("intro.md", "notes.txt"):
            open(os.path.join(directory, name), "w").close()
    return directory


def bash_complete(words, with_bash_completion=False):
    """COMPREPLY of _sockshell for the command line `words` (the last is the
    word being completed), after loading the script as bash would."""
    line = " ".join(words)
    script = "\n".join([
        f"source {BASH_COMPLETION}" if with_bash_completion else "",
        f"source {os.path.join(COMPLETIONS, 'sockshell.bash')} || exit 3",
        "complete -p sockshell || exit 4",
        "COMP_WORDS=(" + " ".join("'" + w + "'" for w in words) + ")",
        f"COMP_CWORD={len(words) - 1}",
        f"COMP_LINE='{line}'",
        "COMP_POINT=${#COMP_LINE}",
        "_sockshell sockshell \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"",
        "printf 'reply:%s\\n' \"${COMPREPLY[@]}\"",
    ])
    result = run(["bash", "--norc", "--noprofile", "-c", script], cwd=files_directory())
    check(result.returncode == 0 and result.stderr == "", f"bash: rc {result.returncode}: {result.stderr}")
    lines = result.stdout.splitlines()
    check(lines[0] == "complete -F _sockshell sockshell", f"complete -p sockshell: {lines[0]!r}")
    return [l.removeprefix("reply:") for l in lines[1:] if l.startswith("reply:") and l != "reply:"]


@test
def test_bash_completes_the_flags():
    check(sorted(bash_complete(["sockshell", "--e"])) == ["--echo", "--exit-on-error"],
          f"sockshell --e: {bash_complete(['sockshell', '--e'])}")
    offered = set(bash_complete(["sockshell", "-"]))
    check(offered == help_flags(), f"sockshell -: {sorted(offered)}, --help: {sorted(help_flags())}")
    check(bash_complete(["sockshell", "-c", ""]) == [], "after -c (commands) nothing is offered")


@test
def test_bash_completes_transcripts_after_check():
    check(sorted(bash_complete(["sockshell", "--check", ""])) == ["intro.md", "lessons"],
          f"--check: {bash_complete(['sockshell', '--check', ''])}")
    check(sorted(bash_complete(["sockshell", ""])) == ["intro.md", "lessons", "notes.txt"],
          f"FILE: {bash_complete(['sockshell', ''])}")
    check(bash_complete(["sockshell", "--", "-"]) == [], "after -- a word is a file, not a flag")


@test
def test_bash_completes_with_the_bash_completion_package():
    if not os.path.exists(BASH_COMPLETION):
        raise Skip(f"{BASH_COMPLETION} is missing (package bash-completion): its _filedir is not tried")
    check(sorted(bash_complete(["sockshell", "--check", ""], True)) == ["intro.md", "lessons"],
          f"--check: {bash_complete(['sockshell', '--check', ''], True)}")
    check(sorted(bash_complete(["sockshell", "--ex"], True)) == ["--exit-on-error"], "--ex")


def zsh_environment():
    """A ZDOTDIR whose .zshrc puts completions/ on fpath and runs compinit;
    every match the completion system adds is appended to the file `hits`,
    and the shell exits once a completion is done."""
    need("zsh", "the zsh completion is loaded by zsh itself")
    zdotdir = os.path.join(SCRATCH, "zsh")
    os.makedirs(zdotdir, exist_ok=True)
    hits = os.path.join(zdotdir, "hits")
    with open(os.path.join(zdotdir, ".zshrc"), "w") as f:
        f.write(f"""fpath=({COMPLETIONS} $fpath)
autoload -U compinit && compinit -u -d {zdotdir}/.zcompdump
PS1='> '
compadd () {{
    local -a added
    builtin compadd -O added "$@"
    (( $#added )) && print -rl -- $added >> {hits}
    builtin compadd "$@"
}}
comppostfuncs=(exit)
""")
    return zdotdir, hits


def zsh_complete(line):
    """The matches zsh offers for Tab at the end of `line`, typed into an
    interactive zsh on a pseudo-terminal."""
    zdotdir, hits = zsh_environment()
    if os.path.exists(hits):
        os.remove(hits)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(files_directory())
        os.environ["ZDOTDIR"] = zdotdir
        os.execvp("zsh", ["zsh", "-i"])
    deadline = time.time() + 20
    os.write(fd, line.encode() + b"\t")
    status = None
    while time.time() < deadline and status is None:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                os.read(fd, 65536)
            except OSError:
                pass
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError(f"zsh did not finish completing {line!r} in 20 s")
    os.close(fd)
    if not os.path.exists(hits):
        return []
    with open(hits) as f:
        return [l for l in f.read().splitlines() if l]


@test
def test_zsh_loads_the_completion_with_compinit():
    zdotdir, _ = zsh_environment()
    result = run(["zsh", "-i", "-c", "print -r -- $_comps[sockshell]; autoload +X _sockshell && print loaded"],
                 env={**os.environ, "ZDOTDIR": zdotdir}, cwd=files_directory())
    check(result.returncode == 0 and result.stderr == "", f"zsh: rc {result.returncode}: {result.stderr!r}")
    check(result.stdout == "_sockshell\nloaded\n", f"compinit did not bind _sockshell: {result.stdout!r}")


@test
def test_zsh_completes_the_flags_and_transcripts():
    check(sorted(zsh_complete("sockshell --e")) == ["--echo", "--exit-on-error"],
          f"sockshell --e: {zsh_complete('sockshell --e')}")
    offered = set(zsh_complete("sockshell -"))
    check(offered == help_flags(), f"sockshell -: {sorted(offered)}, --help: {sorted(help_flags())}")
    check(sorted(zsh_complete("sockshell --check ")) == ["intro.md", "lessons"],
          f"--check: {zsh_complete('sockshell --check ')}")


def fish_complete(line):
    need("fish", "the fish completion is loaded by fish itself")
    script = f"source {os.path.join(COMPLETIONS, 'sockshell.fish')}; or exit 3; complete -C '{line}'"
    result = run(["fish", "--no-config", "-c", script], cwd=files_directory())
    check(result.returncode == 0 and result.stderr == "", f"fish: rc {result.returncode}: {result.stderr!r}")
    return [l.split("\t")[0] for l in result.stdout.splitlines()]


@test
def test_fish_completes_the_flags_and_transcripts():
    check(sorted(fish_complete("sockshell --e")) == ["--echo", "--exit-on-error"],
          f"sockshell --e: {fish_complete('sockshell --e')}")
    offered = set(fish_complete("sockshell -"))
    check(offered == help_flags(), f"sockshell -: {sorted(offered)}, --help: {sorted(help_flags())}")
    after_check = fish_complete("sockshell --check ")
    check(after_check[:2] == ["intro.md", "lessons/"], f"--check offers transcripts first: {after_check}")
    check(fish_complete("sockshell -c ") == [], "after -c (commands) nothing is offered")


# =============================================================================
# scripts/install and --uninstall, into a temporary PREFIX, with the binary
# under test (SOCKSHELL_BINARY) instead of a release build
# =============================================================================

INSTALL = os.path.join(ROOT, "scripts", "install")
INSTALLED = ["bin/sockshell", "share/man/man1/sockshell.1", "share/bash-completion/completions/sockshell",
             "share/zsh/site-functions/_sockshell", "share/fish/vendor_completions.d/sockshell.fish"]
_prefix = None


def install(prefix, *flags):
    result = run([INSTALL, *flags, prefix], env={**os.environ, "SOCKSHELL_BINARY": BINARY})
    check(result.returncode == 0, f"scripts/install {' '.join(flags)}: rc {result.returncode}: {result.stderr}")
    return result


def files_under(prefix):
    return sorted(os.path.relpath(os.path.join(d, f), prefix) for d, _, names in os.walk(prefix) for f in names)


def installed_prefix():
    global _prefix
    if _prefix is None:
        prefix = os.path.join(SCRATCH, "prefix")
        result = install(prefix)
        check(result.stdout.splitlines() == [f"installed {prefix}/{path}" for path in INSTALLED],
              f"scripts/install printed {result.stdout!r}")
        _prefix = prefix
    return _prefix


def shell_environment(prefix):
    """As a user who installed into PREFIX sees it: PREFIX/bin on PATH (fish
    loads a command's completions only once it finds the command), data
    under PREFIX, and HOME in the scratch directory (no user's rc files)."""
    home = os.path.join(SCRATCH, "home")
    os.makedirs(home, exist_ok=True)
    return {**os.environ, "HOME": home, "XDG_DATA_HOME": os.path.join(prefix, "share"),
            "PATH": os.path.join(prefix, "bin") + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config")}


@test
def test_install_writes_each_file_and_the_installed_binary_runs():
    prefix = installed_prefix()
    check(files_under(prefix) == sorted(INSTALLED), f"under PREFIX: {files_under(prefix)}")
    result = run([os.path.join(prefix, "bin", "sockshell"), "-c", "echo hi"])
    check((result.returncode, result.stdout, result.stderr) == (0, "hi\n", ""), f"installed sockshell: {result}")
    with open(os.path.join(prefix, "share/man/man1/sockshell.1")) as f:
        check(f.read() == roff(), "the installed man page is not what --man prints")
    for source, path in (("sockshell.bash", INSTALLED[2]), ("_sockshell", INSTALLED[3]), ("sockshell.fish", INSTALLED[4])):
        with open(os.path.join(COMPLETIONS, source)) as a, open(os.path.join(prefix, path)) as b:
            check(a.read() == b.read(), f"{path} is not completions/{source}")


@test
def test_man_finds_the_installed_page():
    need("man", "man finds the page on MANPATH")
    prefix = installed_prefix()
    result = run(["man", "-w", "sockshell"], env={**os.environ, "MANPATH": os.path.join(prefix, "share/man")})
    check(result.stdout.strip() == os.path.join(prefix, "share/man/man1/sockshell.1"), f"man -w: {result}")


@test
def test_bash_completion_loads_the_installed_completion_on_demand():
    if not os.path.exists(BASH_COMPLETION):
        raise Skip(f"{BASH_COMPLETION} is missing (package bash-completion), which loads completions on demand")
    prefix = installed_prefix()
    script = f"source {BASH_COMPLETION}; __load_completion sockshell && complete -p sockshell"
    result = run(["bash", "--norc", "--noprofile", "-c", script], env=shell_environment(prefix))
    check(result.stdout == "complete -F _sockshell sockshell\n", f"bash-completion: {result}")


@test
def test_zsh_finds_the_installed_completion_in_site_functions():
    need("zsh", "the installed _sockshell is loaded by zsh itself")
    prefix = installed_prefix()
    script = (f"fpath=({prefix}/share/zsh/site-functions $fpath); autoload -U compinit; compinit -u -d $HOME/.zcompdump; "
              "print -r -- $_comps[sockshell]")
    result = run(["zsh", "-f", "-c", script], env=shell_environment(prefix))
    check(result.stdout == "_sockshell\n" and result.stderr == "", f"zsh: {result}")


@test
def test_fish_finds_the_installed_completion_in_vendor_completions():
    need("fish", "the installed sockshell.fish is loaded by fish itself")
    prefix = installed_prefix()
    result = run(["fish", "-c", "complete -C 'sockshell --e'"], env=shell_environment(prefix))
    offered = sorted(l.split("\t")[0] for l in result.stdout.splitlines())
    check(offered == ["--echo", "--exit-on-error"] and result.stderr == "", f"fish: {result}")


@test
def test_uninstall_removes_exactly_the_installed_files():
    prefix = installed_prefix()
    result = install(prefix, "--uninstall")
    check(result.stdout.splitlines() == [f"removed {prefix}/{path}" for path in INSTALLED],
          f"--uninstall printed {result.stdout!r}")
    check(files_under(prefix) == [], f"files left under PREFIX: {files_under(prefix)}")
    # Nothing else goes: another program's files under the same PREFIX stay.
    shared = os.path.join(SCRATCH, "shared-prefix")
    install(shared)
    bystanders = ["bin/other", "share/man/man1/other.1", "share/zsh/site-functions/_other"]
    for path in bystanders:
        with open(os.path.join(shared, path), "w") as f:
            f.write("not sockshell's\n")
    install(shared, "--uninstall")
    check(files_under(shared) == sorted(bystanders), f"after --uninstall: {files_under(shared)}")
    again = install(shared, "--uninstall")
    check(again.stdout == "", f"a second --uninstall removed {again.stdout!r}")


# =============================================================================

def main():
    passed = failed = skipped = 0
    try:
        for function in tests:
            name = function.__name__
            try:
                function()
            except Skip as reason:
                skipped += 1
                print(f"SKIP {name}: {reason}")
            except Exception:
                failed += 1
                print(f"FAIL {name}")
                print("    " + traceback.format_exc().strip().replace("\n", "\n    "))
            else:
                passed += 1
                print(f"ok   {name}")
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)


main()
