#!/usr/bin/env python3
"""Drives the real sockshell binary through a pseudo-terminal and asserts
what the screen shows: prompt, completion, history, Ctrl-C, Ctrl-D, colour.

usage: interactive_test.py PATH_TO_SOCKSHELL [-k SUBSTRING]
Ends with the line "N passed, N failed"; exit status 1 if any failed.

Tests of one topic live in topics/*.py and run in this file's namespace
(Terminal, Screen, ENV, ...); `-k` runs only the tests whose name contains
SUBSTRING.
"""
import fcntl
import glob
import os
import pty
import re
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import time
import traceback

BINARY = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
SGR = re.compile(rb"\x1b\[[0-9;]*m")
# What a terminal would not show as text: escape sequences, bells, carriage returns.
INVISIBLE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x07|\r")
# A hint as you type: dim text after the cursor, which then moves back over
# it; what is typed next is written over it.
HINT = re.compile(rb"\x1b\[2m[^\x1b]*\x1b\[0m\x1b\[\d+D")


class Terminal:
    """A sockshell on a pty, read with a timeout, like a tiny pexpect."""

    def __init__(self, env_extra=None, args=(), columns=200, rows=50, cwd=None):
        self.env = dict(os.environ, TERM="xterm", COLUMNS=str(columns), LINES=str(rows))
        self.env.pop("NO_COLOR", None)
        self.env.pop("PAGER", None)
        self.env.update(env_extra or {})
        self.columns, self.rows = columns, rows
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # The window size the kernel reports is the one readline and
            # sockshell use; set it before the program starts.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            if cwd:
                os.chdir(cwd)
            os.execve(BINARY, [BINARY, *args], self.env)
        self.screen = b""
        self.sent_at = 0

    def received(self, chunk):
        self.screen += chunk

    def read_until(self, pattern, timeout=5.0):
        """Reads until `pattern` (bytes regex) appears in the new output,
        hints as you type left out (tests of hints read `screen`)."""
        deadline = time.monotonic() + timeout
        start = len(self.screen)
        while True:
            shown = INVISIBLE.sub(b"", HINT.sub(b"", self.screen[start:]))
            match = re.search(pattern, shown)
            if match:
                return shown[:match.end()]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; screen tail: {self.screen[-400:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"sockshell ended while waiting for {pattern!r}; screen: {self.screen[-400:]!r}")
                self.received(chunk)

    def send(self, text):
        # Where the output after these keys starts: a prompt counts as ready
        # only once drawn after them (see Screen.prompt_ready).
        self.sent_at = len(self.screen)
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def wait_until_running(self, timeout=5.0):
        """Waits until readline has given the terminal back (its echo on
        again, as the pty's master reads the modes), which it does once it
        took the line's Enter and the command runs."""
        deadline = time.monotonic() + timeout
        while not termios.tcgetattr(self.fd)[3] & termios.ECHO:
            if time.monotonic() > deadline:
                raise AssertionError("readline kept the terminal; screen tail: " + repr(self.screen[-300:]))
            time.sleep(0.005)

    def command(self, line, expect=rb"sock> "):
        self.send(line + "\r")
        return self.read_until(expect)

    def wait(self, timeout=5.0):
        """Waits for the process to end; drains the pty; returns the exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.05)
                if ready:
                    chunk = os.read(self.fd, 4096)
                    self.received(chunk)
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("sockshell did not exit")

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def require_pyte():
    """pyte, a VT100 model, tells what a terminal would show; installed from
    PyPI when missing, as the scripts install what a fresh machine lacks."""
    try:
        import pyte
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyte"], check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
        import pyte
    return pyte


class Screen(Terminal):
    """A Terminal whose output also drives a terminal emulator (pyte), so a
    test asserts what a person would see, not which bytes went by."""

    def __init__(self, env_extra=None, args=(), columns=80, rows=24, **keywords):
        pyte = require_pyte()
        self.emulator = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.emulator)
        super().__init__(env_extra, args, columns=columns, rows=rows, **keywords)

    def received(self, chunk):
        super().received(chunk)
        self.stream.feed(chunk)

    def lines(self):
        """The screen's rows as text, without trailing blanks or empty rows at the end."""
        rows = [row.rstrip() for row in self.emulator.display]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def cursor(self):
        return self.emulator.cursor.y, self.emulator.cursor.x

    def settle(self, quiet=0.3, timeout=5.0):
        """Reads until sockshell has printed nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet)
            if not ready:
                return
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.received(chunk)

    def wait_for(self, predicate, timeout=5.0, what="the screen"):
        """Reads until predicate(lines) holds; fails showing the screen."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self.lines()):
                return self.lines()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; screen:\n" + "\n".join(self.lines()))
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("sockshell ended; screen:\n" + "\n".join(self.lines()))
                self.received(chunk)

    def wait_for_line(self, text, timeout=5.0):
        """Waits until a row of the screen is exactly `text` (trailing blanks aside)."""
        return self.wait_for(lambda rows: text in rows, timeout, what=repr(text))

    def prompt_ready(self, timeout=5.0, drawn_anew=True):
        """Waits for an empty prompt on the cursor's row, the cursor after it,
        drawn after the last keys sent: right after Enter the screen still
        shows the prompt the line was typed at, which is not the next one.
        After a key that empties the line in place (Ctrl-U), drawn_anew=False."""
        def ready(rows):
            if drawn_anew and b"sock> " not in self.screen[self.sent_at:]:
                return False
            y, x = self.cursor()
            row = self.emulator.display[y].rstrip()
            return row == "sock>" and x == 6
        return self.wait_for(ready, timeout, what="an empty prompt")


PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def interrupt_during(term, line, wait=0.3):
    """Types LINE and Enter at TERM's prompt, presses Ctrl-C once the call
    has run for WAIT seconds, and returns the screen's rows after the line."""
    term.send(line + "\r")
    term.wait_for_line("sock> " + line)
    term.wait_until_running()
    time.sleep(wait)
    term.send("\x03")
    rows = term.prompt_ready()
    return rows[rows.index("sock> " + line) + 1:]


STATE = tempfile.mkdtemp(prefix="sockshell-interactive-")
ENV = {"XDG_STATE_HOME": STATE}


def test_prompt_and_banner():
    term = Terminal(ENV)
    try:
        banner = term.read_until(rb"sock> ")
        assert b"help" in banner, banner
        out = term.command("getservbyname http tcp")
        assert b"\n80\n" in out, out
    finally:
        term.close()


def test_completes_command_names():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.send("geth\t")
        term.read_until(rb"gethost")  # the common prefix of the family
        # As in bash: the first TAB inserted the common prefix; the next two list the matches.
        term.send("\t\t")
        listing = term.read_until(rb"gethostname\s")
        for name in (b"gethostbyaddr", b"gethostbyname", b"gethostbyname_ex", b"gethostname"):
            assert name in listing, (name, listing)
        term.send("\x15")  # Ctrl-U: drop the line
        term.send("gethostbyn\t")
        term.read_until(rb"gethostbyname")
    finally:
        term.close()


def test_completes_socket_names_and_options():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("socket listener_socket")
        term.send("connect list\t")
        term.read_until(rb"connect listener_socket ")
        term.send("\x15")
        term.send("setsockopt listener_socket SOL_SOCKET SO_RE\t")
        term.read_until(rb"SO_REUSE")
        term.send("\t\t")
        out = term.read_until(rb"SO_REUSEPORT")
        assert b"SO_REUSEADDR" in out, out
        assert b"TCP_" not in out, out
    finally:
        term.close()


def test_history_survives_a_restart_with_mode_0600():
    state = tempfile.mkdtemp(prefix="sockshell-history-")
    env = {"XDG_STATE_HOME": state}
    term = Terminal(env)
    try:
        term.read_until(rb"sock> ")
        term.command("echo remembered-line")
        term.send("\x04")
        assert term.wait() == 0
    finally:
        term.close()
    path = os.path.join(state, "sockshell", "history")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    term = Terminal(env)
    try:
        term.read_until(rb"sock> ")
        term.send("\x1b[A")  # Up arrow recalls the last line of the last session
        term.read_until(rb"echo remembered-line")
        term.send("\x15")
        out = term.command("history")
        assert b"echo remembered-line" in out, out
    finally:
        term.close()


def test_ctrl_c_interrupts_accept_and_keeps_the_socket():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("socket srv; bind srv 127.0.0.1 0; listen srv")
        term.send("accept srv\r")
        time.sleep(0.3)
        term.send("\x03")
        out = term.read_until(rb"sock> ")
        assert b"KeyboardInterrupt" in out, out
        out = term.command("getsockname srv")
        assert re.search(rb"\('127\.0\.0\.1', \d+\)", out), out
    finally:
        term.close()


def test_ctrl_c_at_the_prompt_discards_the_line():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.send("echo never-run")
        term.read_until(rb"never-run")
        term.send("\x03")
        term.read_until(rb"sock> ")
        out = term.command("echo after")
        assert b"never-run" not in out, out
        assert b"after" in out, out
    finally:
        term.close()


def test_ctrl_d_exits_zero_and_closes_sockets():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("socket s; bind s 127.0.0.1 0; listen s")
        term.send("\x04")
        assert term.wait() == 0
    finally:
        term.close()


def test_no_color_means_no_colour_codes():
    term = Terminal(dict(ENV, NO_COLOR="1"))
    try:
        term.read_until(rb"sock> ")
        term.command("recv nobody")
        assert b"NameError" in term.screen
        assert not SGR.search(term.screen), term.screen
    finally:
        term.close()
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("recv nobody")
        assert SGR.search(term.screen), "colour expected on a colour terminal"
    finally:
        term.close()


def main():
    for topic in sorted(glob.glob(os.path.join(HERE, "topics", "*.py"))):
        with open(topic) as source:
            exec(compile(source.read(), topic, "exec"), globals())
    selected = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else ""
    tests = [(name, test) for name, test in globals().items() if name.startswith("test_") and selected in name]
    passed = failed = 0
    for name, test in tests:
        try:
            test()
            passed += 1
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
