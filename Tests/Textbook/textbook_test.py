#!/usr/bin/env python3
"""The textbooks' `>>>` lines, typed as the books print them (SPEC section 8).

usage: python3 Tests/Textbook/textbook_test.py PATH_TO_SOCKSHELL

Each lesson is a list of lines as a book prints them: with `>>> ` in front, and
Python 2's `print x` where the book has it. sockshell reads them on stdin, as a
paste; python3 runs the same lines one at a time as its prompt does (a value's
repr unless None, an error as the last line of its traceback; `print x` given
to python3 as `print(x)`, the only change). The two outputs must be equal,
line for line, values on stdout and errors on stderr with the line number.

The servers and clients the lines talk to are started here, on 127.0.0.1,
and stopped; ephemeral port numbers in the output are masked.

Ends with the line "N passed, N failed"; exit status 1 if any failed.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) == 2 else sys.exit("usage: textbook_test.py PATH_TO_SOCKSHELL")
TIMEOUT = 20

# python3 as its prompt runs a line: compiled in 'single' mode, so an
# expression's repr is printed; an error prints as CPython's own excepthook
# prints it (with its "Did you mean"), of which the last line is kept.
DRIVER = r'''
import io, sys
lines = sys.stdin.read().split("\n")
scope = {"__name__": "__main__"}
for number, line in enumerate(lines, 1):
    if not line.strip():
        continue
    try:
        exec(compile(line, "<stdin>", "single"), scope)
    except SystemExit:
        raise
    except BaseException as error:
        captured, sys.stderr = sys.stderr, io.StringIO()
        sys.__excepthook__(type(error), error, error.__traceback__)
        text, sys.stderr = sys.stderr.getvalue(), captured
        sys.stdout.flush()
        print("<stdin>:%d: %s" % (number, text.rstrip("\n").split("\n")[-1]), file=sys.stderr)
    sys.stdout.flush()
'''


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def for_python3(line):
    """The book's line as python3 takes it: without the prompt, print(...) for print."""
    line = re.sub(r"^(>>>|\.\.\.) ?", "", line)
    match = re.match(r"print (.*)$", line)
    return "print(%s)" % match.group(1) if match else line


def masked(text, keep):
    """Ephemeral ports (any port of a 127.0.0.1 address but those in `keep`) as PORT."""
    def port(match):
        return match.group(0) if int(match.group(2)) in keep else match.group(1) + "EPHEMERAL"
    return re.sub(r"('127\.0\.0\.1', )(\d+)", port, text)


def run(argv, text, peer=None):
    """Runs argv with text on stdin while `peer` (a function) plays the other side."""
    result = {}
    thread = None
    if peer:
        thread = threading.Thread(target=lambda: result.update(peer=peer()), daemon=True)
        thread.start()
    done = subprocess.run(argv, input=text.encode(), capture_output=True, timeout=TIMEOUT)
    if thread:
        thread.join(TIMEOUT)
    return done.stdout.decode("utf-8", "backslashreplace"), done.stderr.decode("utf-8", "backslashreplace"), result.get("peer")


def connect_when_listening(port, deadline=10.0):
    end = time.monotonic() + deadline
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            if time.monotonic() > end:
                raise
            time.sleep(0.02)


class Listener:
    """A TCP server the book's client connects to: it accepts and holds each connection."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.socket.close()
        for connection in self.held:
            connection.close()


def welcome_client(port):
    """The textbook server's client: reads the greeting, sends a line, reads to EOF."""
    with connect_when_listening(port) as c:
        got = b""
        while not got.endswith(b"\n"):
            chunk = c.recv(1024)
            if not chunk:
                break
            got += chunk
        c.sendall(b"hello world\n")
        while True:
            chunk = c.recv(1024)
            if not chunk:
                break
            got += chunk
        return got


LESSONS = []


def lesson(fn):
    LESSONS.append(fn)
    return fn


@lesson
def the_interactive_transcript():
    server = Listener()
    lines = f"""
>>> import socket
>>> s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
>>> port = socket.getservbyname('http', 'tcp')
>>> port
>>> socket.getservbyname('smtp', 'tcp')
>>> s.connect(('127.0.0.1', {server.port}))
>>> print s.getsockname()
>>> print s.getpeername()
>>> s.getpeername()
>>> s.conect(('127.0.0.1', {server.port}))
>>> s.close()
"""
    return lines, None, {server.port}, server.close


