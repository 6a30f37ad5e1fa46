#!/usr/bin/env python3
"""End-to-end tests of the sockshell command line, in the manner of
swift-argument-parser's end-to-end tests: each test runs the real binary as a
subprocess and asserts its whole stdout, its whole stderr and its exit status.

usage: python3 Tests/CLI/cli_test.py PATH_TO_SOCKSHELL

The contract is /work/shared/SPEC.md, sections 1-5 and 7.  Values and errors of
socket calls are checked against what this python3 prints for the same call,
computed at test time (service numbers, errno texts, byte reprs), so nothing
machine-dependent is written down here.  Ephemeral ports vary from run to run:
expected texts name them with placeholders such as %srv%, which match a port
number and must stand for the same number everywhere they occur in one output.

Only loopback traffic (127.0.0.1 and Unix sockets in a temporary directory).
Every subprocess has a 10 s timeout; the tests run a few at a time, so a hung
binary cannot push the whole run far past 10 s.  Files go into one
tempfile.mkdtemp() directory that is removed at the end.

Ends with the line "N passed, N failed"; exit status 1 if any failed.
"""

import concurrent.futures
import errno
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

if len(sys.argv) != 2:
    sys.exit("usage: cli_test.py PATH_TO_SOCKSHELL")

BINARY = os.path.abspath(sys.argv[1])
TIMEOUT = 10          # seconds, per subprocess
JOBS = 8              # tests run at once
ROOT = tempfile.mkdtemp(prefix="sockshell-cli-")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# --- running the binary ------------------------------------------------------

class Result:
    def __init__(self, args, rc, out, err, stdin=None):
        self.args, self.rc, self.out_bytes, self.err_bytes = args, rc, out, err
        self.stdin = stdin
        self.out = out.decode("utf-8", "backslashreplace")
        self.err = err.decode("utf-8", "backslashreplace")

    def command(self):
        text = "sockshell " + " ".join(quote(a) for a in self.args)
        if self.stdin is not None:
            text += f"   (stdin: {self.stdin!r})"
        return text


