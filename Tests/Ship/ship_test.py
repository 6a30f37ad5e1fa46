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
import re
import shutil
import subprocess
import sys
import tempfile
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
    flags = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", run([BINARY, "--help"]).stdout))
    check({"-c", "-i", "-e", "--exit-on-error", "--echo", "--check", "--no-color", "--help", "--version", "--man"} <= flags,
          f"--help lacks flags: {sorted(flags)}")
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