@lesson
def the_resolver():
    lines = """
>>> import socket
>>> socket.gethostbyname('localhost')
>>> socket.gethostbyname('127.0.0.1')
>>> socket.gethostbyname_ex('localhost')
>>> socket.getfqdn('localhost')
>>> socket.gethostname() == socket.gethostname()
>>> socket.gethostbyname('nosuch.invalid')
>>> socket.gethostbyaddr('127.0.0.1')[2]
>>> socket.inet_aton('127.0.0.1')
>>> socket.inet_ntoa(socket.inet_aton('10.0.0.1'))
"""
    return lines, None, set(), None


@lesson
def the_welcome_server():
    port = free_port()
    lines = f"""
>>> import socket
>>> s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
>>> s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
>>> s.bind(('127.0.0.1', {port}))
>>> s.listen(5)
>>> clientsocket, clientaddr = s.accept()
>>> clientaddr[0]
>>> clientsocket.sendall("welcome, " + str(clientaddr) + '\\n')
>>> clientsocket.sendall(("welcome, " + str(clientaddr) + '\\n').encode())
>>> data = clientsocket.recv(1024)
>>> data
>>> print "You entered", len(data.strip()), "characters."
>>> clientsocket.sendall(("You entered %d characters.\\n" % len(data.strip())).encode())
>>> clientsocket.close()
>>> s.close()
"""
    return lines, lambda: welcome_client(port), {port}, None


@lesson
def the_udp_client_and_server():
    port = free_port(socket.SOCK_DGRAM)
    lines = f"""
>>> import socket
>>> server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
>>> server.bind(('127.0.0.1', {port}))
>>> client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
>>> client.sendto(b'hello', ('127.0.0.1', {port}))
>>> data, addr = server.recvfrom(1024)
>>> print data
>>> print addr == client.getsockname()
>>> server.sendto(data.upper(), addr)
>>> reply, where = client.recvfrom(1024)
>>> reply
>>> where
>>> client.sendto('text', ('127.0.0.1', {port}))
>>> client.close()
>>> server.close()
"""
    return lines, None, {port}, None


@lesson
def blocking_timeouts_and_connect_ex():
    server = Listener()
    closed = free_port()
    lines = f"""
>>> import socket
>>> s = socket.socket()
>>> s.gettimeout()
>>> s.getblocking()
>>> s.fileno() > 2
>>> s.settimeout(2.5)
>>> s.gettimeout()
>>> s.settimeout(None)
>>> s.gettimeout()
>>> s.connect_ex(('127.0.0.1', {closed}))
>>> t = socket.socket()
>>> t.setblocking(False)
>>> t.gettimeout()
>>> t.getblocking()
>>> t.recv(10)
>>> u = socket.socket()
>>> u.connect_ex(('127.0.0.1', {server.port}))
>>> u.setblocking(False)
>>> u.recv(10)
>>> u.settimeout(0.1)
>>> u.recv(10)
>>> u.close()
"""
    return lines, None, {server.port, closed}, server.close


def check(fn):
    lines, peer, keep, cleanup = fn()
    text = lines.strip("\n") + "\n"
    try:
        sh_out, sh_err, sh_peer = run([BINARY], text, peer)
        py_text = "\n".join(for_python3(line) for line in text.split("\n"))
        py_out, py_err, py_peer = run([sys.executable, "-c", DRIVER], py_text, peer)
    finally:
        if cleanup:
            cleanup()
    problems = []
    for what, mine, theirs in (("stdout", sh_out, py_out), ("stderr", sh_err, py_err),
                               ("what the peer received", repr(sh_peer), repr(py_peer))):
        if masked(mine, keep) != masked(theirs, keep):
            problems.append("%s differs:\n  sockshell:\n%s\n  python3:\n%s" % (
                what, indent(masked(mine, keep)), indent(masked(theirs, keep))))
    if not sh_out.strip() and not sh_err.strip():
        problems.append("sockshell printed nothing")
    return problems


def indent(text):
    return "\n".join("    | " + line for line in text.rstrip("\n").split("\n"))


def main():
    passed = failed = 0
    for fn in LESSONS:
        try:
            problems = check(fn)
        except Exception as error:  # a hung or crashed run is a failure, with its reason
            problems = ["%s: %s" % (type(error).__name__, error)]
        if problems:
            failed += 1
            print("FAIL %s\n%s" % (fn.__name__, "\n".join(problems)))
        else:
            passed += 1
            print("ok   %s" % fn.__name__)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