def quote(arg):
    return arg if re.fullmatch(r"[\w./=:@%+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def base_env(**extra):
    env = dict(os.environ)
    for name in ("NO_COLOR", "CLICOLOR_FORCE", "FORCE_COLOR"):
        env.pop(name, None)
    env.update(extra)
    return env


def run(*args, stdin=None, cwd=None, env=None):
    """Runs sockshell with ARGS; stdin is bytes/str to pipe, a file object, or None (/dev/null)."""
    shown_stdin = None
    if isinstance(stdin, str):
        stdin = stdin.encode()
    kwargs = {}
    if stdin is None:
        kwargs["stdin"] = subprocess.DEVNULL
    elif isinstance(stdin, bytes):
        kwargs["input"] = stdin
        shown_stdin = stdin.decode("utf-8", "backslashreplace")
    else:
        kwargs["stdin"] = stdin
        shown_stdin = f"<file {stdin.name}>"
    wait_for_binary()
    try:
        proc = subprocess.run([BINARY, *args], capture_output=True, timeout=TIMEOUT,
                              cwd=cwd, env=env or base_env(), **kwargs)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        err = (e.stderr or b"") + f"\n[killed after {TIMEOUT} s timeout]".encode()
        return Result(list(args), "timeout", out, err, shown_stdin)
    return Result(list(args), proc.returncode, proc.stdout, proc.stderr, shown_stdin)


def wait_for_binary():
    """Another engineer may be rebuilding the binary; it can be missing for a moment."""
    for _ in range(3):
        if os.access(BINARY, os.X_OK):
            return
        time.sleep(20)


# --- expectations --------------------------------------------------------------

class T:
    """An expected text with %NAME% port placeholders (same NAME, same number)."""

    def __init__(self, text):
        self.text = text
        parts = re.split(r"%(\w+)%", text)
        pattern, seen = [], set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pattern.append(re.escape(part))
            elif part in seen:
                pattern.append(f"(?P={part})")
            else:
                seen.add(part)
                pattern.append(f"(?P<{part}>[0-9]+)")
        self.regex = re.compile("".join(pattern), re.S)

    def match(self, actual):
        return self.regex.fullmatch(actual)

    def __str__(self):
        return self.text


def same(actual, expected):
    if isinstance(expected, T):
        return expected.match(actual) is not None
    if callable(expected):
        return bool(expected(actual))
    return actual == expected


def show(value):
    if isinstance(value, T):
        return "    (a pattern: %NAME% stands for one port number)\n" + indent(value.text)
    if callable(value):
        return indent(getattr(value, "__doc__", None) or repr(value))
    return indent(value if isinstance(value, str) else repr(value))


def indent(text):
    if text == "":
        return "    (empty)"
    return "\n".join("    | " + line for line in text.split("\n"))


def expect(result, out=None, err=None, rc=None, note=""):
    """Asserts the whole stdout, stderr and exit status of one run."""
    problems = []
    for what, actual, expected in (("exit status", result.rc, rc), ("stdout", result.out, out),
                                   ("stderr", result.err, err)):
        if expected is not None and not same(actual, expected):
            problems.append((what, actual, expected))
    if problems:
        lines = [f"command: {result.command()}" + (f"  [{note}]" if note else "")]
        for what, actual, expected in problems:
            lines.append(f"  {what} differs")
            lines.append(f"  expected {what}:\n{show(expected)}")
            lines.append(f"  actual {what}:\n{show(actual)}")
        lines.append(f"  (full result: exit {result.rc}; stdout:\n{indent(result.out)}\n  stderr:\n{indent(result.err)})")
        raise AssertionError("\n".join(lines))


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def starts_with_sockshell_line(text):
    """one line starting with 'sockshell: '"""
    return text.startswith("sockshell: ") and text.endswith("\n") and text.count("\n") == 1


# --- what Python prints ---------------------------------------------------------

def py(call):
    """What Python's prompt prints for CALL(): repr(value), or the traceback's last line."""
    try:
        return repr(call())
    except BaseException as e:  # noqa: B902 - any exception is an expected text
        return traceback.format_exception_only(type(e), e)[-1].rstrip("\n")


HTTP = py(lambda: socket.getservbyname("http", "tcp"))
FTP = py(lambda: socket.getservbyname("ftp", "tcp"))
HTONS1 = py(lambda: socket.htons(1))
BAD_ATON = py(lambda: socket.inet_aton("1.2.3.999"))


def closed_port():
    """A loopback TCP port that refuses connections for as long as the returned socket is open."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))        # bound, not listening: connecting gets RST
    return s, s.getsockname()[1]


def refused_error(port):
    with socket.socket() as s:
        return py(lambda: s.connect(("127.0.0.1", port)))


# --- helpers for files ----------------------------------------------------------

def workdir(name):
    path = os.path.join(ROOT, name)
    os.makedirs(path, exist_ok=True)
    return path


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return path


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        return f"<cannot read: {e}>"


def expect_file(path, expected, result):
    actual = read_bytes(path)
    if actual != expected:
        raise AssertionError(f"command: {result.command()}\n  file {path} differs\n"
                             f"  expected bytes: {expected!r}\n  actual bytes:   {actual!r}\n"
                             f"  (exit {result.rc}; stdout:\n{indent(result.out)}\n  stderr:\n{indent(result.err)})")


# =============================================================================
# --help, --version
# =============================================================================

@test
def test_help():
    r = run("--help")
    options = ["-c", "-i", "-e", "--exit-on-error", "--echo", "--check", "--no-color", "--help", "--version"]

    def help_text(out):
        """starts with 'usage: sockshell', names every option of SPEC section 1"""
        return out.startswith("usage: sockshell") and all(re.search(r"(^|[\s,])" + re.escape(o) + r"\b", out)
                                                          for o in options)
    expect(r, out=help_text, err="", rc=0)
    short = run("-h")
    expect(short, out=r.out, err="", rc=0, note="-h prints what --help prints")


@test
def test_version():
    r = run("--version")

    def version_line(out):
        """one line: 'sockshell X.Y.Z'"""
        return re.fullmatch(r"sockshell \d+\.\d+\.\d+\S*\n", out) is not None
    expect(r, out=version_line, err="", rc=0)
    expect(run("-V"), out=r.out, err="", rc=0, note="-V prints what --version prints")


# =============================================================================
# Modes
# =============================================================================

@test
def test_scripts_run_in_order_then_exit():
    # Several scripts in one session: -c 'source a; source b' (after a
    # script, every word is its argument, as with python3).
    d = workdir("scripts_in_order")
    write(d, "one.sock", "echo one\ngetservbyname http tcp\n")
    write(d, "two.sock", "echo two\nhtons 1\n")
    r = run("-c", "source one.sock; source two.sock", cwd=d, stdin="echo from stdin\n")
    expect(r, out=f"one\n{HTTP}\ntwo\n{HTONS1}\n", err="", rc=0)


@test
def test_script_sockets_live_across_files():
    d = workdir("scripts_one_session")
    write(d, "a.sock", "socketpair a b\nsendall a 'across files\\n'\n")
    write(d, "b.sock", "recvline b\n")
    r = run("-c", "source a.sock; source b.sock", cwd=d)
    expect(r, out=repr(b"across files\n") + "\n", err="", rc=0)


@test
def test_script_arguments_are_dollar_n_as_sys_argv():
    # Failed before: 'localhost' was taken for a second script (exit 2).
    d = workdir("script_arguments")
    write(d, "args.sock", "echo ($0, $1, $2)\necho $1 -c $2\necho $3\necho after\n")
    r = run("args.sock", "two words", "80", cwd=d)
    expect(r, out="('args.sock', 'two words', 80)\ntwo words -c 80\nafter\n",
           err="args.sock:3: IndexError: script argument $3 not given (the script has 2 arguments)\n", rc=1)
    # Options after the script are its own, as python3 script.py -c is.
    r = run("args.sock", "-c", "--echo", "x", cwd=d)
    expect(r, out="('args.sock', '-c', '--echo')\n-c -c --echo\nx\nafter\n", err="", rc=0)
    # -c CMD ARG...: $0 is '-c', as sys.argv[0] is for python3 -c.
    r = run("-c", "echo ($0, $1)", "arg")
    expect(r, out="('-c', 'arg')\n", err="", rc=0)
    # A port from the command line is a number: a real connect uses it.
    write(d, "client.sock", "create_connection c ($1, $2)\nsendall c $3\nrecvall c\n")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        conn.sendall(conn.recv(100).upper())
        conn.close()
    thread = threading.Thread(target=serve)
    thread.start()
    r = run("client.sock", "127.0.0.1", str(port), "hello", cwd=d)
    thread.join()
    server.close()
    expect(r, out="b'HELLO'\n", err="", rc=0)


@test
def test_shebang_script_runs_directly():
    d = workdir("shebang")
    script = write(d, "hello.sock", "#!/usr/bin/env sockshell\necho hello $1\n")
    os.chmod(script, 0o755)
    env = base_env(PATH=os.path.dirname(os.path.abspath(BINARY)) + ":" + os.environ["PATH"])
    # exec of a file just written fails with ETXTBSY while a child forked by
    # another test at that moment still holds its write descriptor: retry.
    for attempt in range(20):
        try:
            proc = subprocess.run([script, "world"], capture_output=True, timeout=TIMEOUT, env=env)
            break
        except OSError as error:
            if error.errno != errno.ETXTBSY or attempt == 19:
                raise
            time.sleep(0.05)
    check(proc.returncode == 0 and proc.stdout == b"hello world\n" and proc.stderr == b"",
          f"./hello.sock world: exit {proc.returncode}, out {proc.stdout!r}, err {proc.stderr!r}")


@test
def test_script_from_a_pipe_or_fifo_is_read_once():
    # Failed before: /dev/stdin and <(...) printed nothing (opened twice),
    # and a FIFO hung on its second open.
    r = run("/dev/stdin", stdin="echo hi\n")
    expect(r, out="hi\n", err="", rc=0, note="/dev/stdin")
    proc = subprocess.run(["bash", "-c", f"{shlex.quote(BINARY)} <(echo 'echo from a process substitution')"],
                          capture_output=True, timeout=TIMEOUT, env=base_env())
    check(proc.returncode == 0 and proc.stdout == b"from a process substitution\n",
          f"<(...): exit {proc.returncode}, out {proc.stdout!r}, err {proc.stderr!r}")
    d = workdir("fifo_script")
    fifo = os.path.join(d, "script.fifo")
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w") as f:
            f.write("echo through a fifo\n")
    thread = threading.Thread(target=feed)
    thread.start()
    r = run(fifo)
    thread.join()
    expect(r, out="through a fifo\n", err="", rc=0, note="a FIFO")


@test
def test_ctrl_c_while_a_fifo_script_waits_for_its_writer():
    d = workdir("fifo_wait")
    fifo = os.path.join(d, "never.fifo")
    os.mkfifo(fifo)
    r = interrupt("fifo_wait", [fifo])
    expect(r, out="", err="KeyboardInterrupt\n", rc=130, note="SIGINT after 0.5 s, nobody writes the FIFO")


@test
def test_a_script_that_is_not_utf8_is_a_syntax_error_naming_the_line():
    # Failed before: the bytes went on as U+FFFD (b'\xef\xbf\xbd' on the wire).
    d = workdir("not_utf8")
    write(d, "bad.sock", b"echo ok\necho caf\xe9\nsocketpair a b\nsendall a 'caf\xff'\necho after\n")
    r = run("bad.sock", cwd=d)
    python_says = subprocess.run([sys.executable, write(d, "bad.py", b"pass\nx = 'caf\xe9'\n")],
                                 capture_output=True).stderr.decode().strip().splitlines()[-1]
    check(python_says.startswith("SyntaxError: Non-UTF-8 code starting with '\\xe9' in file "), python_says)
    expect(r, out="ok\nafter\n", rc=1, err=(
        "bad.sock:2: SyntaxError: Non-UTF-8 code starting with '\\xe9' in file bad.sock on line 2, "
        "but no encoding declared; see https://peps.python.org/pep-0263/ for details\n"
        "bad.sock:4: SyntaxError: Non-UTF-8 code starting with '\\xff' in file bad.sock on line 4, "
        "but no encoding declared; see https://peps.python.org/pep-0263/ for details\n"))


@test
def test_shell_escape_runs_through_sh_and_reports_its_status():
    d = workdir("shell_escape")
    r = run("-c", "echo before\n!echo from sh; echo same line\n! exit 3\n!kill -TERM $$\necho after", cwd=d)
    expect(r, out="before\nfrom sh\nsame line\nafter\n", rc=1, err=(
        "<command>:3: subprocess.CalledProcessError: Command 'exit 3' returned non-zero exit status 3.\n"
        "<command>:4: subprocess.CalledProcessError: Command 'kill -TERM $$' died with <Signals.SIGTERM: 15>.\n"))
    # Python's own words for the same failures.
    for command, line in (("exit 3", "returned non-zero exit status 3."), ("kill -TERM $$", "died with <Signals.SIGTERM: 15>.")):
        proc = subprocess.run([sys.executable, "-c", f"import subprocess; subprocess.run({command!r}, shell=True, check=True)"],
                              capture_output=True, text=True)
        check(proc.stderr.strip().endswith(line), proc.stderr)
    # A recording keeps it as a comment, so replaying the recording passes.
    r = run("-c", "record rec.md\necho a\n!echo b\necho c\nrecord off", cwd=d)
    expect(r, out="a\nb\nc\n", err="", rc=0, note="recorded")
    check("sock> # not replayed, a shell command: !echo b\n" in read_bytes(os.path.join(d, "rec.md")).decode(),
          "the recording does not keep !echo b as a comment")
    r = run("--check", "rec.md", cwd=d)
    expect(r, out="3 passed, 0 failed\n", err="", rc=0, note="the recording replayed")
    # --check refuses it: a transcript someone sends must not run programs.
    marker = os.path.join(d, "ran")
    write(d, "t.md", f"```\nsock> !touch {marker}\n```\n")
    r = run("--check", "t.md", cwd=d)
    check(r.rc == 1 and "PermissionError: --check does not run shell commands: '!touch " in r.out
          and not os.path.exists(marker), f"--check ran or did not refuse !touch: exit {r.rc}, out {r.out!r}")


@test
def test_echo_shows_a_line_with_a_syntax_error():
    # Failed before: the failing line was missing from --echo's transcript.
    r = run("--echo", "-c", "echo (1")
    expect(r, out="sock> echo (1\n", err="<command>:1: SyntaxError: '(' was never closed (column 6)\n", rc=1)


@test
def test_check_reads_a_transcripts_paths_from_its_own_folder():
    # Failed before: lessons/03-gopher.md read lessons/files/welcome.txt
    # relative to where --check ran.
    d = workdir("check_folder")
    os.makedirs(os.path.join(d, "lesson", "files"), exist_ok=True)
    write(os.path.join(d, "lesson", "files"), "note.txt", "kept next to the lesson\n")
    write(os.path.join(d, "lesson"), "t.md", "```\nsock> socketpair a b\nsock> sendall a @files/note.txt\n"
                                             "sock> recvline b\nb'kept next to the lesson\\n'\n```\n")
    r = run("--check", "lesson/t.md", cwd=d)
    expect(r, out="3 passed, 0 failed\n", err="", rc=0, note="from the folder above")
    r = run("--check", "t.md", cwd=os.path.join(d, "lesson"))
    expect(r, out="3 passed, 0 failed\n", err="", rc=0, note="from the lesson's folder")
    r = run("--check", os.path.join(d, "lesson", "t.md"), cwd="/")
    expect(r, out="3 passed, 0 failed\n", err="", rc=0, note="an absolute path")


@test
def test_script_errors_have_file_line_and_do_not_stop():
    d = workdir("script_errors")
    write(d, "s.sock", "getservbyname http tcp\n"
                       "nosuch\n"
                       "\n"
                       "# a comment\n"
                       "inet_aton 1.2.3.999\n"
                       "echo after; nosuch2\n"
                       "getservbyname ftp tcp\n")
    r = run("s.sock", cwd=d)
    expect(r, out=f"{HTTP}\nafter\n{FTP}\n",
           err="s.sock:2: NameError: name 'nosuch' is not defined\n"
               f"s.sock:5: {BAD_ATON}\n"
               "s.sock:6: NameError: name 'nosuch2' is not defined\n",
           rc=1)


@test
def test_c_runs_commands_then_exits():
    r = run("-c", "getservbyname http tcp; htons 1; echo 'a b'", stdin="echo from stdin\n")
    expect(r, out=f"{HTTP}\n{HTONS1}\na b\n", err="", rc=0)


@test
def test_c_errors_numbered_by_command():
    # the ';' inside quotes does not separate commands
    r = run("-c", "echo 'a;b'; nosuch; getservbyname http tcp; inet_aton 1.2.3.999; htons 1")
    expect(r, out=f"a;b\n{HTTP}\n{HTONS1}\n",
           err="<command>:2: NameError: name 'nosuch' is not defined\n"
               f"<command>:4: {BAD_ATON}\n",
           rc=1)


@test
def test_stdin_commands_without_prompt():
    script = "getservbyname http tcp\nnosuch\n\nhtons 1; inet_aton 1.2.3.999\necho done\n"
    expected_out = f"{HTTP}\n{HTONS1}\ndone\n"
    expected_err = ("<stdin>:2: NameError: name 'nosuch' is not defined\n"
                    f"<stdin>:4: {BAD_ATON}\n")
    expect(run(stdin=script), out=expected_out, err=expected_err, rc=1, note="stdin is a pipe")
    d = workdir("stdin_file")
    path = write(d, "cmds.txt", script)
    with open(path, "rb") as f:
        expect(run(stdin=f), out=expected_out, err=expected_err, rc=1, note="stdin is a regular file")
    expect(run(stdin="htons 1\n"), out=f"{HTONS1}\n", err="", rc=0, note="all succeeded")


@test
def test_dash_is_stdin_among_scripts():
    # '-' is stdin as a script, with arguments, as python3 - ARG reads it.
    d = workdir("dash")
    write(d, "a.sock", "echo a\nsocketpair x y\n")
    write(d, "b.sock", "echo b\nrecvline y\n")
    r = run("-", "arg1", cwd=d, stdin="source a.sock\necho from stdin $0 $1\nnosuch\nsendline x 'via stdin'\nsource b.sock\n")
    expect(r, out="a\nfrom stdin - arg1\nb\n" + repr(b"via stdin\n") + "\n",
           err="<stdin>:3: NameError: name 'nosuch' is not defined\n", rc=1)


@test
def test_exit_on_error():
    r = run("-e", "-c", "echo a; nosuch; echo b; nosuch2")
    expect(r, out="a\n", err="<command>:2: NameError: name 'nosuch' is not defined\n", rc=1, note="-e with -c")
    d = workdir("exit_on_error")
    write(d, "s.sock", "echo a\ninet_aton 1.2.3.999\necho b\n")
    write(d, "t.sock", "echo t\n")
    r = run("--exit-on-error", "s.sock", "t.sock", cwd=d)
    expect(r, out="a\n", err=f"s.sock:2: {BAD_ATON}\n", rc=1, note="--exit-on-error with scripts")
    r = run("--exit-on-error", stdin="echo a\nnosuch\necho b\n")
    expect(r, out="a\n", err="<stdin>:2: NameError: name 'nosuch' is not defined\n", rc=1,
           note="--exit-on-error on stdin")
    r = run("-e", "-c", "echo a; htons 1")
    expect(r, out=f"a\n{HTONS1}\n", err="", rc=0, note="-e when nothing fails")


@test
def test_failing_command_does_not_stop_later_ones_and_sets_status_1():
    r = run("-c", "nosuch; echo still running")
    expect(r, out="still running\n", err="<command>:1: NameError: name 'nosuch' is not defined\n", rc=1)


# =============================================================================
# Exit status
# =============================================================================

@test
def test_usage_error_unknown_flag():
    for flag in ("--bogus", "-x"):
        r = run(flag, "-c", "echo should not run")
        expect(r, out="", err=starts_with_sockshell_line, rc=2, note=f"unknown flag {flag}")


@test
def test_usage_error_unreadable_script():
    d = workdir("unreadable")
    r = run("missing.sock", cwd=d)
    expect(r, out="", err="sockshell: can't open file 'missing.sock': [Errno 2] No such file or directory\n",
           rc=2, note="missing script")
    r = run(d)
    expect(r, out="", err=starts_with_sockshell_line, rc=2, note="a directory as script")
    r = run("--check", "missing.md", cwd=d)
    expect(r, out="", err=starts_with_sockshell_line, rc=2, note="missing transcript")


def interrupt(name, args, stdin=None, after=0.5, sig=signal.SIGINT, env=None):
    """Starts sockshell, sends it SIG (SIGINT) after AFTER seconds, and collects what it did."""
    wait_for_binary()
    stdin_file = subprocess.DEVNULL
    if stdin is not None:
        stdin_file = open(write(workdir(name), "stdin.txt", stdin), "rb")
    try:
        proc = subprocess.Popen([BINARY, *args], stdin=stdin_file, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env or base_env())
    finally:
        if stdin is not None:
            stdin_file.close()
    time.sleep(after)
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        rc, err = "timeout", err + b"\n[still running after SIGINT; killed]"
    return Result(args, rc, out, err, stdin)


@test
def test_sigint_exits_130():
    r = interrupt("sigint_c", ["-c", "socket s; bind s 127.0.0.1 0; listen s; accept s; echo never"])
    expect(r, out="", err="<command>:4: KeyboardInterrupt\n", rc=130, note="SIGINT after 0.5 s, during accept")
    r = interrupt("sigint_stdin", [], stdin="echo before\nsleep 5\necho never\n")
    expect(r, out="before\n", err="<stdin>:2: KeyboardInterrupt\n", rc=130, note="SIGINT after 0.5 s, during sleep")


# A script that never waits: one value, then many commands that print nothing
# to stdout (each writes a file), so the value sits in sockshell's buffer.
BUSY_LINES = 300_000


def busy_script(name):
    return write(workdir(name), "busy.sock", "echo hello\n" + "echo x > /dev/null\n" * BUSY_LINES)


@test
def test_sigint_stops_a_script_that_never_waits():
    script = busy_script("sigint_busy")
    r = interrupt("sigint_busy", [script], after=0.3)

    def stopped_partway(err):
        """busy.sock:N: KeyboardInterrupt, N a line before the script's end"""
        m = re.fullmatch(re.escape(script) + r":(\d+): KeyboardInterrupt\n", err)
        return m is not None and 1 < int(m.group(1)) <= BUSY_LINES
    expect(r, out="hello\n", err=stopped_partway, rc=130, note="SIGINT after 0.3 s between commands")


@test
def test_buffered_output_is_written_when_a_signal_ends_sockshell():
    # Killed (kill, timeout, a closed terminal) or crashed, sockshell ends
    # by the same signal, but writes what it had gathered first. Swift's
    # crash reporter is switched off only to keep stderr short.
    script = busy_script("signal_flush")
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGSEGV, signal.SIGABRT):
        r = interrupt("signal_flush", [script], after=0.3, sig=sig, env=base_env(SWIFT_BACKTRACE="enable=no"))
        expect(r, out="hello\n", err="", rc=-sig, note=f"{sig.name} after 0.3 s")


