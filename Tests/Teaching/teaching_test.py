#!/usr/bin/env python3
"""The teaching features end to end: `set trace on` against strace itself,
the kernel view in `sockets` and `tcpinfo`, `record` giving a transcript that
`--check` accepts, `set python on`, `export python` run by python3, and `why`.

usage: teaching_test.py PATH_TO_SOCKSHELL
Ends with the line "N passed, N failed"; exit status 1 if any failed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

BINARY = os.path.abspath(sys.argv[1])
WORK = tempfile.mkdtemp(prefix="sockshell-teaching-")


def run(*args, stdin=None, cwd=WORK, wrapper=()):
    return subprocess.run([*wrapper, BINARY, "--no-color", *args], input=stdin, capture_output=True,
                          text=True, timeout=20, cwd=cwd)


TRACED = ["socket", "socketpair", "bind", "listen", "connect", "accept4", "sendto", "recvfrom", "shutdown",
          "setsockopt", "getsockopt", "getsockname", "getpeername", "sendfile"]


def normalise(line):
    """strace pads the ' = ' column; sockshell does not."""
    return re.sub(r"\)\s+= ", ") = ", line.strip())


def test_trace_matches_strace():
    if not shutil.which("strace"):
        raise AssertionError("strace is not installed (scripts/test installs it)")
    script = ("set trace on; socket s; setsockopt s SOL_SOCKET SO_REUSEADDR 1; bind s 127.0.0.1 0; listen s 5; "
              "socket c; connect c 127.0.0.1 1; connect c 127.0.0.1 $s.port; accept s a; "
              "send c 'hi\\n\\x00\\x01 and a longer line than thirty-two bytes'; recv a; shutdown c wr; recv a; "
              "getsockopt a SOL_SOCKET SO_TYPE; socket u udp6; bind u ::1 0; sendto u b'x' ::1 $u.port; recvfrom u; "
              "socketpair p q; socket x unix; bind x '\\0sockshell-trace-test'; getpeername s")
    out = os.path.join(WORK, "strace.out")
    result = run("-c", script, wrapper=["strace", "-f", "-qq", "-o", out, "-e", "trace=" + ",".join(TRACED)])
    ours = [normalise(line) for line in result.stderr.splitlines()
            if line.split("(", 1)[0] in TRACED]
    with open(out) as f:
        theirs = [normalise(line.split(" ", 1)[1]) for line in f if line.strip()]
    # strace sees the calls made before `set trace on` too: sockshell makes none of these then.
    assert ours, result.stderr
    assert ours == theirs, "\n".join(["sockshell:"] + ours + ["strace:"] + theirs)


def test_sockets_shows_the_kernel_state_and_queues():
    result = run("-c", "socket srv; setsockopt srv SOL_SOCKET SO_REUSEADDR 1; bind srv 127.0.0.1 0; listen srv 5; "
                       "socket c; connect c 127.0.0.1 $srv.port; send c hello; accept srv conn; close c; sockets")
    table = result.stdout.splitlines()[-2:]
    assert re.match(r"srv\s+3\s+AF_INET\s+SOCK_STREAM\s+LISTEN\s+0\s+5\s.*SO_REUSEADDR=1$", table[0]), table
    # The peer closed: conn waits in CLOSE_WAIT with the 5 unread bytes in its receive queue.
    assert re.match(r"conn\s+\d+\s+AF_INET\s+SOCK_STREAM\s+CLOSE_WAIT\s+5\s+0\s", table[1]), table


def test_tcpinfo_is_a_python_dict():
    result = run("-c", "create_server srv 127.0.0.1 0; create_connection c 127.0.0.1 $srv.port; tcpinfo c; "
                       "socket u udp; tcpinfo u")
    line = result.stdout.strip()
    assert line.startswith("{'state': 'ESTABLISHED', "), line
    info = eval(line, {})  # the repr is a Python literal
    for field in ("rtt", "rttvar", "snd_cwnd", "retransmits", "unacked", "bytes_acked", "bytes_received"):
        assert isinstance(info[field], int), field
    assert result.stderr.strip() == "<command>:5: OSError: [Errno 95] Operation not supported", result.stderr


def test_record_writes_a_transcript_that_check_accepts():
    path = os.path.join(WORK, "recorded.md")
    session = (f"record {path}\n"
               "create_server srv 127.0.0.1 0\n"
               "create_connection c 127.0.0.1 $srv.port\n"
               "accept srv conn\n"
               "sendall conn 'hello\\n'\n"
               "recvline c\n"
               "getsockname c\n"
               "gethostbyname nosuch.invalid\n"
               "help close\n"
               "record off\n")
    result = run(stdin=session)
    assert result.returncode == 1, result  # gethostbyname failed, as recorded
    with open(path) as f:
        text = f.read()
    assert "sock> recvline c\nb'hello\\n'\n" in text, text
    assert "socket.gaierror: [Errno -2] Name or service not known" in text, text
    assert "record off" not in text, text
    check = run("--check", path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip().endswith("8 passed, 0 failed"), check.stdout


def test_set_python_on_shows_the_python_first():
    result = run("-c", "set python on; socket s; bind s 127.0.0.1 0; getservbyname http tcp")
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("# ") for line in lines[:-1]), lines
    assert lines[-1] == "80", lines
    assert any("getservbyname" in line for line in lines[:-1]), lines


def test_export_python_prints_what_sockshell_printed():
    path = os.path.join(WORK, "session.py")
    commands = ["create_server srv 127.0.0.1 0", "socket c", "connect c 127.0.0.1 $srv.port", "accept srv conn",
                "sendall conn 'welcome\\n'", "recvline c", "sendline c 'hello'", "recv conn", "getservbyname http tcp",
                "gethostbyname nosuch.invalid", "inet_aton 127.1", "socket u udp", "bind u 127.0.0.1 0",
                "sendto u b'ping' 127.0.0.1 $u.port", "recv u"]
    ours = run(stdin="\n".join(commands + [f"export python {path}"]) + "\n")
    python = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=20)
    strip = lambda text: re.sub(r"<stdin>:\d+: ", "", re.sub(r"\b\d{5}\b", "PORT", text))
    assert strip(ours.stdout) == strip(python.stdout), (ours.stdout, python.stdout)
    assert strip(ours.stderr) == strip(python.stderr), (ours.stderr, python.stderr)


def test_export_python_of_jobs_runs_them_on_threads():
    # A job is a thread in the script; wait is a join; its lines print tagged
    # between commands, as sockshell prints them. (fd numbers aside: Python
    # numbers a socket accepted on another thread its own way.)
    path = os.path.join(WORK, "jobs.py")
    commands = ["create_server srv 127.0.0.1 0", "accept srv &", "jobs", "create_connection c 127.0.0.1 $srv.port",
                "recv srv_1 &", "sendall c b'hello'", "socket u", "recv u &", "recv c &", "jobs", "wait %7",
                "sendall srv_1 b'back'", "wait 5", "jobs"]
    ours = run(stdin="\n".join(commands + [f"export python {path}"]) + "\n")
    script = open(path).read()
    assert "threading.Thread(" in script and "start_job('accept srv', " in script, script[-2000:]
    python = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=20)
    strip = lambda text: re.sub(r"fd=\d+", "fd=N", re.sub(r"<stdin>:\d+: ", "", re.sub(r"\b\d{5}\b", "PORT", text)))
    assert "[1] done: recv srv_1 -> b'hello'" in ours.stdout and "[1] done: recv c -> b'back'" in ours.stdout, ours.stdout
    assert strip(ours.stdout) == strip(python.stdout), (ours.stdout, python.stdout)
    assert strip(ours.stderr) == strip(python.stderr), (ours.stderr, python.stderr)


def test_why_explains_the_last_error():
    result = run("-c", "socket c; connect c 127.0.0.1 1; why")
    assert result.stdout.startswith("ECONNREFUSED (errno 111): Connection refused\n"), result.stdout
    result = run("-c", "set explain on; gethostbyname nosuch.invalid")
    assert result.stdout.startswith("EAI_NONAME (-2): Name or service not known\n"), result.stdout
    assert result.stderr.strip() == "<command>:2: socket.gaierror: [Errno -2] Name or service not known"
    result = run("-c", "why")
    assert result.stdout.strip() == "No command has failed yet.", result.stdout


def main():
    tests = [(name, test) for name, test in globals().items() if name.startswith("test_")]
    passed = failed = 0
    for name, test in tests:
        try:
            test()
            passed += 1
            print(f"PASS {name}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
