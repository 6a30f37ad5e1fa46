#!/usr/bin/env python3
"""Loopback tests of `serve`: every KIND against clients sockshell did not
write (Python's socket module, curl for http), every MODEL under 50
concurrent clients with every byte checked, the iterative model's backlog,
descriptors after 10,000 connections and after `stop`, and clients that
reset or never read.

usage: python3 Tests/Serve/serve_test.py PATH_TO_SOCKSHELL [-k NAME]

Only 127.0.0.1.  Each test starts sockshell reading commands from a pipe
(stdin mode, as `sockshell < commands` runs), and ends it.
"""
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import suite  # noqa: E402 - Tests/suite.py, the runner the loopback suites share

BINARY = os.path.abspath(sys.argv[1])
MODELS = ["iterative", "threading", "forking", "select"]
CONCURRENT = 50
TIMEOUT = 30
TESTS = []


def test(function):
    TESTS.append(function)
    return function


class Shell:
    """sockshell in stdin mode: commands written to it, its lines read back."""

    def __init__(self):
        self.proc = subprocess.Popen([BINARY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, pattern, timeout=10):
        """The first line from now on that matches, else AssertionError with what came."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for index, line in enumerate(self.lines):
                    match = re.search(pattern, line)
                    if match:
                        del self.lines[:index + 1]
                        return match
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r}; sockshell printed: {self.lines!r}")
                self.cond.wait(left)

    def serve(self, kind, model, directory=None, name="srv"):
        self.send(f"serve {name} 127.0.0.1 0 {kind}" + (f" {directory}" if directory else "") + f" {model}")
        match = self.expect(r"^serving \S+ on \('127\.0\.0\.1', (\d+)\), (\w+)$")
        assert match.group(2) == model, match.group(0)
        return int(match.group(1))

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def close(self):
        try:
            self.send("quit")
            self.proc.wait(timeout=TIMEOUT)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.returncode == 0, f"sockshell exited {self.proc.returncode}"


def concurrently(count, function):
    """Runs function(i) in `count` threads at once; raises the first failure."""
    errors = []
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=TIMEOUT)
            function(i)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            errors.append(f"client {i}: {error!r}")
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not errors, f"{len(errors)} of {count} clients failed: {errors[:3]}"


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def read_all(sock):
    data = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk


def read_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        assert chunk, f"closed after {len(data)} of {count} bytes"
        data += chunk
    return bytes(data)


def read_until(sock, ending):
    data = bytearray()
    while not data.endswith(ending):
        chunk = sock.recv(1)
        assert chunk, f"closed before {ending!r}; got {bytes(data)!r}"
        data += chunk
    return bytes(data)


def chargen_reference(count):
    """RFC 864's pattern, as the RFC describes it: 72 of the 95 printable
    characters a line, each line starting one later."""
    printable = bytes(range(32, 127))
    out = bytearray()
    line = 0
    while len(out) < count:
        out += bytes(printable[(line + i) % 95] for i in range(72)) + b"\r\n"
        line += 1
    return bytes(out[:count])


@test
def test_echo_every_model_50_clients_sha256():
    for model in MODELS:
        shell = Shell()
        port = shell.serve("echo", model)

        def client(i):
            data = os.urandom(100_000 + i)
            with connect(port) as sock:
                writer = threading.Thread(target=lambda: (sock.sendall(data), sock.shutdown(socket.SHUT_WR)))
                writer.start()
                got = read_all(sock)
                writer.join()
            assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), \
                f"{model}: {len(got)} bytes back of {len(data)}"
        concurrently(CONCURRENT, client)
        shell.close()


@test
def test_chargen_every_model_50_clients_sha256():
    reference = chargen_reference(50_000)
    for model in MODELS:
        shell = Shell()
        port = shell.serve("chargen", model)

        def client(i):
            with connect(port) as sock:
                got = read_exactly(sock, len(reference))
            assert hashlib.sha256(got).hexdigest() == hashlib.sha256(reference).hexdigest(), \
                f"{model}: the stream differs from RFC 864's pattern: {got[:80]!r}"
        concurrently(CONCURRENT, client)
        shell.close()


@test
def test_welcome_hello_daytime_discard_every_model():
    for model in MODELS:
        shell = Shell()
        welcome = shell.serve("welcome", model, name="w")
        hello = shell.serve("hello", model, name="h")
        daytime = shell.serve("daytime", model, name="d")
        discard = shell.serve("discard", model, name="x")

        def client(i):
            with connect(welcome) as sock:
                greeting = read_until(sock, b"Please enter a string:")
                assert greeting == f"welcome, {sock.getsockname()!r}\nPlease enter a string:".encode(), greeting
                text = "é" * i + "x"
                sock.sendall(text.encode() + b"\n")
                assert read_all(sock) == f"You entered {len(text)} characters.\n".encode()
            with connect(hello) as sock:
                assert read_exactly(sock, 8) == b"welcome!"
                for name in ("alice", f"client{i}"):
                    sock.sendall(name.encode())
                    expected = f"hello,{name}!".encode()
                    assert read_exactly(sock, len(expected)) == expected
                sock.sendall(b"exit")
                assert read_all(sock) == b""
            with connect(daytime) as sock:
                line = read_all(sock).decode()
                assert re.fullmatch(r"[A-Z][a-z]+day, [A-Z][a-z]+ \d\d, \d{4} \d\d:\d\d:\d\d-UTC\r\n", line), line
            with connect(discard) as sock:
                sock.sendall(os.urandom(200_000))
                sock.shutdown(socket.SHUT_WR)
                assert read_all(sock) == b""
        concurrently(CONCURRENT // 5, client)
        shell.close()


def make_site():
    site = tempfile.mkdtemp(prefix="sockshell-serve-")
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<h1>hello</h1>\n")
    os.mkdir(os.path.join(site, "docs"))
    with open(os.path.join(site, "docs", "notes.txt"), "w") as f:
        f.write("line one\nline two\n")
    with open(os.path.join(site, "big.bin"), "wb") as f:
        f.write(os.urandom(3_000_000))
    return site


@test
def test_http_with_curl_every_model():
    if shutil.which("curl") is None:
        raise AssertionError("curl is not installed (scripts/test installs it)")
    site = make_site()
    try:
        big = open(os.path.join(site, "big.bin"), "rb").read()
        for model in MODELS:
            shell = Shell()
            port = shell.serve("http", model, directory=site)
            base = f"http://127.0.0.1:{port}"

            def curl(*args):
                return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, timeout=30)
            r = curl("-i", base + "/")
            head, _, body = r.stdout.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.0 200 OK"), (model, r.stdout[:200], r.stderr)
            assert b"Content-Type: text/html" in head and body == b"<h1>hello</h1>\n", (model, r.stdout)
            r = curl("-o", "-", "-w", "%{http_code} %{content_type}", base + "/docs/notes.txt")
            assert r.stdout == b"line one\nline two\n200 text/plain; charset=utf-8", (model, r.stdout)
            r = curl("-o", "/dev/null", "-w", "%{http_code}", base + "/nothing-here")
            assert r.stdout == b"404", (model, r.stdout)
            r = curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", base + "/docs/../../etc/passwd")
            assert r.stdout == b"403", (model, r.stdout)
            r = curl("-o", "-", base + "/docs/")
            assert b'<a href="notes.txt">notes.txt</a>' in r.stdout, (model, r.stdout)
            r = curl("-I", base + "/big.bin")
            assert b"Content-Length: 3000000" in r.stdout, (model, r.stdout)

            def client(i):
                r = curl("-o", "-", base + "/big.bin")
                assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(big).digest(), \
                    f"{model}: {len(r.stdout)} bytes, {r.stderr!r}"
            concurrently(CONCURRENT, client)
            shell.send("sockets")
            shell.expect(r"^srv\s+\d+\s+AF_INET\s+SOCK_STREAM\s+LISTEN\b.*serve http " + model)
            shell.close()
    finally:
        shutil.rmtree(site)


@test
def test_gopher_menu_and_files():
    site = make_site()
    try:
        shell = Shell()
        port = shell.serve("gopher", "select", directory=site)
        with connect(port) as sock:
            sock.sendall(b"\r\n")
            menu = read_all(sock).decode()
        expected = (f"9big.bin\tbig.bin\t127.0.0.1\t{port}\r\n1docs\tdocs\t127.0.0.1\t{port}\r\n"
                    f"0index.html\tindex.html\t127.0.0.1\t{port}\r\n.\r\n")
        assert menu == expected, menu
        with connect(port) as sock:
            sock.sendall(b"docs/notes.txt\r\n")
            assert read_all(sock) == b"line one\nline two\n.\r\n"
        with connect(port) as sock:
            sock.sendall(b"../etc/passwd\r\n")
            assert read_all(sock).startswith(b"3'../etc/passwd' does not exist\t")
        shell.close()
    finally:
        shutil.rmtree(site)


@test
def test_iterative_second_client_waits_in_the_backlog():
    shell = Shell()
    port = shell.serve("hello", "iterative")
    first = connect(port)
    assert read_exactly(first, 8) == b"welcome!"
    second = connect(port)  # completes: the kernel's backlog holds it
    second.settimeout(0.5)
    try:
        early = second.recv(100)
        raise AssertionError(f"the second client was greeted while the first is served: {early!r}")
    except socket.timeout:
        pass
    shell.send("sockets")
    shell.expect(r"^srv/1\s.*ESTABLISHED")
    first.sendall(b"exit")
    assert read_all(first) == b""
    first.close()
    second.settimeout(TIMEOUT)
    assert read_exactly(second, 8) == b"welcome!"
    second.close()
    shell.close()


@test
def test_no_descriptor_leaks_after_10000_connections_and_stop():
    shell = Shell()
    shell.send("set log off")
    port = shell.serve("echo", "select")
    before = shell.fds()
    for i in range(10_000):
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"x" * 64)
            assert read_exactly(sock, 64) == b"x" * 64
    deadline = time.monotonic() + 10
    while shell.fds() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shell.fds() == before, f"{shell.fds() - before} descriptors more after 10,000 connections"
    for model in ("threading", "forking"):
        shell.serve("echo", model, name="m" + model)
    shell.send("stop srv")
    shell.send("stop mthreading")
    shell.send("stop mforking")
    shell.send("echo stopped")
    shell.expect("^stopped$")
    after = shell.fds()
    # Only the descriptors sockshell holds with no server (its own pipes) remain.
    plain = Shell()
    plain.send("echo ready")
    plain.expect("^ready$")
    baseline = plain.fds()
    plain.close()
    assert after <= baseline + 2, f"{after} descriptors open after stop, {baseline} in a fresh session"
    shell.close()


@test
def test_reset_and_stalled_clients_do_not_stop_the_others():
    for model in ("select", "threading", "forking"):
        shell = Shell()
        port = shell.serve("chargen", model)
        stalled = connect(port)  # never reads: its send buffer fills
        for _ in range(5):
            sock = connect(port)
            sock.recv(1000)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()  # RST, mid-response
        with connect(port) as sock:
            assert read_exactly(sock, 74) == chargen_reference(74), model
        echo = shell.serve("echo", model, name="e")
        hog = connect(echo)
        hog.setblocking(False)
        try:
            for _ in range(1000):
                hog.send(b"y" * 65536)  # never reads the echo back
        except BlockingIOError:
            pass
        with connect(echo) as sock:
            sock.sendall(b"still served")
            assert read_exactly(sock, 12) == b"still served", model
        stalled.close()
        hog.close()
        shell.close()


@test
def test_stop_closes_the_clients_and_names_are_checked():
    shell = Shell()
    port = shell.serve("hello", "threading")
    client = connect(port)
    assert read_exactly(client, 8) == b"welcome!"
    shell.send("stop srv")
    assert read_all(client) == b""
    shell.send("stop srv")
    shell.expect(r"^<stdin>:\d+: ProcessLookupError: no server 'srv'$")
    shell.send("serve srv 127.0.0.1 0 echo sideways")
    shell.expect(r"^<stdin>:\d+: ValueError: MODEL must be one of iterative, threading, forking, select, not 'sideways'$")
    shell.send("serve srv 127.0.0.1 0 telnet")
    shell.expect(r"^<stdin>:\d+: ValueError: KIND must be one of echo, discard, chargen, daytime, welcome, hello, gopher, http, not 'telnet'$")
    shell.send("serve srv 127.0.0.1 0 http")
    shell.expect(r"^<stdin>:\d+: TypeError: serve http takes the directory to serve")
    shell.send("serve srv 127.0.0.1 0 http /nonexistent-dir")
    shell.expect(r"^<stdin>:\d+: FileNotFoundError: \[Errno 2\] No such file or directory: '/nonexistent-dir'$")
    shell.serve("echo", "select")
    shell.send("socket srv")
    shell.expect(r"^<stdin>:\d+: ValueError: name 'srv' is a server; stop srv first$")
    client.close()
    shell.close()


@test
def test_forked_children_end_with_stop_and_with_sockshell():
    for ending in ("stop", "SIGTERM", "quit"):
        shell = Shell()
        port = shell.serve("hello", "forking")
        client = connect(port)
        assert read_exactly(client, 8) == b"welcome!"
        shell.send("sockets")
        pid = int(shell.expect(r"^srv/1\s.*process (\d+)$").group(1))
        assert os.path.exists(f"/proc/{pid}"), "no child process"
        if ending == "stop":
            shell.send("stop srv")
            shell.send("echo stopped")
            shell.expect("^stopped$")
        elif ending == "SIGTERM":
            shell.proc.send_signal(signal.SIGTERM)
            shell.proc.wait(TIMEOUT)
        else:
            shell.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}") and \
                open(f"/proc/{pid}/stat").read().split()[2] != "Z":
            time.sleep(0.05)
        alive = os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z"
        assert not alive, f"the child serving a client outlived `{ending}`"
        assert read_all(client) == b"", ending
        client.close()
        if ending == "stop":
            shell.close()


@test
def test_interact_relays_stdin_then_half_closes_as_nc_does():
    """`sockshell -c 'create_connection c HOST PORT; interact c' < FILE`: every
    byte of FILE reaches the peer, the EOF becomes a half-close, and the
    reply is shown until the peer closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    data = os.urandom(1_000_000)

    def peer():
        conn, _ = listener.accept()
        with conn:
            got = read_all(conn)  # until the half-close
            conn.sendall(b"got " + hashlib.sha256(got).hexdigest().encode() + b"\r\nbye\x1b[2J\n")
    thread = threading.Thread(target=peer)
    thread.start()
    with tempfile.TemporaryFile() as stdin:
        stdin.write(data)
        stdin.seek(0)
        r = subprocess.run([BINARY, "-c", f"create_connection c 127.0.0.1 {port}; interact c; sockets"], stdin=stdin,
                           capture_output=True, timeout=TIMEOUT)
    thread.join(TIMEOUT)
    listener.close()
    out = r.stdout.decode()
    assert r.returncode == 0 and r.stderr == b"", (r.returncode, r.stderr)
    lines = out.split("\n")
    assert lines[0] == "got " + hashlib.sha256(data).hexdigest(), lines[:2]
    assert lines[1] == "bye\\x1b[2J", lines[:2]  # the escape shown, never sent to the terminal raw
    # sockets counts every byte sent (the sent column), and the reply received.
    reply = len(lines[0]) + len("\r\nbye\x1b[2J\n")
    assert re.search(rf"^c\s+\d+\s+AF_INET\s+SOCK_STREAM\s.*\sNone\s+1000000\s+{reply}\s", out, re.M), out
    # In stdin mode stdin is the commands: interact refuses it, by name.
    r = subprocess.run([BINARY], input=b"socketpair a b\ninteract a\n", capture_output=True, timeout=TIMEOUT)
    assert r.stderr.decode() == ("<stdin>:2: RuntimeError: interact relays stdin, and here stdin is the commands: "
                                 "give them with -c or in a script file\n"), r.stderr


def main():
    sys.exit(suite.run(TESTS, suite.only_argument()))


if __name__ == "__main__":
    main()