@test
def test_sigterm_ends_sockshell_whose_reader_stopped_reading():
    # stdout is a pipe nobody reads: sockshell blocks writing to it. SIGTERM
    # must still end it (the handler gives the reader a second, not for ever).
    wait_for_binary()
    d = workdir("sigterm_stuck_reader")
    script = write(d, "stuck.sock", "echo hello\n" + ("echo " + "x" * 1000 + "\n") * 300
                   + "echo x > /dev/null\n" * BUSY_LINES)
    proc = subprocess.Popen([BINARY, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env())
    try:
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = "still running 10 s after SIGTERM"
    finally:
        proc.kill()
        proc.communicate()
    if rc != -signal.SIGTERM:
        raise AssertionError(f"command: sockshell {script} > (a pipe nobody reads), SIGTERM after 0.5 s\n"
                             f"  expected: ended by SIGTERM ({-signal.SIGTERM})\n  actual: {rc}")


@test
def test_quit_with_code():
    r = run("-c", "echo a; quit 3; echo b")
    expect(r, out="a\n", err="", rc=3, note="-c")
    d = workdir("quit")
    write(d, "q.sock", "echo a\nquit 3\necho b\n")
    write(d, "r.sock", "echo r\n")
    expect(run("q.sock", "r.sock", cwd=d), out="a\n", err="", rc=3, note="script; later scripts do not run")


# =============================================================================
# --echo and --check
# =============================================================================

@test
def test_echo_prints_transcript():
    d = workdir("echo")
    write(d, "t.sock", "# comment\n"
                       "echo hello\n"
                       "\n"
                       "getservbyname http tcp; nosuch\n"
                       "socketpair a b\n"
                       "sendall a 'hi\\n'\n"
                       "recvline b\n")
    expected_out = ("sock> echo hello\nhello\n"
                    f"sock> getservbyname http tcp\n{HTTP}\n"
                    "sock> nosuch\n"
                    "sock> socketpair a b\n"
                    "sock> sendall a 'hi\\n'\n"
                    "sock> recvline b\n" + repr(b"hi\n") + "\n")
    r = run("--echo", "t.sock", cwd=d)
    expect(r, out=expected_out, err="t.sock:4: NameError: name 'nosuch' is not defined\n", rc=1)

    # stdout and stderr interleaved in order, as on a screen
    wait_for_binary()
    proc = subprocess.run([BINARY, "--echo", "t.sock"], cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=TIMEOUT, env=base_env())
    merged = Result(["--echo", "t.sock", "2>&1"], proc.returncode, proc.stdout, b"")
    expect(merged, out=expected_out.replace("sock> nosuch\n",
                                            "sock> nosuch\nt.sock:4: NameError: name 'nosuch' is not defined\n"),
           rc=1, note="stderr merged into stdout")

    r = run("--echo", "-c", "htons 1; echo x")
    expect(r, out=f"sock> htons 1\n{HTONS1}\nsock> echo x\nx\n", err="", rc=0, note="--echo with -c")


@test
def test_echo_output_passes_check():
    d = workdir("echo_check")
    write(d, "t.sock", "echo hello\ngetservbyname http tcp\nsocketpair a b\nsendall a 'x\\r\\n'\nrecv b\n")
    r = run("--echo", "t.sock", cwd=d)
    expect(r, err="", rc=0)
    write(d, "t.md", "A transcript made by --echo.\n\n" + r.out)
    expect(run("--check", "t.md", cwd=d), out="5 passed, 0 failed\n", err="", rc=0)


@test
def test_check_passing_transcript():
    d = workdir("check_pass")
    write(d, "lesson.md", "# Lesson\n"
                          "\n"
                          "Prose before the examples; sock> only counts at the start of a line.\n"
                          "\n"
                          "```\n"
                          "sock> getservbyname http tcp\n"
                          f"{HTTP}\n"
                          "sock> echo ''\n"
                          "<BLANKLINE>\n"
                          "sock> socket s\n"
                          "sock> bind s 127.0.0.1 0\n"
                          "sock> getsockname s\n"
                          "('127.0.0.1', ...)\n"
                          "sock> sockets\n"
                          "...\n"
                          "sock> nosuch\n"
                          "NameError: name 'nosuch' is not defined\n"
                          "```\n"
                          "\n"
                          "More prose.\n"
                          "\n"
                          "sock> inet_aton 1.2.3.999\n"
                          f"{BAD_ATON}\n"
                          "sock> close s\n")
    expect(run("--check", "lesson.md", cwd=d), out="9 passed, 0 failed\n", err="", rc=0)


@test
def test_check_failing_transcript():
    d = workdir("check_fail")
    write(d, "fail.md", "Prose.\n"
                        "\n"
                        "sock> getservbyname http tcp\n"
                        "81\n"
                        "sock> htons 1\n"
                        f"{HTONS1}\n"
                        "sock> socket s\n"
                        "sock> bind s 127.0.0.1 0\n"
                        "sock> getsockname s\n"
                        "('127.0.0.2', ...)\n"
                        "sock> nosuch\n"
                        "NameError: name 'other' is not defined\n")
    r = run("--check", "fail.md", cwd=d)
    expect(r, out=T("fail.md:3: sock> getservbyname http tcp\n"
                    "Expected:\n"
                    "    81\n"
                    "Got:\n"
                    f"    {HTTP}\n"
                    "\n"
                    "fail.md:9: sock> getsockname s\n"
                    "Expected:\n"
                    "    ('127.0.0.2', ...)\n"
                    "Got:\n"
                    "    ('127.0.0.1', %s%)\n"
                    "\n"
                    "fail.md:11: sock> nosuch\n"
                    "Expected:\n"
                    "    NameError: name 'other' is not defined\n"
                    "Got:\n"
                    "    NameError: name 'nosuch' is not defined\n"
                    "\n"
                    "3 passed, 3 failed\n"),
           err="", rc=1)


# =============================================================================
# Colour
# =============================================================================

@test
def test_no_colour_when_not_a_terminal():
    env = base_env(TERM="xterm-256color")
    held, port = closed_port()
    with held:
        r = run("--echo", "-c", f"nosuch; inet_aton 1.2.3.999; socket s; connect s 127.0.0.1 {port}; echo ok",
                env=env)
    expected_err = ("<command>:1: NameError: name 'nosuch' is not defined\n"
                    f"<command>:2: {BAD_ATON}\n"
                    f"<command>:4: {refused_error(port)}\n")
    expect(r, out=f"sock> nosuch\nsock> inet_aton 1.2.3.999\nsock> socket s\nsock> connect s 127.0.0.1 {port}\n"
                  "sock> echo ok\nok\n",
           err=expected_err, rc=1)
    check(b"\x1b[" not in r.out_bytes + r.err_bytes,
          f"command: {r.command()}\n  escape bytes in output: {r.out_bytes!r} {r.err_bytes!r}")


# =============================================================================
# The script scenarios
# =============================================================================

@test
def test_scenario_tcp_server_and_client():
    d = workdir("scenario_tcp")
    write(d, "chat.sock", "socket srv\n"
                          "setsockopt srv SOL_SOCKET SO_REUSEADDR 1\n"
                          "bind srv 127.0.0.1 0\n"
                          "listen srv 5\n"
                          "socket c\n"
                          "connect c 127.0.0.1 $srv.port\n"
                          "accept srv conn\n"
                          "sendall conn 'welcome\\n'\n"
                          "recvline c\n"
                          "sendline c 'hello'\n"
                          "recvline conn\n"
                          "sendall conn 'You entered 5 characters\\n'\n"
                          "recvline c\n"
                          "getsockopt srv SOL_SOCKET SO_REUSEADDR\n"
                          "getsockname srv\n"
                          "getsockname c\n"
                          "getpeername conn\n"
                          "close conn\n"
                          "close c\n"
                          "close srv\n"
                          "sockets\n")
    r = run("chat.sock", cwd=d)
    expect(r, out=T("(<socket conn fd=5, family=AF_INET, type=SOCK_STREAM, proto=0, "
                    "laddr=('127.0.0.1', %srv%), raddr=('127.0.0.1', %c%)>, ('127.0.0.1', %c%))\n"
                    + repr(b"welcome\n") + "\n"
                    + repr(b"hello\n") + "\n"
                    + repr(b"You entered 5 characters\n") + "\n"
                    "1\n"
                    "('127.0.0.1', %srv%)\n"
                    "('127.0.0.1', %c%)\n"
                    "('127.0.0.1', %c%)\n"
                    "(no open sockets)\n"),
           err="", rc=0)


@test
def test_scenario_udp_sendto_recvfrom():
    d = workdir("scenario_udp")
    write(d, "udp.sock", "socket a udp\n"
                         "socket b AF_INET SOCK_DGRAM\n"
                         "bind a 127.0.0.1 0\n"
                         "bind b 127.0.0.1 0\n"
                         "sendto a b'ping' ('127.0.0.1', $b.port)\n"
                         "recvfrom b\n"
                         "sendto b 'pong!' 127.0.0.1 $a.port\n"
                         "recvfrom a 1024\n"
                         "getsockname a\n"
                         "getsockname b\n")
    r = run("udp.sock", cwd=d)
    expect(r, out=T("4\n"
                    "(b'ping', ('127.0.0.1', %a%))\n"
                    "5\n"
                    "(b'pong!', ('127.0.0.1', %b%))\n"
                    "('127.0.0.1', %a%)\n"
                    "('127.0.0.1', %b%)\n"),
           err="", rc=0)


@test
def test_scenario_http_recvall_to_file():
    d = workdir("scenario_http")
    page = os.path.join(d, "page.html")
    request = b"GET / HTTP/1.0\r\n\r\n"
    response = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hi</html>"
    write(d, "http.sock", "socket srv\n"
                          "bind srv 127.0.0.1 0\n"
                          "listen srv\n"
                          "socket c\n"
                          "connect c 127.0.0.1 $srv.port\n"
                          "accept srv conn\n"
                          "sendall c 'GET / HTTP/1.0\\r\\n\\r\\n'\n"
                          "recvuntil conn '\\r\\n\\r\\n'\n"
                          "sendall conn 'HTTP/1.0 200 OK\\r\\nContent-Type: text/html\\r\\n\\r\\n<html>hi</html>'\n"
                          "close conn\n"
                          f"recvall c > {page}\n"
                          "recv c\n"
                          "close c\n")
    r = run("http.sock", cwd=d)
    expect(r, out=T("(<socket conn fd=5, family=AF_INET, type=SOCK_STREAM, proto=0, "
                    "laddr=('127.0.0.1', %srv%), raddr=('127.0.0.1', %c%)>, ('127.0.0.1', %c%))\n"
                    + repr(request) + "\n"
                    + repr(b"") + "\n"),
           err="", rc=0)
    expect_file(page, response, r)


@test
def test_scenario_unix_server_and_client():
    d = workdir("scenario_unix")
    path = os.path.join(d, "srv.sock")
    write(d, "unix.sock", "socket srv unix\n"
                          f"bind srv {path}\n"
                          "listen srv\n"
                          "socket c AF_UNIX\n"
                          f"connect c '{path}'\n"
                          "accept srv conn\n"
                          "sendline c 'hello over unix'\n"
                          "recvline conn\n"
                          "sendall conn 'bye\\n'\n"
                          "recvline c\n"
                          "getsockname srv\n"
                          "getpeername c\n"
                          "getsockname c\n")
    r = run("unix.sock", cwd=d)
    expect(r, out=f"(<socket conn fd=5, family=AF_UNIX, type=SOCK_STREAM, proto=0, laddr={path}>, '')\n"
                  + repr(b"hello over unix\n") + "\n"
                  + repr(b"bye\n") + "\n"
                  + f"{path!r}\n{path!r}\n''\n",
           err="", rc=0)


# =============================================================================
# Errors change nothing
# =============================================================================

def tables(out):
    """The `sockets` tables in stdout: each is its header line and the rows after it."""
    found, current = [], None
    for line in out.split("\n"):
        if line.startswith("name  "):
            current = [line]
            found.append(current)
        elif current is not None and re.match(r"\w+\s+\d+\s+AF_", line):
            current.append(line)
        else:
            current = None
    return ["\n".join(t) for t in found]


@test
def test_shell_errors_leave_sockets_as_they_were():
    d = workdir("errors_unchanged")
    bad_paren = "connect c (127.0.0.1, $srv.port"
    bad_quote = "sendall c 'no end"
    write(d, "e.sock", "socket srv\n"                          # 1
                       "settimeout srv 3\n"                    # 2 (so a bug cannot hang accept)
                       "bind srv 127.0.0.1 0\n"                # 3
                       "listen srv\n"                          # 4
                       "socket c\n"                            # 5
                       "bind c 127.0.0.1 0\n"                  # 6
                       "sockets\n"                             # 7
                       f"{bad_paren}\n"                        # 8  SyntaxError
                       "sockets\n"                             # 9
                       f"{bad_quote}\n"                        # 10 SyntaxError
                       "sockets\n"                             # 11
                       "connect nosuch 127.0.0.1 $srv.port\n"  # 12 NameError
                       "sockets\n"                             # 13
                       "conect c 127.0.0.1 $srv.port\n"        # 14 NameError, suggestion
                       "sockets\n"                             # 15
                       "connect c 127.0.0.1\n"                 # 16 TypeError
                       "sockets\n"                             # 17
                       "connect c 127.0.0.1 $srv.port\n"       # 18 the sockets still work
                       "accept srv conn\n"
                       "sendline c 'still here'\n"
                       "recvline conn\n")
    r = run("e.sock", cwd=d)
    table = ("name  fd  family   type         state   recv-q  send-q  local                 remote  timeout  sent  received  options\n"
             "srv   3   AF_INET  SOCK_STREAM  LISTEN  0       128     ('127.0.0.1', %srv%)  -       3.0      0     0         -\n"
             "c     4   AF_INET  SOCK_STREAM  bound   0       0       ('127.0.0.1', %c%)  -       None     0     0         -\n")
    expect(r, out=T(table * 6
                    + "(<socket conn fd=5, family=AF_INET, type=SOCK_STREAM, proto=0, "
                      "laddr=('127.0.0.1', %srv%), raddr=('127.0.0.1', %c%)>, ('127.0.0.1', %c%))\n"
                    + repr(b"still here\n") + "\n"),
           err=f"e.sock:8: SyntaxError: '(' was never closed (column {bad_paren.index('(') + 1})\n"
               f"e.sock:10: SyntaxError: unterminated string literal (column {bad_quote.index(chr(39)) + 1})\n"
               "e.sock:12: NameError: name 'nosuch' is not defined\n"
               "e.sock:14: NameError: name 'conect' is not defined. Did you mean: 'connect'?\n"
               "e.sock:16: TypeError: usage: connect NAME HOST PORT\n",
           rc=1)
    found = tables(r.out)
    check(len(found) == 6 and len(set(found)) == 1,
          f"command: sockshell e.sock\n  the `sockets` tables before and after the errors differ:\n{indent(r.out)}")


@test
def test_refused_connect_leaves_socket_usable():
    # Python: after a refused connect() on a blocking socket, the same socket connects to a listener.
    d = workdir("refused_then_connect")
    held, port = closed_port()
    with held:
        with socket.create_server(("127.0.0.1", 0)) as psrv, socket.socket() as pc:
            pc.bind(("127.0.0.1", 0))
            py_refused = py(lambda: pc.connect(("127.0.0.1", port)))
            py_retry = py(lambda: pc.connect(psrv.getsockname()))
        check(py_retry == "None", f"python3 itself could not reconnect after a refused connect: {py_retry}")
        write(d, "r.sock", "socket srv\n"
                           "settimeout srv 2\n"           # so a failed reconnect cannot hang accept
                           "bind srv 127.0.0.1 0\n"
                           "listen srv\n"
                           "socket c\n"
                           "bind c 127.0.0.1 0\n"
                           "sockets\n"
                           f"connect c 127.0.0.1 {port}\n"   # 8: refused
                           "sockets\n"
                           "connect c 127.0.0.1 $srv.port\n"
                           "accept srv conn\n"
                           "sendline c 'after refusal'\n"
                           "recvline conn\n")
        r = run("r.sock", cwd=d)
    table = ("name  fd  family   type         state   recv-q  send-q  local                 remote  timeout  sent  received  options\n"
             "srv   3   AF_INET  SOCK_STREAM  LISTEN  0       128     ('127.0.0.1', %srv%)  -       2.0      0     0         -\n"
             "c     4   AF_INET  SOCK_STREAM  bound   0       %sendq%       ('127.0.0.1', %c%)  -       None     0     0         -\n")
    # The kernel's Send-Q of c may count the refused SYN; everything else is unchanged.
    before, after = table.replace("%sendq%", "0"), table.replace("       %sendq%       ", "       %q%       ")
    expect(r, out=T(before + after
                    # As in Python, the kernel picks a new local port for the second connect.
                    + "(<socket conn fd=5, family=AF_INET, type=SOCK_STREAM, proto=0, "
                      "laddr=('127.0.0.1', %srv%), raddr=('127.0.0.1', %c2%)>, ('127.0.0.1', %c2%))\n"
                    + repr(b"after refusal\n") + "\n"),
           err=f"r.sock:8: {py_refused}\n", rc=1)


@test
def test_refused_connect_matches_python():
    # The same calls on a fresh blocking socket (timeout None), in python3 and in sockshell.
    d = workdir("refused_python")
    held, port = closed_port()
    with held:
        with socket.socket() as ps:
            steps = [py(lambda: ps.connect(("127.0.0.1", port))),
                     py(lambda: ps.getsockname()),
                     py(lambda: ps.recv(4096)),
                     py(lambda: ps.connect(("127.0.0.1", port)))]
        write(d, "p.sock", "socket s\n"
                           f"connect s 127.0.0.1 {port}\n"
                           "getsockname s\n"
                           "recv s\n"
                           f"connect s 127.0.0.1 {port}\n")
        r = run("p.sock", cwd=d)
    out, err = [], []
    for line_no, text in zip((2, 3, 4, 5), steps):
        if text == "None":
            continue
        if re.match(r"^[\w.]+(Error|error|Exception)\b", text):
            err.append(f"p.sock:{line_no}: {text}\n")
        else:
            out.append(re.sub(r", \d+\)$", ", %port%)", text) + "\n")
    expect(r, out=T("".join(out)), err="".join(err), rc=1)


# =============================================================================
# Data and redirection
# =============================================================================

@test
def test_at_path_data():
    d = workdir("at_path")
    data = bytes(range(256)) + b"end\n"
    src = write(d, "data.bin", data)
    out = os.path.join(d, "out.bin")
    missing = os.path.join(d, "missing.bin")
    write(d, "at.sock", "socketpair a b\n"
                        f"sendall a @{src}\n"
                        "recv b 4096\n"
                        f"send a @{src}\n"
                        f"sendall a @{missing}\n"
                        "close a\n"
                        f"recvall b > {out}\n")
    r = run("at.sock", cwd=d)
    expect(r, out=f"{data!r}\n{len(data)}\n",
           err="at.sock:5: " + py(lambda: open(missing, "rb")) + "\n",
           rc=1)
    expect_file(out, data, r)


@test
def test_redirect_and_append():
    d = workdir("redirect")
    target = write(d, "out.txt", "old contents\n")
    write(d, "r.sock", f"getservbyname http tcp > {target}\n"
                       f"htons 1 >> {target}\n"
                       f"inet_aton 127.0.0.1 >> {target}\n"
                       "socketpair a b\n"
                       "sendall a 'raw\\x00bytes\\n'\n"
                       f"recv b >> {target}\n"
                       f"gethostbyname 127.0.0.1 >> {target}\n"
                       f"echo visible\n")
    r = run("r.sock", cwd=d)
    expect(r, out="visible\n", err="", rc=0)
    expected = (f"{HTTP}\n{HTONS1}\n".encode() + socket.inet_aton("127.0.0.1") + b"raw\x00bytes\n"
                + (py(lambda: socket.gethostbyname("127.0.0.1")) + "\n").encode())
    expect_file(target, expected, r)


@test
def test_source_errors_carry_the_sourced_files_line():
    d = workdir("source")
    inner = write(d, "inner.sock", "echo in inner\n"
                                   "nosuch\n"
                                   "\n"
                                   "socketpair a b\n"
                                   "inet_aton 1.2.3.999\n"
                                   "echo inner done\n")
    missing = os.path.join(d, "missing.sock")
    write(d, "outer.sock", "echo outer start\n"
                           f"source {inner}\n"
                           "nosuch2\n"
                           "sendline a 'made in inner'\n"
                           "recvline b\n"
                           f"source {missing}\n"
                           "echo end\n")
    r = run("outer.sock", cwd=d)
    expect(r, out="outer start\nin inner\ninner done\n" + repr(b"made in inner\n") + "\nend\n",
           err=f"{inner}:2: NameError: name 'nosuch' is not defined\n"
               f"{inner}:5: {BAD_ATON}\n"
               "outer.sock:3: NameError: name 'nosuch2' is not defined\n"
               f"outer.sock:6: {py(lambda: open(missing))}\n",
           rc=1)
    r = run("-e", "outer.sock", cwd=d)
    expect(r, out="outer start\nin inner\n", err=f"{inner}:2: NameError: name 'nosuch' is not defined\n", rc=1,
           note="-e stops inside the sourced file")


# =============================================================================

def run_one(fn):
    started = time.monotonic()
    try:
        fn()
        return fn.__name__, None, time.monotonic() - started
    except AssertionError as e:
        return fn.__name__, str(e), time.monotonic() - started
    except Exception:  # a bug in the test itself
        return fn.__name__, traceback.format_exc(), time.monotonic() - started


def main():
    passed = failed = 0
    try:
        if not os.access(BINARY, os.X_OK):
            wait_for_binary()
        with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
            for name, problem, seconds in pool.map(run_one, TESTS):
                if problem is None:
                    passed += 1
                    print(f"PASS {name} ({seconds:.1f} s)")
                else:
                    failed += 1
                    print(f"FAIL {name} ({seconds:.1f} s)\n{problem}\n")
                sys.stdout.flush()
    finally:
        shutil.rmtree(ROOT, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
