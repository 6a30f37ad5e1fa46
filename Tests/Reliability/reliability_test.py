#!/usr/bin/env python3
"""Reliability tests of sockshell: the real binary against faulty and hostile
peers, exhausted resources, bad and random input, and signals.

usage: python3 Tests/Reliability/reliability_test.py PATH_TO_SOCKSHELL
       python3 Tests/Reliability/reliability_test.py PATH_TO_SOCKSHELL -k NAME   (only tests whose name contains NAME)

The contract is /work/shared/SPEC.md and README.md.  Wherever Python can say
what the text of a value or an error is, the expected text is computed at
test time by doing the same call in this python3 (errno texts, exception
names, reprs); nothing machine-dependent is written down here.

Groups (the test names start with the group's number):
  1 peer faults      peer closes, resets, half-closes; refused, timed-out and
                     unreachable connects (the last two also in network
                     namespaces when `ip netns` works; skipped with a reason
                     otherwise)
  2 exhaustion       ulimit -n 32; 100,000 socket/close cycles leak no fd
  3 integrity        256 MiB each way with sha256; a property test of mixed
                     reads over random streams (30 seeds)
  4 bad input        every command `help` lists with too few, too many and
                     wrongly typed arguments (a hand-written table; a command
                     the table lacks gets cases made from its usage line);
                     20,000 random lines (scripts/fuzz runs any number)
  5 hostile peers    escape sequences in every display mode; a 16 MiB line
                     against the maxline bound, with peak RSS measured
  6 signals          SIGINT during every blocking command in stdin mode exits
                     130 with KeyboardInterrupt; SIGPIPE never kills

Only loopback traffic: 127.0.0.1 and Unix sockets, plus addresses inside
network namespaces this run creates and deletes (a tun device with no reader
that drops every packet; a namespace with no route at all).  The random-input
test runs sockshell inside a fresh namespace that has only a loopback
interface, as user nobody, in a scratch directory, so no random line can
reach another machine, resolve a name through DNS, or write outside it.

Every subprocess has a timeout, and every sockshell runs under a 2 GiB
address-space limit (prlimit), so a runaway loop fails fast instead of eating
the machine's memory.  The binary is copied first, so a rebuild during the run
changes nothing.  For a binary built with -sanitize=address or thread (found
by its runtime's symbols, or SOCKSHELL_SANITIZED=1) the RSS bound and the
address-space limit are skipped: its shadow memory cannot meet them.
Ends with the line "N passed, N failed"; exit status 1 if any failed.
"""

import atexit
import builtins
import concurrent.futures
import hashlib
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# --- set-up ---------------------------------------------------------------------

TIMEOUT = 20                  # seconds, default per subprocess
WORK = None                   # scratch directory, made in main()
BINARY = None                 # a private copy of the binary under test
SANITIZED = os.environ.get("SOCKSHELL_SANITIZED") == "1"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def base_env(**extra):
    env = dict(os.environ)
    for name in ("CLICOLOR_FORCE", "FORCE_COLOR"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    env["HOME"] = WORK
    env["XDG_STATE_HOME"] = os.path.join(WORK, "state")
    env.update(extra)
    return env


class Result:
    def __init__(self, argv, rc, out, err, stdin=None, elapsed=0.0):
        self.argv, self.rc, self.out_bytes, self.err_bytes = argv, rc, out, err
        self.stdin = stdin
        self.elapsed = elapsed
        self.out = out.decode("utf-8", "backslashreplace")
        self.err = err.decode("utf-8", "backslashreplace")

    @property
    def out_lines(self):
        return self.out.split("\n")[:-1] if self.out.endswith("\n") else self.out.split("\n") if self.out else []

    @property
    def err_lines(self):
        return self.err.split("\n")[:-1] if self.err.endswith("\n") else self.err.split("\n") if self.err else []

    def describe(self, limit=1500):
        def cut(text):
            return text if len(text) <= limit else text[:limit] + f"... [{len(text)} chars]"
        lines = [f"    command: {' '.join(shell_quote(a) for a in self.argv)}"]
        if self.stdin is not None:
            lines.append(f"    stdin:   {cut(self.stdin)!r}" if isinstance(self.stdin, str) else f"    stdin:   {self.stdin}")
        lines.append(f"    exit:    {exit_text(self.rc)}")
        lines.append(f"    stdout:  {cut(self.out)!r}")
        lines.append(f"    stderr:  {cut(self.err)!r}")
        return "\n".join(lines)


def exit_text(rc):
    if isinstance(rc, int) and rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return str(rc)


def shell_quote(arg):
    return arg if re.fullmatch(r"[\w./=:@%+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


MEMORY_LIMIT = 2 << 30   # bytes of address space for every sockshell this suite starts


def limited(argv):
    """argv under a 2 GiB address-space limit (prlimit), so a runaway loop fails fast instead of
    taking the machine's memory; unchanged for a sanitized binary, whose shadow memory needs more."""
    if SANITIZED or not shutil.which("prlimit"):
        return list(argv)
    return ["prlimit", f"--as={MEMORY_LIMIT}", "--", *argv]


def run(args, stdin=None, timeout=TIMEOUT, cwd=None, env=None, prefix=()):
    """Runs [*prefix, BINARY, *args] (memory-limited); stdin is str/bytes to pipe, or None (/dev/null)."""
    argv = [*prefix, *limited([BINARY, *args])]
    kwargs = {}
    shown = None
    if stdin is None:
        kwargs["stdin"] = subprocess.DEVNULL
    else:
        data = stdin.encode("utf-8", "surrogateescape") if isinstance(stdin, str) else stdin
        kwargs["input"] = data
        shown = stdin if isinstance(stdin, str) else data.decode("utf-8", "backslashreplace")
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd or WORK,
                              env=env or base_env(), **kwargs)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"") + f"\n[killed after {timeout} s timeout: a hang]".encode()
        return Result(argv, "timeout", e.stdout or b"", err, shown, time.monotonic() - start)
    return Result(argv, proc.returncode, proc.stdout, proc.stderr, shown, time.monotonic() - start)


def script(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    return path


def expect(result, out=None, err=None, rc=None, note=""):
    """Compares whole stdout / stderr (lists of lines, or callables) and exit status."""
    problems = []
    if rc is not None and result.rc != rc:
        problems.append(f"exit status {exit_text(result.rc)}, expected {rc}")
    for label, actual, expected in (("stdout", result.out_lines, out), ("stderr", result.err_lines, err)):
        if expected is None:
            continue
        if callable(expected):
            message = expected(actual)
            if message:
                problems.append(f"{label}: {message}")
        elif actual != expected:
            problems.append(f"{label} differs:\n      expected: {expected!r}\n      actual:   {actual!r}")
    if problems:
        raise Failure((note + "\n" if note else "") + "\n".join("  " + p for p in problems) + "\n" + result.describe())


def killed_by_signal(result):
    return isinstance(result.rc, int) and result.rc < 0


# --- Python as the oracle ---------------------------------------------------------

def error_line(exc):
    """The last line of CPython's traceback for exc."""
    return traceback.format_exception_only(type(exc), exc)[-1].rstrip("\n")


def py_outcome(fn):
    """What sockshell should print for fn: the value's repr, nothing for None, or the error line."""
    try:
        value = fn()
    except BaseException as exc:  # noqa: BLE001 - the oracle reports every exception
        return ("err", error_line(exc))
    return ("out", None if value is None else repr(value))


def py_steps(*steps):
    return [py_outcome(step) for step in steps]


def split_outcomes(outcomes, location_of):
    """Expected stdout lines and stderr lines for a list of outcomes (index -> location prefix)."""
    out, err = [], []
    for index, (kind, text) in enumerate(outcomes):
        if kind == "err":
            err.append(f"{location_of(index)}: {text}")
        elif text is not None:
            out.append(text)
    return out, err


def py_exception_names():
    names = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
    names |= {f"socket.{n}" for n in ("gaierror", "herror", "timeout")}
    # `!CMD` fails as subprocess.run(..., check=True) does.
    import subprocess as subprocess_module
    names |= {f"subprocess.{n}" for n, v in vars(subprocess_module).items()
              if isinstance(v, type) and issubclass(v, BaseException)}
    return names


# Exceptions whose traceback line is the bare name, as Python prints
# `MemoryError` for recv(2**62) and `KeyboardInterrupt` for Ctrl-C.
BARE_EXCEPTIONS = {"KeyboardInterrupt", "MemoryError"}
EXCEPTION_NAMES = py_exception_names()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Peer:
    """A Python TCP server on 127.0.0.1 running handler(conn) for each connection, in threads."""

    def __init__(self, handler, backlog=16, connections=1):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(backlog)
        self.server.settimeout(TIMEOUT)
        self.port = self.server.getsockname()[1]
        self.handler = handler
        self.errors = []
        self.results = []
        self.threads = []
        self.acceptor = threading.Thread(target=self._serve, args=(connections,), daemon=True)
        self.acceptor.start()

    def _serve(self, connections):
        for _ in range(connections):
            try:
                conn, _ = self.server.accept()
            except OSError as exc:
                self.errors.append(f"accept: {error_line(exc)}")
                return
            conn.settimeout(TIMEOUT)
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _handle(self, conn):
        try:
            result = self.handler(conn)
            self.results.append(result)
        except BaseException as exc:  # noqa: BLE001
            self.errors.append(error_line(exc))
        finally:
            conn.close()

    def finish(self, timeout=TIMEOUT):
        self.acceptor.join(timeout)
        for thread in self.threads:
            thread.join(timeout)
        self.server.close()
        check(not self.errors, f"the Python peer failed: {self.errors}")
        return self.results


def full_backlog_listener():
    """A listener with backlog 0 whose accept queue is full: a connect to it is never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    fillers = []
    timed_out_text = None
    for _ in range(16):
        client = socket.socket()
        client.settimeout(0.3)
        fillers.append(client)
        try:
            client.connect(address)
        except TimeoutError as exc:
            timed_out_text = error_line(exc)
            break
    if timed_out_text is None:
        for sock in fillers + [server]:
            sock.close()
        raise Skip("could not fill a backlog-0 accept queue (the kernel kept answering)")
    return server, address[1], fillers, timed_out_text


def close_all(*groups):
    for group in groups:
        for sock in (group if isinstance(group, list) else [group]):
            try:
                sock.close()
            except OSError:
                pass


# --- network namespaces ------------------------------------------------------------

NAMESPACES = []
NAMESPACE_LOCK = threading.Lock()


def make_namespace(tag):
    """A new network namespace (deleted at exit); Skip with the reason when none can be made."""
    if shutil.which("ip") is None:
        raise Skip("no `ip` command (iproute2) to make a network namespace")
    name = f"sockrel{os.getpid()}{tag}"
    proc = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise Skip(f"cannot make a network namespace: `ip netns add` said {proc.stderr.strip()!r}")
    with NAMESPACE_LOCK:
        NAMESPACES.append(name)
    return name


def in_namespace(name, *command, check_ok=True):
    proc = subprocess.run(["ip", "netns", "exec", name, *command], capture_output=True, text=True, timeout=10)
    if check_ok and proc.returncode != 0:
        raise Skip(f"cannot set up namespace {name}: {' '.join(command)}: {proc.stderr.strip()}")
    return proc


def delete_namespaces():
    with NAMESPACE_LOCK:
        names = list(NAMESPACES)
        NAMESPACES.clear()
    for name in names:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


atexit.register(delete_namespaces)


def python_in_namespace(namespace, code):
    proc = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=10)
    return proc.stdout.strip()


# ==================================================================================
# 1. Peer faults
# ==================================================================================

@test
def test_1_peer_close_reads_empty_bytes():
    def handler(conn):
        conn.sendall(b"bye\n")
    peer = Peer(handler)
    result = run(["-c", f"create_connection c 127.0.0.1 {peer.port}; recvline c; recv c; recvline c; "
                  f"recvuntil c b'END'; recvall c; recv c 1; sockets"])
    peer.finish()
    # After the peer closes, every read is b'' (Python: recv -> b'', readline -> b'').
    expect(result, rc=0, err=[],
           out=lambda lines: None if lines[:6] == [repr(b"bye\n")] + [repr(b"")] * 5
           else f"expected b'bye\\n' then five b'' reads, got {lines[:6]!r}")


def reset_session_prefix():
    return ("socket srv; bind srv 127.0.0.1 0; listen srv\n"
            "socket c; connect c 127.0.0.1 $srv.port\n"
            "accept srv x > /dev/null\n"
            "setsockopt x SOL_SOCKET SO_LINGER b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'\n"
            "close x\n")


def python_reset_pair():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.socket()
    client.connect(server.getsockname())
    conn, _ = server.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    server.close()
    time.sleep(0.05)
    return client


@test
def test_1_peer_reset_then_recv_and_sends():
    # recv after RST, then send twice: texts as python3 gives them for the same calls.
    client = python_reset_pair()
    expected = py_steps(lambda: client.recv(4096), lambda: client.send(b"a"), lambda: client.sendall(b"b"),
                        lambda: client.recv(4096))
    client.close()
    check(expected[0] == ("err", "ConnectionResetError: [Errno 104] Connection reset by peer"),
          f"python3 itself did not see a reset: {expected[0]}")
    path = script("reset.sock", reset_session_prefix() + "sleep 0.05\nrecv c\nsend c 'a'\nsendall c 'b'\nrecv c\necho alive\n")
    out, err = split_outcomes(expected, lambda i: f"{path}:{7 + i}")
    expect(run([path]), rc=1, out=out + ["alive"], err=err)


@test
def test_1_send_after_reset_is_broken_pipe():
    # No recv first: the first send reports the reset, the later ones EPIPE (as python3 says).
    client = python_reset_pair()
    expected = py_steps(lambda: client.send(b"a"), lambda: client.send(b"a"), lambda: client.sendall(b"a"))
    client.close()
    check(("err", "BrokenPipeError: [Errno 32] Broken pipe") in expected,
          f"python3 gave no BrokenPipeError after a reset: {expected}")
    path = script("reset_send.sock", reset_session_prefix() + "sleep 0.05\nsend c 'a'\nsend c 'a'\nsendall c 'a'\necho alive\n")
    out, err = split_outcomes(expected, lambda i: f"{path}:{7 + i}")
    expect(run([path]), rc=1, out=out + ["alive"], err=err)


@test
def test_1_reset_by_python_peer_while_blocked_in_recvline():
    def handler(conn):
        conn.recv(100)                       # "go"
        conn.sendall(b"partial line without newline")
        time.sleep(0.2)                      # sockshell is now blocked in recvline
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer = Peer(handler)
    result = run(["-c", f"create_connection c 127.0.0.1 {peer.port}; sendline c go; recvline c; echo alive"])
    peer.finish()
    expect(result, rc=1, out=["alive"],
           err=["<command>:3: ConnectionResetError: [Errno 104] Connection reset by peer"])


@test
def test_1_half_close_peer_reads_eof_and_still_answers():
    def handler(conn):
        data = b""
        while True:
            piece = conn.recv(65536)
            if not piece:
                break
            data += piece
        conn.sendall(b"got %d bytes\n" % len(data))
        return data
    peer = Peer(handler)
    s1, s2 = socket.socket(), socket.socket()  # python3's text for send after shutdown(SHUT_WR)
    lst = socket.create_server(("127.0.0.1", 0))
    s1.connect(lst.getsockname())
    s1.shutdown(socket.SHUT_WR)
    after_shutdown = py_outcome(lambda: s1.send(b"x"))
    close_all(s1, s2, lst)
    result = run(["-c", f"create_connection c 127.0.0.1 {peer.port}; sendall c 'hello world'; shutdown c wr; "
                  f"recvline c; recv c; send c 'x'"])
    data = peer.finish()
    check(data == [b"hello world"], f"the peer received {data!r}, expected [b'hello world']")
    expect(result, rc=1, out=[repr(b"got 11 bytes\n"), repr(b"")], err=[f"<command>:6: {after_shutdown[1]}"])


@test
def test_1_half_close_within_one_session():
    result = run(["-c", "socket srv; bind srv 127.0.0.1 0; listen srv; socket c; connect c 127.0.0.1 $srv.port; "
                  "accept srv x > /dev/null; sendall c 'req'; shutdown c wr; recvall x; sendall x 'answer'; close x; recvall c"])
    expect(result, rc=0, err=[], out=[repr(b"req"), repr(b"answer")])


@test
def test_1_connect_to_closed_port_is_refused_and_socket_stays_usable():
    port = closed_port()
    listener = socket.create_server(("127.0.0.1", 0))
    open_port = listener.getsockname()[1]
    s = socket.socket()
    expected = py_steps(lambda: s.connect(("127.0.0.1", port)), lambda: s.connect_ex(("127.0.0.1", port)),
                        lambda: socket.create_connection(("127.0.0.1", port)),
                        lambda: s.connect(("127.0.0.1", open_port)), lambda: s.getpeername()[1] == open_port)
    s.close()
    path = script("refused.sock", f"socket c\nconnect c 127.0.0.1 {port}\nconnect_ex c 127.0.0.1 {port}\n"
                  f"create_connection d 127.0.0.1 {port}\nconnect c 127.0.0.1 {open_port}\n")
    out, err = split_outcomes(expected[:4], lambda i: f"{path}:{2 + i}")
    result = run([path])
    listener.close()
    expect(result, rc=1, out=out, err=err)
    check(expected[4] == ("out", "True"), f"python3 could not reconnect after a refusal: {expected}")


@test
def test_1_connect_timeout_to_full_backlog():
    server, port, fillers, timed_out = full_backlog_listener()
    try:
        probe = socket.socket()
        probe.settimeout(0.5)
        expected = py_outcome(lambda: probe.connect(("127.0.0.1", port)))
        created = py_outcome(lambda: socket.create_connection(("127.0.0.1", port), 0.3))
        probe.close()
        result = run(["-c", f"socket c; settimeout c 0.5; connect c 127.0.0.1 {port}; "
                      f"create_connection d 127.0.0.1 {port} 0.3; echo alive"])
    finally:
        close_all(server, fillers)
    check(expected[0] == "err" and created[0] == "err", f"python3 did not time out: {expected} {created}")
    expect(result, rc=1, out=["alive"], err=[f"<command>:3: {expected[1]}", f"<command>:4: {created[1]}"])
    check(0.7 <= result.elapsed < 5, f"two timeouts of 0.5 s and 0.3 s took {result.elapsed:.2f} s")


@test
def test_1_connect_timeout_in_namespace_that_drops_packets():
    # A tun device with nobody reading it: every packet routed to it is dropped.
    ns = make_namespace("drop")
    in_namespace(ns, "ip", "link", "set", "lo", "up")
    in_namespace(ns, "ip", "tuntap", "add", "dev", "t0", "mode", "tun")
    in_namespace(ns, "ip", "addr", "add", "10.200.0.1", "peer", "10.200.0.2", "dev", "t0")
    in_namespace(ns, "ip", "link", "set", "t0", "up")
    expected = python_in_namespace(ns, "import socket, traceback\ns = socket.socket(); s.settimeout(0.5)\n"
                                   "try: s.connect(('10.200.0.2', 80))\n"
                                   "except BaseException as e: print(traceback.format_exception_only(type(e), e)[-1].strip())")
    check(expected == "TimeoutError: timed out", f"python3 in the namespace did not time out: {expected!r}")
    result = run(["-c", "socket c; settimeout c 0.5; connect c 10.200.0.2 80"], prefix=("ip", "netns", "exec", ns))
    expect(result, rc=1, out=[], err=[f"<command>:3: {expected}"])
    check(0.4 <= result.elapsed < 4, f"a 0.5 s connect timeout took {result.elapsed:.2f} s")


@test
def test_1_network_unreachable_in_namespace_without_routes():
    ns = make_namespace("noroute")
    expected = python_in_namespace(ns, "import socket, traceback\ns = socket.socket()\n"
                                   "try: s.connect(('10.1.2.3', 80))\n"
                                   "except BaseException as e: print(traceback.format_exception_only(type(e), e)[-1].strip())")
    check("Network is unreachable" in expected, f"python3 in a namespace without routes said {expected!r}")
    result = run(["-c", "socket s; connect s 10.1.2.3 80; connect_ex s 10.1.2.3 80; echo alive"],
                 prefix=("ip", "netns", "exec", ns))
    expect(result, rc=1, out=[str(101), "alive"] if "101" in expected else None,
           err=[f"<command>:2: {expected}"])


# ==================================================================================
# 2. Resource exhaustion
# ==================================================================================

def python_under_fd_limit(code):
    proc = subprocess.run(["bash", "-c", f"ulimit -n 32; exec {shlex_join([sys.executable, '-c', code])}"],
                          capture_output=True, text=True, timeout=10)
    return proc.stdout.strip().split("\n")


def shlex_join(words):
    return " ".join(shell_quote(w) for w in words)


@test
def test_2_fd_limit_socket_fails_shell_keeps_working():
    data_file = script("payload.txt", "payload\n")
    out_file = os.path.join(WORK, "emfile-out.txt")
    expected = python_under_fd_limit(
        "import socket, traceback\n"
        "def line(f):\n"
        "    try: f()\n"
        "    except BaseException as e: print(traceback.format_exception_only(type(e), e)[-1].strip()); return True\n"
        "keep = []\n"
        "while not line(lambda: keep.append(socket.socket())): pass\n"
        f"line(lambda: open({data_file!r}, 'rb'))\n"
        f"line(lambda: open({out_file!r}, 'w'))\n")
    check(len(expected) == 3 and expected[0] == "OSError: [Errno 24] Too many open files",
          f"python3 under ulimit -n 32 said {expected!r}")
    lines = ["socket srv; bind srv 127.0.0.1 0; listen srv", "socket c; connect c 127.0.0.1 $srv.port"]
    lines += [f"socket s{i}" for i in range(40)]
    lines += ["echo after", "accept srv x", f"sendall c @{data_file}", f"echo hi > {out_file}",
              "fileno s3", "close s3", "socket again", "fileno again", "socket again2",
              "close s4", "accept srv x", "sendall c 'still works'", "recv x", "echo done"]
    path = script("emfile.sock", "\n".join(lines) + "\n")
    argv = limited(["bash", "-c", f"ulimit -n 32; exec {shell_quote(BINARY)} {shell_quote(path)}"])
    proc = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, cwd=WORK, env=base_env())
    result = Result(argv, proc.returncode, proc.stdout, proc.stderr)
    check(not killed_by_signal(result), "sockshell died\n" + result.describe())
    emfile = f"OSError: [Errno 24] Too many open files"
    failed_sockets = [int(m.group(1)) - 3 for m in
                      (re.match(rf"{re.escape(path)}:(\d+): {re.escape(emfile)}$", l) for l in result.err_lines) if m
                      and int(m.group(1)) <= 42]
    check(len(failed_sockets) >= 1 and failed_sockets == list(range(failed_sockets[0], 40)) and failed_sockets[0] >= 15,
          f"expected the last `socket sN` lines to fail with {emfile!r}, got failures for {failed_sockets}\n" + result.describe())
    n = 43  # line number of "echo after"
    expected_err = [f"{path}:{n + 1}: {expected[0]}", f"{path}:{n + 2}: {expected[1]}", f"{path}:{n + 3}: {expected[2]}",
                    f"{path}:{n + 8}: {expected[0]}"]
    rest = [l for l in result.err_lines if not any(l == f"{path}:{3 + i}: {emfile}" for i in failed_sockets)]
    out = result.out_lines
    problems = []
    if rest != expected_err:
        problems.append(f"stderr after the socket lines: expected {expected_err!r}, got {rest!r}")
    if len(out) != 6 or out[0] != "after" or out[1] != out[2] or not out[3].startswith("(<socket x ") \
            or out[4] != repr(b"still works") or out[5] != "done":
        problems.append("stdout should be: after, fileno s3, the same fd for the next socket, the accepted "
                        f"connection, b'still works', done; got {out!r}")
    if result.rc != 1:
        problems.append(f"exit status {exit_text(result.rc)}, expected 1")
    check(not problems, "\n".join(problems) + "\n" + result.describe())


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class LineReader:
    """Reads a pipe in a thread; lines arrive in a queue."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.chunks = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, b""):
            self.chunks.append(line)
            self.lines.put(line.decode("utf-8", "backslashreplace").rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            line = self.next_line(left)
            if line is None:
                return False
            if line == text:
                return True

    def text(self):
        self.thread.join(5)
        return b"".join(self.chunks).decode("utf-8", "backslashreplace")


@test
def test_2_hundred_thousand_socket_cycles_leak_no_fd():
    refused = closed_port()
    cycles = (["socket s; close s"] * 80_000
              + ["socketpair a b; close a; close b"] * 10_000
              + ["socket u udp; bind u 127.0.0.1 0; close u"] * 3_000
              + ["socket k; connect k 127.0.0.1 $srv.port; accept srv x > /dev/null; close x; close k"] * 1_000
              + [f"create_connection d 127.0.0.1 {refused}"] * 1_000            # refused: its socket must close
              + ["socket s; socket s; close s"] * 1_000                       # name taken: no socket made
              + [f"sendall keep @{WORK}/no/such/file"] * 1_000                 # file error after the socket
              + [f"recv keep 0 > {WORK}/no/such/dir/out"] * 1_000              # redirect error
              + ["socketpair p q; sendall p 'xy\\n'; recvline q > /dev/null; close p; close q"] * 2_000)
    check(len(cycles) == 100_000, "the cycle list must have 100,000 entries")
    random.Random(7).shuffle(cycles)
    proc = subprocess.Popen(limited([BINARY]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=WORK, env=base_env())
    out, err = LineReader(proc.stdout), LineReader(proc.stderr)
    try:
        proc.stdin.write(b"socket srv; bind srv 127.0.0.1 0; listen srv 128; socket keep\n"
                         b"socket probe; fileno probe; close probe\n")
        proc.stdin.flush()
        first = out.next_line(10)
        before = fd_count(proc.pid)
        proc.stdin.write(("\n".join(cycles) + "\n").encode())
        proc.stdin.write(b"socket probe; fileno probe; close probe\n")
        proc.stdin.flush()
        last = out.next_line(60)
        after = fd_count(proc.pid) if last is not None else None
        proc.stdin.close()
        rc = proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    errors = err.text().split("\n")[:-1]
    expected_errors = 1_000 * 4   # refused, name taken, missing file, missing directory
    check(rc == 1, f"exit status {exit_text(rc)} after the cycles (expected 1: some cycles fail on purpose)")
    check(first is not None and last is not None and first == last,
          f"fileno of a new socket before the cycles was {first}, after them {last}: descriptors leaked")
    check(before == after, f"/proc/PID/fd had {before} entries before the cycles and {after} after")
    kinds = {}
    for line in errors:
        kinds[re.sub(r"^<stdin>:\d+: ", "", line)] = kinds.get(re.sub(r"^<stdin>:\d+: ", "", line), 0) + 1
    check(len(errors) == expected_errors, f"expected {expected_errors} error lines, got {len(errors)}: {kinds}")


# ==================================================================================
# 3. Data integrity
# ==================================================================================

def random_file(path, size, seed):
    """Writes size pseudo-random bytes; returns their sha256."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = rng.randbytes(min(left, 8 << 20))
            digest.update(piece)
            f.write(piece)
            left -= len(piece)
    return digest.hexdigest()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(8 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


@test
def test_3_256_mib_each_way_sha256():
    size = 256 << 20
    source = os.path.join(WORK, "big-in.bin")
    copy = os.path.join(WORK, "big-out.bin")
    want = random_file(source, size, seed=256)

    def handler(conn):
        with open(source, "rb") as f:
            conn.sendfile(f)
        conn.shutdown(socket.SHUT_WR)
        digests, counts = [hashlib.sha256(), hashlib.sha256()], [0, 0]
        while True:
            piece = conn.recv(1 << 20)
            if not piece:
                break
            while piece:  # first 256 MiB came by sendfile, the next by sendall @FILE
                half = 0 if counts[0] < size else 1
                take = piece[: size - counts[0]] if half == 0 else piece
                digests[half].update(take)
                counts[half] += len(take)
                piece = piece[len(take):]
        return [d.hexdigest() for d in digests], counts
    peer = Peer(handler)
    result = run(["-c", f"create_connection c 127.0.0.1 {peer.port}; recvall c > {copy}; sendfile c {copy}; "
                  f"sendall c @{copy}; shutdown c wr; sockets"], timeout=60)
    [(digests, counts)] = peer.finish(60)
    try:
        got = sha256_file(copy) if os.path.exists(copy) else None
    finally:
        for path in (source, copy):
            if os.path.exists(path):
                os.unlink(path)
    check(result.rc == 0 and result.err == "", "sockshell failed\n" + result.describe())
    check(got == want, f"recvall > FILE: sha256 {got} differs from what the peer sent ({want})")
    check(counts == [size, size] and digests == [want, want],
          f"the peer got {counts} bytes back with sha256 {digests}; expected 2 x {size} with {want}")
    lines = result.out_lines
    check(lines and lines[0] == str(size), f"sendfile should print {size}, stdout was {lines[:1]!r}")
    counts = (table_cell(lines[1:], "c", "sent"), table_cell(lines[1:], "c", "received"))
    check(counts == (str(2 * size), str(size)),
          f"`sockets` should count {2 * size} sent and {size} received, shows {counts}:\n" + "\n".join(lines[1:]))


def table_cell(lines, row, column):
    """A cell of the `sockets` table, found by the column's position in the header line."""
    header = next((l for l in lines if l.startswith("name ")), None)
    if header is None or f" {column}" not in header + " ":
        return None
    start = header.index(f" {column}") + 1
    following = re.search(r"\s\S", header[start:])
    end = start + following.start() + 1 if following else None
    for line in lines:
        if line.split(" ", 1)[0] == row:
            return line[start:end].strip()
    return None


# The error of a recvline/recvuntil that gives up at the maxline bound (its wording may change).
MAXLINE_ERROR = r"ValueError: no b'.*?'.*? \(?(\d+)( bytes)?\)?.*buffered.*maxline.*$"

DELIMITERS = [b"\n", b"\r\n", b"END", b"\x00\xff", b"--", b"\xe2\x82\xac", b"ab", b"\n\n", b"'\"\\"]


def bytes_literal(data):
    return "b'" + "".join(f"\\x{byte:02x}" for byte in data) + "'"


def property_case(seed):
    """One seed: returns None, or a failure message naming the seed and the files to replay it."""
    rng = random.Random(seed)
    delimiters = rng.sample(DELIMITERS, rng.randint(1, 3))
    length = rng.choice([0, 1, 7, 4095, 4096, 4097, 65536, 65537, rng.randrange(300_000), rng.randrange(1 << 20)])
    pieces, total = [], 0
    while total < length:
        roll = rng.random()
        if roll < 0.25:
            piece = rng.choice(delimiters)
        elif roll < 0.35:
            piece = b"\n"
        elif roll < 0.5:
            piece = bytes(rng.choice(b"".join(delimiters) + b"\n\r\x00\x1b") for _ in range(rng.randint(1, 8)))
        else:
            piece = rng.randbytes(rng.choice([1, 2, 10, 100, 1000, 5000, 20000]))
        pieces.append(piece)
        total += len(piece)
    stream = b"".join(pieces)[:length]
    out_path = os.path.join(WORK, f"prop-{seed}.out")
    ops = []
    if rng.random() < 0.3:
        ops.append(f"set display {rng.choice(['hex', 'text', 'repr'])}")
    maxline_small = rng.random() < 0.5
    if maxline_small:
        ops.append(f"set maxline {rng.choice([1, 2, 3, 5, 16, 100, 1000])}")
    for _ in range(rng.randint(0, 80)):
        if maxline_small and rng.random() < 0.12:
            ops.append(f"set maxline {rng.choice([1, 2, 3, 5, 16, 100, rng.randint(1, 3000)])}")
            continue
        roll = rng.random()
        if roll < 0.3:
            ops.append(f"recv c {rng.choice([0, 1, 2, 3, 10, 100, 1000, 4096, 65536, rng.randrange(70000)])} >> {out_path}")
        elif roll < 0.55:
            ops.append(f"recvline c >> {out_path}")
        elif roll < 0.8:
            ops.append(f"recvuntil c {bytes_literal(rng.choice(delimiters))} >> {out_path}")
        elif roll < 0.85:
            ops.append(f"recv c {rng.randint(1, 5000)} MSG_PEEK > /dev/null")
        elif roll < 0.93:
            ops.append(f"recvall c {rng.randint(1, 100000)} >> {out_path}")
        else:
            ops.append(f"recv c {rng.randint(1, 9)} >> {out_path}")
    ops.append(f"recvall c >> {out_path}")

    def handler(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        position, sleeps = 0, 0
        while position < len(stream):
            size = rng.choice([1, 2, 3, 5, 16, 100, 1000, 4096, 65536, rng.randint(1, 200000)])
            conn.sendall(stream[position:position + size])
            position += size
            if sleeps < 15 and rng.random() < 0.05:
                sleeps += 1
                time.sleep(rng.choice([0.0005, 0.002, 0.01]))
    peer = Peer(handler)
    path = script(f"prop-{seed}.sock", f"create_connection c 127.0.0.1 {peer.port}\n" + "\n".join(ops) + "\n")
    if os.path.exists(out_path):
        os.unlink(out_path)
    result = run([path], timeout=30)
    peer.finish()
    got = open(out_path, "rb").read() if os.path.exists(out_path) else b""
    allowed = re.compile(rf"{re.escape(path)}:\d+: {MAXLINE_ERROR}")
    unexpected = [l for l in result.err_lines if not (maxline_small and allowed.match(l))]
    if got == stream and not unexpected and result.rc in (0, 1) and (result.rc == 0) == (not result.err_lines):
        os.unlink(out_path)
        os.unlink(path)
        return None
    first_difference = next((i for i, (x, y) in enumerate(zip(got, stream)) if x != y), min(len(got), len(stream)))
    return (f"seed {seed}: {len(stream)} bytes sent, {len(got)} written; first difference at offset {first_difference}; "
            f"unexpected stderr {unexpected[:3]!r}; exit {exit_text(result.rc)}\n"
            f"    replay: the script {path} (its peer sends the stream of seed {seed}); output in {out_path}")


@test
def test_3_property_random_streams_mixed_reads():
    seeds = list(range(1, 31))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        failures = [f for f in pool.map(property_case, seeds) if f]
    check(not failures, f"{len(failures)} of {len(seeds)} seeds lost, added or reordered bytes:\n  " + "\n  ".join(failures))


# ==================================================================================
# 4. Bad input
# ==================================================================================

_COMMAND_CACHE = {}


def command_usages():
    """{command: usage line} for every command `help` lists, plus aliases, read from the binary."""
    if _COMMAND_CACHE:
        return _COMMAND_CACHE
    listing = run(["-c", "help"])
    check(listing.rc == 0, "`sockshell -c help` failed\n" + listing.describe())
    names = [m.group(1) for m in (re.match(r"^  (\S+)\s{2,}\S", l) for l in listing.out_lines) if m]
    check(len(names) > 30, f"could not read the command list from `help`: {names}")
    pages = run(["-c", "; ".join(f"help {n}" for n in names)])
    usage = {}
    current = None
    for line in pages.out_lines:
        m = re.match(r"^usage: (\S+)(.*)$", line)
        if m:
            current = m.group(1)
            usage[current] = line[len("usage: "):]
            continue
        m = re.match(r"^  Alias: (\S+)$", line)
        if m and current:
            usage[m.group(1)] = m.group(1) + usage[current][len(current):]
    check(set(names) <= set(usage), f"no usage line for {sorted(set(names) - set(usage))}")
    _COMMAND_CACHE.update(usage)
    return _COMMAND_CACHE


# Sessions for the table start with these sockets: s (TCP), a/b (a Unix pair), u (UDP).
BAD_INPUT_SETUP = "socket s; socketpair a b; socket u udp"

# For each command: lines with too few arguments, too many, and wrongly typed or
# out-of-range ones.  Commands whose every argument is optional have no
# "few" case; echo takes anything, so its bad lines are syntax errors.
BAD_INPUT = {
    "accept": (["accept"], ["accept s n1 n2"], ["accept 5", "accept s 5", "accept (1, 2)", "accept s 'x y'"]),
    "bind": (["bind s", "bind s 127.0.0.1"], ["bind s 127.0.0.1 0 5"],
             ["bind s 127.0.0.1 'x'", "bind s [1] 0", "bind s 127.0.0.1 99999", "bind 5 127.0.0.1 0", "bind s (1, 2, 3, 4, 5)",
              "bind s 127.0.0.1 -1", "bind s 127.0.0.1 1.5"]),
    "close": (["close"], ["close s s"], ["close 5", "close b'x'", "close nosuch"]),
    "connect": (["connect s", "connect s 127.0.0.1"], ["connect s 127.0.0.1 1 2"],
                ["connect s 127.0.0.1 port", "connect s 127.0.0.1 70000", "connect s 127.0.0.1 -1", "connect s [1] 1",
                 "connect s 127.0.0.1 99999999999999999999"]),
    "connect_ex": (["connect_ex s", "connect_ex s 127.0.0.1"], ["connect_ex s 127.0.0.1 1 2"],
                   ["connect_ex s 127.0.0.1 x", "connect_ex s 127.0.0.1 65536", "connect_ex 1 127.0.0.1 1"]),
    "create_connection": (["create_connection n", "create_connection n 127.0.0.1"], ["create_connection n 127.0.0.1 1 1 1"],
                          ["create_connection n 127.0.0.1 1 'x'", "create_connection 5 127.0.0.1 1",
                           "create_connection n 127.0.0.1 1 -1", "create_connection n 127.0.0.1 70000"]),
    "create_server": (["create_server n", "create_server n 127.0.0.1"], ["create_server n 127.0.0.1 0 inet 5 6"],
                      ["create_server n 127.0.0.1 0 bogus", "create_server n 127.0.0.1 0 inet x", "create_server n 127.0.0.1 x",
                       "create_server n 127.0.0.1 70000"]),
    "fileno": (["fileno"], ["fileno s s"], ["fileno 5", "fileno 's'", "fileno nosuch"]),
    "getpeername": (["getpeername"], ["getpeername s s"], ["getpeername 5", "getpeername (s,)"]),
    "getsockname": (["getsockname"], ["getsockname s s"], ["getsockname 5", "getsockname [s]"]),
    "listen": (["listen"], ["listen s 1 2"], ["listen s x", "listen s 1.5", "listen s b'1'"]),
    "select": (["select"], ["select [a] [a] 0 0"],
               ["select 5", "select [5]", "select [a] [a] x", "select [a] [] -1", "select [nosuch] [] 0", "select [a] [] 1e300"]),
    "shutdown": (["shutdown a"], ["shutdown a wr rd"], ["shutdown a sideways", "shutdown a 'wr'", "shutdown a 99999999999"]),
    "socket": (["socket"], ["socket n inet stream 0 0"],
               ["socket 5", "socket n bogus", "socket n inet bogus", "socket n 'inet'", "socket n inet stream 9999999999",
                "socket 'n'", "socket s", "socket 1n"]),
    "socketpair": (["socketpair x"], ["socketpair x y unix stream 0"],
                   ["socketpair x 5", "socketpair x y bogus", "socketpair x x", "socketpair a y"]),
    "sockets": ([], ["sockets x"], ["sockets 5"]),
    "ls": ([], ["ls x"], ["ls [1]"]),
    "recv": (["recv"], ["recv a 1 0 0"],
             ["recv a x", "recv a 1.5", "recv a -1", "recv a 1 BOGUS", "recv 5",
              "recv a 4611686018427387904", "recv a 9223372036854775807"]),
    "recvall": (["recvall"], ["recvall a 1 2"], ["recvall a x", "recvall a 0", "recvall a 4611686018427387904"]),
    "recvfrom": (["recvfrom"], ["recvfrom u 1 0 0"], ["recvfrom u x", "recvfrom u -1", "recvfrom u 4611686018427387904"]),
    "recvline": (["recvline"], ["recvline a 1"], ["recvline 5", "recvline 'a'"]),
    "recvuntil": (["recvuntil a"], ["recvuntil a b'x' 1"], ["recvuntil a 5", "recvuntil a ''", "recvuntil a (1,)"]),
    "send": (["send a"], ["send a 'x' 0 0"], ["send a 5", "send a 'x' BOGUS", "send a [1]", "send a 'x' 1.5"]),
    "sendall": (["sendall a"], ["sendall a 'x' 'y'"], ["sendall a 5", "sendall a @/nonexistent/file", "sendall a None"]),
    "sendfile": (["sendfile a"], ["sendfile a /etc/hosts x"],
                 ["sendfile a [1]", "sendfile a /nonexistent/file", "sendfile u /etc/hosts", "sendfile a /"]),
    "sendline": (["sendline a"], ["sendline a 'x' 'y'"], ["sendline a 5", "sendline a (1,)"]),
    "sendto": (["sendto u 'x'", "sendto u 'x' 127.0.0.1"], ["sendto u 'x' 127.0.0.1 9 9"],
               ["sendto u 5 127.0.0.1 9", "sendto u 'x' 127.0.0.1 x", "sendto u 'x' 127.0.0.1 70000"]),
    "getsockopt": (["getsockopt s SOL_SOCKET", "getsockopt s"], ["getsockopt s SOL_SOCKET SO_TYPE 4 4"],
                   ["getsockopt s BOGUS SO_TYPE", "getsockopt s SOL_SOCKET SO_TYPE x", "getsockopt s SOL_SOCKET SO_TYPE 2000",
                    "getsockopt s SOL_SOCKET SO_TYPE -1", "getsockopt s SOL_SOCKET 99999999999"]),
    "setsockopt": (["setsockopt s SOL_SOCKET SO_REUSEADDR"], ["setsockopt s SOL_SOCKET SO_REUSEADDR 1 2"],
                   ["setsockopt s SOL_SOCKET SO_REUSEADDR 'x'", "setsockopt s SOL_SOCKET SO_REUSEADDR 9999999999",
                    "setsockopt s SOL_SOCKET SO_REUSEADDR (1,)", "setsockopt s x SO_REUSEADDR 1"]),
    "settimeout": (["settimeout s"], ["settimeout s 1 2"], ["settimeout s x", "settimeout s -1", "settimeout s 1e300", "settimeout s [1]"]),
    "gettimeout": (["gettimeout"], ["gettimeout s 1"], ["gettimeout 5"]),
    "setblocking": (["setblocking s"], ["setblocking s True False"], ["setblocking s 'x'", "setblocking s [1]", "setblocking s maybe"]),
    "getblocking": (["getblocking"], ["getblocking s 1"], ["getblocking 5"]),
    "getaddrinfo": (["getaddrinfo localhost"], ["getaddrinfo localhost 80 0 0 0 0 0"],
                    ["getaddrinfo localhost 80 bogus", "getaddrinfo [1] 80", "getaddrinfo localhost 1.5", "getaddrinfo localhost 80 inet bogus"]),
    "getdefaulttimeout": ([], ["getdefaulttimeout 1"], ["getdefaulttimeout [1]"]),
    "getfqdn": ([], ["getfqdn a b"], ["getfqdn [1]", "getfqdn (1,)"]),
    "gethostbyaddr": (["gethostbyaddr"], ["gethostbyaddr 127.0.0.1 x"], ["gethostbyaddr [1]", "gethostbyaddr b'x'"]),
    "gethostbyname": (["gethostbyname"], ["gethostbyname localhost x"], ["gethostbyname [1]", "gethostbyname b'x'"]),
    "gethostbyname_ex": (["gethostbyname_ex"], ["gethostbyname_ex localhost x"], ["gethostbyname_ex [1]"]),
    "gethostname": ([], ["gethostname x"], ["gethostname [1]"]),
    "getnameinfo": (["getnameinfo 127.0.0.1 80", "getnameinfo"], ["getnameinfo 127.0.0.1 80 0 0"],
                    ["getnameinfo 127.0.0.1 80 x", "getnameinfo 127.0.0.1 x 0", "getnameinfo [1] 80 0"]),
    "getprotobyname": (["getprotobyname"], ["getprotobyname tcp udp"], ["getprotobyname [1]", "getprotobyname nosuchproto"]),
    "getservbyname": (["getservbyname"], ["getservbyname http tcp x"], ["getservbyname [1]", "getservbyname http [1]"]),
    "getservbyport": (["getservbyport"], ["getservbyport 80 tcp x"], ["getservbyport x", "getservbyport 70000", "getservbyport -1"]),
    "htonl": (["htonl"], ["htonl 1 2"], ["htonl x", "htonl -1", "htonl 4294967296", "htonl 1.5"]),
    "htons": (["htons"], ["htons 1 2"], ["htons x", "htons 'x'", "htons -1", "htons 65536"]),
    "ntohl": (["ntohl"], ["ntohl 1 2"], ["ntohl x", "ntohl -1", "ntohl 4294967296"]),
    "ntohs": (["ntohs"], ["ntohs 1 2"], ["ntohs x", "ntohs -1", "ntohs 65536"]),
    "if_nameindex": ([], ["if_nameindex x"], ["if_nameindex [1]"]),
    "inet_aton": (["inet_aton"], ["inet_aton 1.2.3.4 x"], ["inet_aton [1]", "inet_aton 999.1.1.1"]),
    "inet_ntoa": (["inet_ntoa"], ["inet_ntoa b'abcd' x"], ["inet_ntoa 5", "inet_ntoa b'abc'"]),
    "inet_ntop": (["inet_ntop inet", "inet_ntop"], ["inet_ntop inet b'abcd' x"],
                  ["inet_ntop bogus b'abcd'", "inet_ntop inet 5", "inet_ntop inet b'abc'"]),
    "inet_pton": (["inet_pton inet", "inet_pton"], ["inet_pton inet 1.2.3.4 x"], ["inet_pton inet [1]", "inet_pton inet 300.1.1.1"]),
    "setdefaulttimeout": (["setdefaulttimeout"], ["setdefaulttimeout 1 2"], ["setdefaulttimeout x", "setdefaulttimeout -1"]),
    "echo": ([], [], ["echo (", "echo 'unterminated", "echo b'\\xzz'", "echo $nosuch"]),
    "help": ([], ["help recv send"], ["help nosuch", "help [1]"]),
    "history": ([], ["history 1 2"], ["history x", "history [1]"]),
    "quit": ([], ["quit 1 2"], ["quit x", "quit 1.5"]),
    "exit": ([], ["exit 1 2"], ["exit x", "exit 'x'"]),
    "set": (["set display", "set maxline"], ["set display hex x"],
            ["set display bogus", "set maxline x", "set maxline 0", "set bogus 1", "set maxline -5"]),
    "sleep": (["sleep"], ["sleep 1 2"], ["sleep x", "sleep -1", "sleep [1]", "sleep 1e300"]),
    "source": (["source"], [], ["source /nonexistent/file", "source [1]", "source /", "source /nonexistent/file a b"]),
    # The rest of the line is one command for /bin/sh: never a random one.
    "!": (["!"], [], ["! exit 3"]),
}

# Lines that are no command at all (a literal alone, `(1, 2)`, is a Python line that prints its value).
BAD_INPUT_OTHER = ["nosuchcommand", "recvv a", "'quoted' a", "(1, 2) a", "> out", "recv a > ", "$s.port", "b'x' a", "1 +",
                   "echo (>", "fileno [ >''", "echo (a, >)", "echo [1, (2, [3 >> f"]


def bad_input_case(kind, line):
    result = run([], stdin=BAD_INPUT_SETUP + "\n" + line + "\n", timeout=5)
    problems = []
    if result.rc == "timeout":
        problems.append("hangs")
    elif killed_by_signal(result):
        problems.append(exit_text(result.rc))
    elif result.rc != 1:
        problems.append(f"exit status {result.rc}, expected 1")
    if result.out:
        problems.append(f"stdout not empty: {result.out[:200]!r}")
    lines = [] if result.rc == "timeout" else result.err_lines
    if result.rc == "timeout":
        pass
    elif len(lines) != 1:
        problems.append(f"{len(lines)} stderr lines, expected exactly one")
    else:
        m = re.match(r"^<stdin>:2: ([\w.]+)(?:: (.+))?$", lines[0])
        if not m:
            problems.append(f"stderr is not `<stdin>:2: Type: message`: {lines[0]!r}")
        elif m.group(1) not in EXCEPTION_NAMES:
            problems.append(f"{m.group(1)} is not a Python exception")
        elif kind in ("few", "many") and m.group(1) != "TypeError":
            problems.append(f"a wrong number of arguments should be a TypeError (as in Python), got {lines[0]!r}")
        elif m.group(2) is None and m.group(1) not in BARE_EXCEPTIONS:
            problems.append("the error has no message")
    if not problems:
        return None
    first = (result.err_lines or [""])[0][:160]
    return f"[{kind}] {line!r}: {'; '.join(problems)}\n      stderr: {first!r}"


def usage_words(usage):
    """[(word, required)] for a usage line's arguments; '[A B]' groups are optional."""
    words, depth = [], 0
    for token in usage.split()[1:]:
        opening = token.startswith("[")
        depth += token.count("[")
        words.append((token.strip("[]"), depth == 0))
        depth -= token.count("]")
        if opening and depth < 0:
            depth = 0
    return words


def derived_bad_lines(command, usage):
    """Too few, too many and wrongly typed lines for a command the table does not know, from its usage."""
    scratch = script("derived-scratch.txt", "x\n")
    plausible = {"name": "a", "host": "127.0.0.1", "number": "1", "data": "b'x'", "constant": "0", "path": scratch,
                 "list": "[a]", "command": "recv", "printable": "x", "ref": "$a.fd", "tuple": "('127.0.0.1', 1)"}
    wrong = {"name": "5", "host": "[1]", "number": "'x'", "data": "[1]", "constant": "[1]", "path": "[1]", "list": "5",
             "command": "[1]", "printable": "[1]"}

    def kind(word):
        if word.islower():
            return None  # a literal keyword such as `python` in `export python FILE`
        return USAGE_KINDS.get(word, USAGE_KINDS.get(word.split("|")[0], "printable"))

    def value(word, table):
        k = kind(word)
        return word if k is None else table[k]
    words = usage_words(usage)
    required = [w for w, r in words if r]
    few = [" ".join([command] + [value(w, plausible) for w in required[:-1]])] if required else []
    many = [] if "..." in usage else [" ".join([command] + [value(w, plausible) for w, _ in words] + ["1", "1"])]
    bad = []
    for index, word in enumerate(required):
        args = [value(w, plausible) for w in required]
        args[index] = "5" if kind(word) is None else wrong[kind(word)]
        bad.append(" ".join([command] + args))
    return few, many, bad


@test
def test_4_bad_arguments_for_every_command():
    usages = command_usages()
    cases = [("other", line) for line in BAD_INPUT_OTHER]
    derived = sorted(set(usages) - set(BAD_INPUT))
    if derived:
        print(f"    note: no hand-written cases for {', '.join(derived)}: their cases come from their usage lines")
    for command in sorted(usages):
        few, many, wrong = BAD_INPUT[command] if command in BAD_INPUT else derived_bad_lines(command, usages[command])
        required = len([w for w, r in usage_words(usages[command]) if r])
        check(bool(few) or required == 0, f"{command}: usage {usages[command]!r} needs arguments but has no too-few case")
        cases += [("few", l) for l in few] + [("many", l) for l in many] + [("wrong", l) for l in wrong]
    stale = sorted(set(BAD_INPUT) - set(usages))
    check(not stale, f"the table names commands that `help` does not list: {stale}")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        failures = [f for f in pool.map(lambda c: bad_input_case(*c), cases) if f]
    check(not failures, f"{len(failures)} of {len(cases)} bad lines did not give exactly one error line "
          f"(after `{BAD_INPUT_SETUP}` on stdin):\n  " + "\n  ".join(failures))


# --- random input (shared with scripts/fuzz) ------------------------------------------

FUZZ_BLOCKING = {"sleep", "quit", "exit", "source", "settimeout", "setdefaulttimeout", "setblocking", "select", "!"}
FUZZ_ADDRESSING = {"bind", "connect", "connect_ex", "create_connection", "create_server", "serve", "sendto", "getaddrinfo",
                   "getnameinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getfqdn"}
FUZZ_PREAMBLE = ("setdefaulttimeout 0.001; socket s; socketpair a b; socket u udp; bind u 127.0.0.1 0; "
                 "socket srv; bind srv 127.0.0.1 0; listen srv; socket c; connect c 127.0.0.1 $srv.port; accept srv x")
FUZZ_TOKENS = {
    "name": ["s", "a", "b", "u", "srv", "c", "x", "srv_1", "nosuch", "_", "A9", "9x", "a.b", "\u00e9", "n", "m"],
    "number": ["0", "1", "-1", "2", "5", "80", "4096", "65535", "65536", "-65536", "0x10", "0o17", "0b101", "1_000",
               "1__0", "0x", "1.5", ".5", "-0.0", "1e3", "1e999", "-1e999", "nan", "inf", "2147483648", "4294967296",
               "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999999",
               "4611686018427387904", "0.001", "1e-9", "+7", "00", "08", "True", "False", "None"],
    "constant": ["AF_INET", "AF_INET6", "AF_UNIX", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOL_SOCKET", "SO_REUSEADDR",
                 "SO_LINGER", "SO_RCVBUF", "SO_TYPE", "IPPROTO_TCP", "TCP_NODELAY", "MSG_PEEK", "MSG_DONTWAIT",
                 "MSG_PEEK|MSG_DONTWAIT", "SHUT_WR", "socket.AF_INET", "inet", "inet6", "unix", "stream", "dgram", "tcp",
                 "udp", "tcp6", "udp6", "rd", "wr", "rdwr", "display", "maxline", "hex", "text", "repr", "BOGUS"],
    "host": ["127.0.0.1", "localhost", "::1", "*", "''", "'<broadcast>'", "0.0.0.0", "127.1", "10.1.2.3", "nosuch.invalid",
             "999.1.1.1", "'::1%lo'", "fe80::1"],
    "path": ["f1", "f2", "d/x", "'f 3'", "/nonexistent/x", "/dev/null", "/etc/hosts", "."],
    "ref": ["$s.port", "$srv.port", "$x.host", "$a.fd", "$u.port", "$nosuch.port", "$s.bogus", "$", "$$", "$s."],
    "punct": ["(", ")", "[", "]", ",", ";", "#", ">", ">>", "@", "'", '"', "b'", "\\", "$", "|", ";;", " ; ", "#c"],
}


def fuzz_commands(usages, isolated):
    blocked = FUZZ_BLOCKING | (set() if isolated else FUZZ_ADDRESSING)
    return {name: usage for name, usage in usages.items() if name not in blocked}


def fuzz_quoted(rng):
    quote = rng.choice(["'", '"'])
    body = []
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.15:
            body.append(rng.choice(["\\n", "\\x00", "\\x1b", "\\xff", "\\u00e9", "\\U0001F600", "\\777", "\\q", "\\",
                                    "\\x", "\\x4", "\\u12", "\\U0011ffff", "\\N{BEL}", "\\'", '\\"']))
        elif roll < 0.25:
            body.append(rng.choice(["'", '"', ";", "#", ">", "$s.port", "@f1"]))
        else:
            body.append(fuzz_printable(rng, 1, 4))
    prefix = rng.choice(["", "", "b", "B", "r", "u"])
    end = quote if rng.random() < 0.93 else ""
    return prefix + quote + "".join(body) + end


def fuzz_printable(rng, low, high):
    alphabet = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "/")
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def fuzz_raw(rng):
    # Any byte but newline (the line separator) and '/' (keeps paths in the scratch directory).
    # Bytes that are not UTF-8 travel as surrogate escapes and reach sockshell as they are.
    return bytes(rng.choice(RAW_BYTES) for _ in range(rng.randint(1, 6))).decode("utf-8", "surrogateescape")


RAW_BYTES = [b for b in range(256) if b not in (0x0A, 0x2F)]


def fuzz_token(rng, kind, commands):
    if kind == "data":
        return rng.choice([fuzz_quoted(rng), "b'" + "\\x1b" * rng.randint(0, 3) + "ab\\n'", "@" + rng.choice(FUZZ_TOKENS["path"]),
                           rng.choice(FUZZ_TOKENS["name"])])
    if kind == "list":
        items = [rng.choice(FUZZ_TOKENS["name"] + FUZZ_TOKENS["number"]) for _ in range(rng.randint(0, 3))]
        return rng.choice(["[", "("]) + ", ".join(items) + rng.choice(["]", ")", ",)", ""])
    if kind == "tuple":
        return "(" + rng.choice(FUZZ_TOKENS["host"]) + ", " + rng.choice(FUZZ_TOKENS["number"] + FUZZ_TOKENS["ref"]) + \
            rng.choice([")", ", 0, 0)", ""])
    if kind == "command":
        return rng.choice(sorted(commands))
    if kind == "raw":
        return fuzz_raw(rng)
    if kind == "printable":
        return fuzz_printable(rng, 1, 8)
    return rng.choice(FUZZ_TOKENS[kind])


USAGE_KINDS = {
    "NAME": "name", "A": "name", "B": "name", "NEWNAME": "name", "HOST": "host", "ADDR": "host", "PORT": "number",
    "DATA": "data", "DELIM": "data", "PACKED": "data", "FAMILY": "constant", "TYPE": "constant", "PROTO": "constant",
    "FLAGS": "constant", "LEVEL": "constant", "OPTION": "constant", "HOW": "constant", "VALUE": "number",
    "SECONDS|None": "number", "TIMEOUT": "number", "BACKLOG": "number", "BUFSIZE": "number", "BUFLEN": "number",
    "X": "number", "CODE": "number", "N": "number", "PATH": "path", "FILE": "path", "COMMAND": "command",
    "SERVICE": "constant", "BOOL": "number", "TEXT...": "printable", "READ": "list", "WRITE": "list", "SECONDS": "number",
}
ANY_KINDS = ["name", "number", "constant", "host", "path", "ref", "punct", "data", "list", "tuple", "raw", "printable", "command"]


def fuzz_line(rng, commands, isolated):
    """One random input line (no newline in it)."""
    roll = rng.random()
    words = []
    if roll < 0.55:                       # a command with plausible, sometimes wrong, arguments
        name = rng.choice(sorted(commands))
        words.append(name)
        for word in commands[name].split()[1:]:
            optional = word.startswith("[")
            if optional and rng.random() < 0.4:
                continue
            kind = USAGE_KINDS.get(word.strip("[]"), "printable")
            if not isolated and kind == "host":
                kind = "name"
            words.append(fuzz_token(rng, kind if rng.random() < 0.85 else rng.choice(ANY_KINDS), commands))
        if rng.random() < 0.1:
            words.append(fuzz_token(rng, rng.choice(ANY_KINDS), commands))
        if rng.random() < 0.1:
            words.append(rng.choice([">", ">>"]) + rng.choice(["", " "]) + rng.choice(["f1", "f2", "d/x", "/dev/null", "''"]))
    else:                                 # junk built from every kind of token
        for _ in range(rng.randint(1, 10)):
            kind = rng.choice(ANY_KINDS + ["command", "command"])
            if not isolated and kind == "host":
                kind = "name"
            words.append(fuzz_token(rng, kind, commands))
    separators = [" ", " ", " ", "", "\t", ";", " ; ", "  "]
    line = words[0] + "".join(rng.choice(separators) + w for w in words[1:])
    if rng.random() < 0.2:                # byte-level mutation
        chars = list(line)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            position = rng.randint(0, len(chars))
            if op < 0.4 and chars:
                del chars[min(position, len(chars) - 1)]
            elif op < 0.8:
                chars.insert(position, rng.choice([fuzz_raw(rng), fuzz_printable(rng, 1, 2), "'", '"', "(", "[", "\\", ";", "#"]))
            elif chars:
                chars[min(position, len(chars) - 1)] = fuzz_printable(rng, 1, 1)
        line = "".join(chars)
    if rng.random() < 0.05:               # select only in a form that cannot block
        line += f"; select [{rng.choice(['a', 's', 'u', 'x, c', ''])}] [{rng.choice(['a', 'u', ''])}] {rng.choice(['0', '0.001'])}"
    if not isolated:
        # Without a private network namespace no address may come from a random word.
        line = re.sub(r"\b(" + "|".join(sorted(FUZZ_ADDRESSING, key=len, reverse=True)) + r")\b", "echo", line)
    # A command that begins with ! (at the line's start, or after ; or &) is
    # one for /bin/sh: random ones must not run.
    line = line.replace("\n", " ")
    line = re.sub(r"(^|[;&])([ \t]*)!", r"\1\2?", line)
    return line


class FuzzEnvironment:
    """Where random lines run: a private network namespace with only loopback, as nobody, in a scratch dir."""

    def __init__(self, directory, namespace_tag="fuzz"):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        os.makedirs(os.path.join(directory, "d"), exist_ok=True)
        os.chmod(directory, 0o777)
        os.chmod(os.path.join(directory, "d"), 0o777)
        self.prefix = []
        self.isolated = False
        self.note = ""
        self.namespace = None
        if os.geteuid() == 0 and shutil.which("ip"):
            try:
                self.namespace = make_namespace(namespace_tag)
                in_namespace(self.namespace, "ip", "link", "set", "lo", "up")
                self.prefix = ["ip", "netns", "exec", self.namespace]
                self.isolated = True
            except Skip as reason:
                self.note = str(reason)
        if os.geteuid() == 0 and shutil.which("setpriv"):
            self.prefix += ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if not self.isolated:
            self.note = (self.note or "not root") + ": no private network namespace, so the random lines use no " \
                "command that takes an address and no host names"

    def env(self):
        env = base_env(SWIFT_BACKTRACE="enable=no", HOME=self.directory, XDG_STATE_HOME=self.directory)
        return env


ERROR_LINE = re.compile(r"^<stdin>:(\d+): ([A-Za-z_][\w.]*)(?:: (.*))?$")


class Collector:
    """Reads a pipe into memory in a thread, noting when bytes last arrived."""

    def __init__(self, stream):
        self.chunks = []
        self.last = time.monotonic()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        while True:
            piece = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not piece:
                break
            self.chunks.append(piece)
            self.last = time.monotonic()

    def data(self):
        self.thread.join(10)
        return b"".join(self.chunks)


def fuzz_run_lines(lines, fuzz_env, binary, quiet=1.0, limit=120.0):
    """Runs lines (each behind a marker) in one sockshell --echo.

    A line that blocks (a random line can make a socket blocking, then wait on it)
    gets SIGINT after `quiet` seconds without output, as a user would press Ctrl-C.
    Returns a dict: processed (lines fully checked), violations [(index|None, text)],
    crash (index, signature) or None, blocked index or None, hang text or None.
    """
    # Each random line i follows the marker line `mark_i`, an unknown command: its NameError
    # goes to stderr at once and makes sockshell write all its pending stdout first, so
    # the markers place every line's output even when sockshell buffers stdout and dies.
    body = [FUZZ_PREAMBLE]
    for index, line in enumerate(lines):
        body.append(f"mark_{index}")
        body.append(line)
    body.append(f"mark_{len(lines)}")
    data = ("\n".join(body) + "\n").encode("utf-8", "surrogateescape")
    proc = subprocess.Popen([*fuzz_env.prefix, *limited([binary, "--echo"])], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=fuzz_env.directory, env=fuzz_env.env())

    def feed():
        try:
            proc.stdin.write(data)
            proc.stdin.close()
        except OSError:
            pass
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out_reader, err_reader = Collector(proc.stdout), Collector(proc.stderr)
    started = time.monotonic()
    interrupted = False
    hang = None
    while proc.poll() is None:
        time.sleep(0.05)
        now = time.monotonic()
        idle = now - max(out_reader.last, err_reader.last)
        if not interrupted and (idle > quiet or now - started > limit):
            interrupted = True
            interrupted_at = now
            proc.send_signal(signal.SIGINT)
        elif interrupted and now - interrupted_at > 1.5:
            hang = "still running 1.5 s after SIGINT (a busy loop Ctrl-C cannot stop?)"
            proc.kill()
            proc.wait()
    rc = proc.returncode
    out = out_reader.data().decode("utf-8", "surrogateescape")
    err = err_reader.data().decode("utf-8", "surrogateescape")
    out_lines = out.split("\n")
    err_lines = err.split("\n")
    if err_lines and err_lines[-1] == "":
        err_lines.pop()
    # Commands echoed per random line: the 'sock> ' lines between `sock> mark_i` and `sock> mark_{i+1}`.
    echoes = {}
    current = None
    for line in out_lines:
        m = re.fullmatch(r"sock> mark_(\d+)", line)
        if m:
            current = int(m.group(1))
            echoes.setdefault(current, 0)
        elif current is not None and line.startswith("sock> "):
            echoes[current] += 1
    # A sanitized binary reports and exits 1 instead of dying by a signal.
    sanitizer_report = any(re.match(r"==\d+==(ERROR|WARNING): \w*Sanitizer", l) for l in err_lines)
    crashed = hang is None and (rc < 0 or rc not in (0, 1, 130) or sanitizer_report)
    blocked = interrupted and hang is None and rc == 130 and not sanitizer_report
    violations = []
    if interrupted and hang is None and rc != 130 and not crashed:
        violations.append((None, f"SIGINT while blocked: exit status {exit_text(rc)}, expected 130"))
    errors_by_line = {}
    markers = []
    for line in err_lines:
        m = ERROR_LINE.match(line)
        if not m:
            if not crashed and hang is None:
                violations.append((None, f"stderr line that is not one error line: {line[:200]!r}"))
            continue
        number, kind = int(m.group(1)), m.group(2)
        if kind not in EXCEPTION_NAMES:
            violations.append((None, f"error type {kind!r} is not a Python exception: {line[:200]!r}"))
        if kind not in BARE_EXCEPTIONS and m.group(3) in (None, ""):
            violations.append((None, f"error without a message: {line[:200]!r}"))
        if number == 1:
            violations.append((None, f"the preamble failed: {line[:200]!r}"))
        elif number % 2 == 0:
            marker = (number - 2) // 2
            if not re.match(rf"NameError: name 'mark_{marker}' is not defined", f"{kind}: {m.group(3)}"):
                violations.append((None, f"marker line `mark_{marker}` gave {line[:200]!r}"))
            markers.append(marker)
        else:
            errors_by_line.setdefault((number - 3) // 2, []).append(kind)
    last_mark = markers[-1] if markers else -1
    if markers != list(range(len(markers))):
        violations.append((None, f"marker lines went missing or repeated: {markers[:5]}...{markers[-5:]}"))
    processed = len(lines) if not (crashed or interrupted or hang) else max(last_mark, 0)
    if processed == len(lines) and last_mark != len(lines):
        violations.append((None, f"only {last_mark} of {len(lines)} lines ran, yet sockshell exited {exit_text(rc)}"))
    for index in range(min(processed, len(lines))):
        errors = errors_by_line.get(index, [])
        commands = echoes.get(index, 0)
        if len(errors) > commands:
            violations.append((index, f"{len(errors)} error lines ({', '.join(errors)}) for {commands} commands"))
        elif "SyntaxError" in errors and (len(errors) != 1 or commands != 1):
            violations.append((index, f"a SyntaxError line ran {commands} commands and gave {len(errors)} errors"))
    crash = None
    if crashed:
        tail = [l for l in err_lines if not ERROR_LINE.match(l) and l.strip()]
        tail = [l for l in tail if "Sanitizer" in l][:1] or tail[:2]
        crash = (last_mark, exit_text(rc) + (": " + " | ".join(tail)[:160] if tail else ""))
    return {"processed": processed, "violations": violations, "crash": crash,
            "blocked": last_mark if blocked else None, "hang": hang, "last": last_mark}


def fuzz_batch(lines, fuzz_env, binary, max_restarts=100, stop=None):
    """Runs lines, starting a new sockshell after a crash, a hang or a blocked line; returns a summary dict.
    `stop` (a threading.Event, or None) ends the batch early once set; a crash or hang sets it
    when `stop.budget` (a list with one count) runs out."""
    summary = {"lines": 0, "violations": [], "crashes": [], "blocked": [], "hangs": []}
    start = 0
    restarts = 0
    while start < len(lines) and restarts <= max_restarts and not (stop and stop.is_set()):
        chunk = lines[start:]
        outcome = fuzz_run_lines(chunk, fuzz_env, binary)
        for index, message in outcome["violations"]:
            summary["violations"].append((chunk[index] if index is not None else None, message))
        at = outcome["last"]
        line = chunk[at] if 0 <= at < len(chunk) else None
        if outcome["crash"] or outcome["hang"]:
            if outcome["crash"]:
                summary["crashes"].append((line, outcome["crash"][1]))
            else:
                summary["hangs"].append((line, outcome["hang"]))
            if stop is not None:
                with NAMESPACE_LOCK:
                    stop.budget[0] -= 1
                    if stop.budget[0] <= 0:
                        stop.set()
        elif outcome["blocked"] is not None:
            summary["blocked"].append(line)
        else:
            summary["lines"] += outcome["processed"]
            break
        summary["lines"] += max(at, 0) + 1
        start += max(at, 0) + 1
        restarts += 1
    return summary


def fuzz_generate(seed, count, commands, isolated):
    rng = random.Random(seed)
    return [fuzz_line(rng, commands, isolated) for _ in range(count)]


@test
def test_4_random_lines_never_crash_one_error_per_failing_command():
    usages = command_usages()
    fuzz_env = FuzzEnvironment(os.path.join(WORK, "fuzz"))
    commands = fuzz_commands(usages, fuzz_env.isolated)
    batches = [fuzz_generate(seed, 2000, commands, fuzz_env.isolated) for seed in range(1, 11)]
    stop = threading.Event()
    stop.budget = [12]   # crashes and hangs before the test stops looking for more
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(lambda b: fuzz_batch(b, fuzz_env, BINARY, stop=stop), batches))
    total = sum(s["lines"] for s in summaries)
    crashes, violations, blocked, hangs = [], [], [], []
    for s in summaries:
        crashes += s["crashes"]
        violations += s["violations"]
        blocked += s["blocked"]
        hangs += s["hangs"]
    if fuzz_env.note:
        print(f"    note: {fuzz_env.note}")
    if blocked:
        print(f"    note: {len(blocked)} random lines blocked and were ended by SIGINT, e.g. {blocked[0]!r}")
    unique = {}
    for line, signature in crashes:
        unique.setdefault(signature, []).append(line)
    problems = []
    for signature, lines in unique.items():
        problems.append(f"{len(lines)} x {signature}\n      e.g. the line {lines[0]!r} (after `{FUZZ_PREAMBLE}`)")
    for line, message in violations[:10]:
        problems.append(f"{message}: {line!r}")
    problems += [f"{message}: the line {line!r}" for line, message in hangs]
    if stop.is_set():
        problems.append(f"(stopped after {total} of 20,000 lines: enough crashes and hangs to report)")
    check(not problems, f"{total} random lines: {len(crashes)} crashes ({len(unique)} kinds), {len(violations)} "
          f"error-count violations, {len(hangs)} hangs:\n  " + "\n  ".join(problems))
    check(total >= 19_000, f"only {total} of 20,000 random lines ran")


# ==================================================================================
# 5. Hostile peers
# ==================================================================================

HOSTILE = (b"\x1b[2J\x1b[H" + b"\x1b]52;c;aGVsbG8=\x07" + b"\x07BEL" + b"\x1bP+q\x1b\\" + b"\x9b31m" + b"\xc2\x9b1m"
           + "\u202eevil\u2066".encode() + b"\r\x08\x7f\x00" + "caf\u00e9".encode() + b"\xff\xfe")


def terminal_unsafe(data):
    """What in stdout a terminal would act on: C0/C1 controls (but \\n, \\t), DEL, bidi overrides, bad UTF-8."""
    found = [f"0x{b:02x}" for b in sorted(set(data)) if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return found + [f"invalid UTF-8 at byte {exc.start}"]
    found += [f"U+{ord(ch):04X}" for ch in sorted(set(text)) if 0x80 <= ord(ch) <= 0x9F
              or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069]
    return found


def hexdump_c(data):
    if shutil.which("hexdump"):
        proc = subprocess.run(["hexdump", "-C"], input=data, capture_output=True, timeout=10)
        return proc.stdout.decode().rstrip("\n").split("\n")
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset:offset + 16]
        hexes = " ".join(f"{b:02x}" for b in row[:8]) + "  " + " ".join(f"{b:02x}" for b in row[8:])
        lines.append(f"{offset:08x}  {hexes:<49} |{''.join(chr(b) if 0x20 <= b < 0x7F else '.' for b in row)}|")
    return lines + [f"{len(data):08x}"]


@test
def test_5_escape_sequences_are_escaped_in_every_display_mode():
    payload = HOSTILE + b"\n"

    def handler(conn):
        reader = conn.makefile("rb")
        while True:
            request = reader.readline()
            if not request or request == b"done\n":
                break
            conn.sendall(payload)
        conn.sendall(payload)  # for recvall
    failures = []
    for mode in ("repr", "hex", "text"):
        peer = Peer(handler)
        result = run(["-c", f"set display {mode}; create_connection c 127.0.0.1 {peer.port}; "
                      f"sendline c one; recvline c; sendline c two; recvuntil c b'\\n'; sendline c three; recv c 65536; "
                      f"sendline c done; recvall c; "
                      f"socket u udp; bind u 127.0.0.1 0; socket v udp; sendto v {bytes_literal(payload)} 127.0.0.1 $u.port; "
                      f"recvfrom u; sendto v {bytes_literal(payload)} 127.0.0.1 $u.port; recv u"])
        peer.finish()
        unsafe = terminal_unsafe(result.out_bytes)
        if unsafe or result.rc != 0 or result.err:
            failures.append(f"display {mode}: terminal-unsafe bytes on stdout {unsafe}\n{result.describe(600)}")
            continue
        if mode == "repr":
            want = [repr(payload)] * 4
            got = [result.out_lines[i] for i in (0, 1, 2, 3)]
            if got != want:
                failures.append(f"display repr: expected {want[0]!r} for each read, got {got!r}")
        elif mode == "hex":
            dump = hexdump_c(payload)
            if result.out_lines[:len(dump)] != dump:
                failures.append(f"display hex: expected `hexdump -C` lines {dump!r}, got {result.out_lines[:len(dump)]!r}")
        else:
            if "\\x1b" not in result.out:
                failures.append(f"display text: ESC not shown as \\x1b: {result.out[:300]!r}")
    check(not failures, "\n".join(failures))


@test
def test_5_peer_chosen_unix_address_is_escaped():
    # A local peer picks the path its socket is bound to; accept and sockets show it.
    directory = tempfile.mkdtemp(dir=WORK)
    listener = os.path.join(directory, "srv")
    evil = os.path.join(directory, "\x1b[2J\x1b]52;c;aGVsbG8=\x07")
    proc = subprocess.Popen(limited([BINARY]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=WORK, env=base_env())
    try:
        proc.stdin.write(f"socket srv unix; bind srv '{listener}'; listen srv; echo ready\n".encode())
        proc.stdin.flush()
        reader = LineReader(proc.stdout)
        check(reader.wait_for("ready", 10), "sockshell did not start listening")
        client = socket.socket(socket.AF_UNIX)
        client.bind(evil)
        client.connect(listener)
        proc.stdin.write(b"accept srv x\ngetpeername x\nsockets\n")
        proc.stdin.close()
        proc.wait(10)
        client.close()
        out = reader.text().encode("utf-8", "surrogateescape")
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    unsafe = terminal_unsafe(out)
    check(not unsafe, f"a peer's AF_UNIX path reached the terminal raw ({unsafe}) in `accept` or `sockets`:\n"
          f"    stdout: {out.decode('utf-8', 'backslashreplace')!r}\n    stderr: {err!r}")


def peak_rss_kib(pid):
    """VmHWM of a running process: the peak RSS of its own image (wait4's ru_maxrss would
    also count the forking python3's memory, which the kernel keeps across exec)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


@test
def test_5_sixteen_mib_without_newline_is_bounded_and_kept():
    size = 16 << 20
    rng = random.Random(16)
    data = rng.randbytes(size).replace(b"\n", b"N")
    out_path = os.path.join(WORK, "long-line.out")

    def handler(conn):
        conn.sendall(data)
    peer = Peer(handler)
    commands = (f"create_connection c 127.0.0.1 {peer.port}; recvline c; recv c 10; recvuntil c b'\\n'; recvline c; "
                f"recvall c > {out_path}; recv c; echo MEASURE; sleep 30")
    proc = subprocess.Popen(limited([BINARY, "-c", commands]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=WORK, env=base_env())
    out_reader, err_reader = LineReader(proc.stdout), LineReader(proc.stderr)
    peak = None
    try:
        if out_reader.wait_for("MEASURE", 30):
            peak = peak_rss_kib(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    peer.finish()
    out, err = out_reader.text().split("\n")[:-1], err_reader.text().split("\n")[:-1]
    got = open(out_path, "rb").read() if os.path.exists(out_path) else b""
    os.path.exists(out_path) and os.unlink(out_path)
    shown = f"\n    stdout {[l[:100] for l in out]!r}\n    stderr {[l[:200] for l in err]!r}"
    bound = re.compile(rf"<command>:\d+: {MAXLINE_ERROR}")
    check(len(err) == 4 and all((m := bound.match(l)) and m.group(1) == str(1 << 20) for l in err[:3]),
          "recvline, recvuntil and recvline should each fail once at the 1 MiB bound" + shown)
    check(out[:2] == [repr(data[:10]), repr(b"")],
          "recv c 10 after the error should give the first 10 bytes, and recv b'' at the end" + shown)
    check(got == data[10:], f"recvall > FILE got {len(got)} bytes, expected every one of the {size - 10} left "
          f"(equal: {got == data[10:]})")
    if SANITIZED:
        print("    note: peak RSS not checked for a sanitized binary")
    else:
        check(peak is not None and peak < 64 * 1024, f"peak RSS (VmHWM) {peak} KiB reading a 16 MiB line (bound 64 MiB)")


@test
def test_5_maxline_boundaries_and_extremes():
    # set maxline N: a line of N bytes (newline included) is read; one of N+2 is refused and kept.
    script_text = ("socketpair a b\nset maxline 8\nsendall b 'abcdefg\\n'\nrecvline a\n"
                   "sendall b 'abcdefghi\\nrest'\nrecvline a\nshutdown b wr\nrecvall a\n"
                   "socketpair c d\nset maxline 9223372036854775807\nsendall d 'tail\\n'\nrecvline c\n"
                   "sendall d 'x'\nshutdown d wr\nrecvline c\n")
    path = script("maxline.sock", script_text)
    result = run([path])
    bound = re.compile(rf"{re.escape(path)}:6: {MAXLINE_ERROR}")
    expect(result, rc=1,
           out=[repr(b"abcdefg\n"), repr(b"abcdefghi\nrest"), repr(b"tail\n"), repr(b"x")],
           err=lambda lines: None if len(lines) == 1 and (m := bound.match(lines[0])) and m.group(1) == "8"
           else f"expected one maxline error (8 bytes) for line 6, got {lines!r}")


# ==================================================================================
# 6. Signals
# ==================================================================================

BIG_FILE = None


def big_file():
    global BIG_FILE
    if BIG_FILE is None:
        BIG_FILE = os.path.join(WORK, "sixty-four-mib.bin")
        with open(BIG_FILE, "wb") as f:
            f.truncate(64 << 20)
    return BIG_FILE


def process_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def interrupt_case(setup, blocking, extra_out=(), argv=None, stdin_text=None):
    """Runs setup, `echo READY`, the blocking line and `echo AFTER` on stdin (or
    argv with stdin_text, stdin kept open); sends SIGINT once sockshell has printed
    READY and sleeps in the kernel.  Returns None, or what went wrong."""
    if argv is None:
        argv = [BINARY]
        stdin_text = f"{setup}\necho READY\n{blocking}\necho AFTER\n"
    proc = subprocess.Popen(limited(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=WORK, env=base_env())
    reader = LineReader(proc.stdout)
    err_reader = LineReader(proc.stderr)
    problems = []
    try:
        if stdin_text:
            proc.stdin.write(stdin_text.encode())
            proc.stdin.flush()
        if not reader.wait_for("READY", 10):
            problems.append("never printed READY")
        else:
            # Blocked: sleeping in the kernel for 0.3 s in a row.
            stable_since = None
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                state = process_state(proc.pid)
                if state == "S":
                    stable_since = stable_since or time.monotonic()
                    if time.monotonic() - stable_since > 0.3:
                        break
                else:
                    stable_since = None
                time.sleep(0.02)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                problems.append("still running 5 s after SIGINT")
                proc.kill()
                proc.wait()
            took = time.monotonic() - sent
            if took > 2:
                problems.append(f"took {took:.1f} s to end after SIGINT")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        try:
            proc.stdin.close()
        except OSError:
            pass
    out = reader.text().split("\n")[:-1]
    err = err_reader.text().split("\n")[:-1]
    if proc.returncode != 130:
        problems.append(f"exit status {exit_text(proc.returncode)}, expected 130")
    if not err or not re.fullmatch(r"(<stdin>:\d+: |<command>:\d+: |.*:\d+: )?KeyboardInterrupt", err[-1]):
        problems.append(f"stderr should end with KeyboardInterrupt: {err!r}")
    if "AFTER" in out:
        problems.append("the line after the blocking command ran (it did not block, or SIGINT did not stop the input)")
    rest = [l for l in out if l != "READY"]
    if list(extra_out) != rest:
        problems.append(f"stdout after READY: expected {list(extra_out)!r}, got {rest!r}")
    if not problems:
        return None
    return f"`{blocking or ' '.join(argv[1:]) or 'waiting for stdin'}`: " + "; ".join(problems) + \
        f"\n      stdout {out[-3:]!r} stderr {err[-3:]!r}"


def signal_cases(backlog_port):
    big = big_file()
    return [
        ("socket srv; bind srv 127.0.0.1 0; listen srv", "accept srv", ()),
        ("socket c", f"connect c 127.0.0.1 {backlog_port}", ()),
        ("socket c; settimeout c 60", f"connect c 127.0.0.1 {backlog_port}", ()),
        ("", f"create_connection d 127.0.0.1 {backlog_port}", ()),
        ("socketpair a b", "recv a", ()),
        ("socket u udp; bind u 127.0.0.1 0", "recvfrom u", ()),
        ("socketpair a b; sendall b 'partial'", "recvline a", ()),
        ("socketpair a b; sendall b 'partial'", "recvuntil a b'END'", ()),
        ("socketpair a b; sendall b 'xyz'", "recvall a", (repr(b"xyz"),)),
        ("socketpair a b", f"sendall a @{big}", ()),
        ("socketpair a b", f"sendfile a {big}", ()),
        ("socketpair a b", "select [a]", ()),
        ("socketpair a b", "select [a] [] 60", ()),
        ("", "sleep 100", ()),
        ("", f"source {script('sleeper.sock', 'sleep 100' + chr(10))}", ()),
    ]


@test
def test_6_sigint_during_every_blocking_command_exits_130():
    server, port, fillers, _ = full_backlog_listener()
    try:
        cases = signal_cases(port)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            failures = [f for f in pool.map(lambda c: interrupt_case(*c), cases) if f]
    finally:
        close_all(server, fillers)
    check(not failures, f"{len(failures)} of {len(cases)} blocking commands:\n  " + "\n  ".join(failures))


@test
def test_6_sigint_in_script_and_c_modes_exits_130():
    path = script("blocking.sock", "echo READY\nsleep 100\necho AFTER\n")
    failures = [f for f in (interrupt_case("", "", argv=[BINARY, path]),
                            interrupt_case("", "", argv=[BINARY, "-c", "echo READY; sleep 100; echo AFTER"])) if f]
    check(not failures, "\n  ".join(failures))


@test
def test_6_sigint_while_waiting_for_stdin_exits_130():
    # Nothing is running: sockshell waits for the next line on stdin (python3 < pipe prints KeyboardInterrupt).
    failure = interrupt_case("", "", argv=[BINARY], stdin_text="echo READY\n")
    check(failure is None, failure)


@test
def test_6_sigpipe_never_ends_the_process():
    a, b = socket.socketpair()
    b.close()
    expected = py_steps(lambda: a.send(b"x"), lambda: a.send(b"x"), lambda: a.sendall(b"y"))
    a.close()
    data_file = script("sigpipe.txt", "data\n")
    lines = ["socketpair a b", "close b", "send a 'x'", "send a 'x'", "sendall a 'y'", "sendline a 'z'",
             f"sendfile a {data_file}", f"sendall a @{data_file}", "echo alive"]
    path = script("sigpipe.sock", "\n".join(lines) + "\n")
    result = run([path])
    broken = expected[1][1]
    expect(result, rc=1, out=["alive"], err=[f"{path}:{3 + i}: {text}" for i, (_, text) in enumerate(expected)]
           + [f"{path}:6: {broken}", f"{path}:7: {broken}", f"{path}:8: {broken}"])
    # TCP: the first send to a closed peer succeeds, the next ones fail (python3 says how).
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    conn.close()
    time.sleep(0.05)
    steps = [lambda: client.send(b"x"), lambda: time.sleep(0.1), lambda: client.send(b"x"), lambda: client.send(b"x")]
    expected_tcp = py_steps(*steps)
    close_all(client, server)
    path = script("sigpipe-tcp.sock", "socket srv; bind srv 127.0.0.1 0; listen srv\nsocket c; connect c 127.0.0.1 $srv.port\n"
                  "accept srv x > /dev/null\nclose x\nsleep 0.05\nsend c 'x'\nsleep 0.1\nsend c 'x'\nsend c 'x'\necho alive\n")
    out, err = split_outcomes(expected_tcp, lambda i: f"{path}:{6 + i}")
    expect(run([path]), rc=1, out=out + ["alive"], err=err)


@test
def test_6_closed_stdout_is_not_fatal():
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([BINARY, "-c", "help; help; echo one; socket s; close s"], stdout=write_end,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=10, cwd=WORK, env=base_env())
    finally:
        os.close(write_end)
    check(proc.returncode >= 0, f"writing to a closed stdout killed sockshell: {exit_text(proc.returncode)}; "
          f"stderr {proc.stderr[:300]!r}")


# ==================================================================================

def is_sanitized(path):
    with open(path, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


def load_topic_files():
    """Tests kept in Tests/Reliability/topics/*.py, one file a topic, run in
    this module's namespace: each uses @test, run, script, expect, check,
    Peer, fd_count and the rest of the machinery above."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "topics")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            with open(path) as source:
                exec(compile(source.read(), path, "exec"), globals())


def main():
    global WORK, BINARY, SANITIZED
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit("usage: reliability_test.py PATH_TO_SOCKSHELL [-k NAME]")
    source_binary = os.path.abspath(args[0])
    only = args[args.index("-k") + 1] if "-k" in args else None
    if not os.access(source_binary, os.X_OK):
        sys.exit(f"reliability_test.py: {source_binary} is not an executable")
    WORK = tempfile.mkdtemp(prefix="sockshell-reliability-")
    os.chmod(WORK, 0o755)
    # A private copy: another engineer may rebuild the original during the run.
    BINARY = os.path.join(WORK, "sockshell")
    shutil.copy2(source_binary, BINARY)
    SANITIZED = SANITIZED or is_sanitized(BINARY)
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, max(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))

    started = time.monotonic()
    selected = [t for t in TESTS if only is None or only in t.__name__]
    # The heavy tests run one at a time, first; the others a few at a time after them.
    heavy = {"test_3_256_mib_each_way_sha256", "test_2_hundred_thousand_socket_cycles_leak_no_fd",
             "test_4_random_lines_never_crash_one_error_per_failing_command", "test_5_sixteen_mib_without_newline_is_bounded_and_kept"}
    passed = failed = skipped = 0
    lock = threading.Lock()

    def run_one(fn):
        nonlocal passed, failed, skipped
        begin = time.monotonic()
        try:
            fn()
        except Skip as reason:
            with lock:
                skipped += 1
                print(f"SKIP {fn.__name__}: {reason}", flush=True)
            return
        except Failure as failure:
            with lock:
                failed += 1
                print(f"FAIL {fn.__name__} ({time.monotonic() - begin:.1f} s)\n{failure}\n", flush=True)
            return
        except Exception:  # noqa: BLE001 - a broken test is a failed test
            with lock:
                failed += 1
                print(f"FAIL {fn.__name__}: the test itself raised\n{traceback.format_exc()}", flush=True)
            return
        with lock:
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - begin:.1f} s)", flush=True)

    try:
        light = [t for t in selected if t.__name__ not in heavy]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(run_one, t) for t in light]
            for t in selected:
                if t.__name__ in heavy:
                    run_one(t)
            for f in futures:
                f.result()
    finally:
        delete_namespaces()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"({time.monotonic() - started:.1f} s; {skipped} skipped)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    load_topic_files()
    main()
