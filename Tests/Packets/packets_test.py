#!/usr/bin/env python3
"""Tests of the sandbox and of what the kernel holds (issue 14): `--sandbox`
as an unprivileged user, two sessions on one port, its one-line refusal, and
`connections` checked against `ss -tan` run inside the same namespace.

usage: python3 Tests/Packets/packets_test.py PATH_TO_SOCKSHELL [-k NAME]

Every address is inside a network namespace the test's sockshell made (its
own loopback), or 127.0.0.1.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import suite  # noqa: E402 - Tests/suite.py, the runner the loopback suites share

BINARY = os.path.abspath(sys.argv[1])
TIMEOUT = 30
TESTS = []
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test(function):
    TESTS.append(function)
    return function


def sockshell(*args, as_nobody=False, stdin=None, prefix=()):
    command = [*prefix, *(NOBODY if as_nobody else []), BINARY, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, input=stdin)


def binary_for_nobody():
    """The binary where user nobody can run it (the build tree may be closed to it)."""
    global BINARY
    directory = tempfile.mkdtemp(prefix="sockshell-sandbox-")
    os.chmod(directory, 0o755)
    copy = os.path.join(directory, "sockshell")
    shutil.copy2(BINARY, copy)
    os.chmod(copy, 0o755)
    BINARY = copy


@test
def test_two_unprivileged_sandboxes_bind_the_same_port_at_once():
    results = []

    def session(name):
        results.append((name, sockshell("--sandbox", "-c", "create_server srv 127.0.0.1 8080; sleep 0.5; "
                                        "getsockname srv; create_connection c 127.0.0.1 8080; accept srv; "
                                        "sendall c b'" + name + "'; recv srv_1", as_nobody=True)))
    threads = [threading.Thread(target=session, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert len(results) == 2, results
    for name, r in results:
        assert r.returncode == 0 and r.stderr == "", (name, r.returncode, r.stderr)
        lines = r.stdout.splitlines()
        assert lines[0] == "('127.0.0.1', 8080)", (name, lines)
        assert lines[-1] == f"b'{name}'", (name, lines)
    # Port 80 needs no privilege inside: the user is root of its own namespace.
    r = sockshell("--sandbox", "-c", "create_server web 127.0.0.1 80; getsockname web", as_nobody=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, "('127.0.0.1', 80)\n", ""), r
    # Outside a sandbox, nobody may not.
    r = sockshell("-c", "create_server web 127.0.0.1 80", as_nobody=True)
    assert r.stderr.endswith("PermissionError: [Errno 13] Permission denied (while attempting to bind on address "
                             "('127.0.0.1', 80))\n"), r.stderr


@test
def test_sandbox_refused_in_one_line_when_user_namespaces_are_forbidden():
    # A user namespace whose user.max_user_namespaces is 0 forbids new ones:
    # the kernel's own refusal, as on a machine that disables them.
    r = subprocess.run(["unshare", "-U", "-r", "sh", "-c",
                        f"echo 0 > /proc/sys/user/max_user_namespaces && exec {BINARY} --sandbox -c 'echo never'"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout, r.stderr)
    assert re.fullmatch(r"sockshell: --sandbox: this kernel does not let unprivileged users make user namespaces "
                        r"\(unshare: [^\n]+\)\n", r.stderr), r.stderr
    assert "max_user_namespaces is 0" in r.stderr, r.stderr


def ss_rows(text):
    """(state, local, peer) of each row `ss -tan` printed."""
    rows = set()
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5:
            rows.add((fields[0], fields[3], fields[4]))
    return rows


@test
def test_connections_shows_what_the_kernel_holds_as_ss_does():
    # In a sandbox nothing else is on the network: the whole table is the
    # session's, and ss run in the same namespace must list the same sockets.
    commands = ["create_server srv 127.0.0.1 8080 AF_INET 1",
                "create_connection a 127.0.0.1 8080", "create_connection b 127.0.0.1 8080",
                # The queue of a backlog-1 listener is full with two: the third SYN waits.
                "socket late", "settimeout late 0", "connect_ex late 127.0.0.1 8080",
                "accept srv", "close srv_1", "sleep 0.2", "connections", "!ss -tan"]
    r = sockshell("--sandbox", as_nobody=True, stdin="\n".join(commands) + "\n")
    assert r.returncode == 0, (r.returncode, r.stderr)
    out = r.stdout
    table, _, ss = out.partition("State")
    ours = {}
    for line in table.splitlines():
        fields = line.split()
        if fields and fields[0] == "tcp":
            ours[(fields[1], fields[4], fields[5])] = " ".join(fields[6:])
    expected_states = {"LISTEN", "ESTAB", "SYN-SENT", "FIN-WAIT-2", "CLOSE-WAIT"}
    states = {state for state, _, _ in ours}
    assert expected_states <= states, (states, out)
    theirs = ss_rows("State" + ss)
    # ss writes *:* or 0.0.0.0:* for a listener's peer; so does connections.
    assert set(ours) == theirs, f"connections: {sorted(ours)}\nss -tan: {sorted(theirs)}\n{out}"
    held = {key[0]: holder for key, holder in ours.items()}
    assert held["LISTEN"] == "srv" and held["SYN-SENT"] == "late", ours
    # What the closed srv_1 left is held by nobody; b's connection waits in
    # the listener's accept queue.
    assert held["FIN-WAIT-2"] == "-", ours
    assert "accept queue of srv" in ours.values(), ours


@test
def test_connections_outside_a_sandbox_keeps_to_the_sessions_ports():
    r = sockshell("-c", "create_server srv 127.0.0.1 0; create_connection c 127.0.0.1 $srv.port; accept srv; "
                  "close c; sleep 0.1; close srv_1; connections")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if line.startswith("tcp")]
    states = sorted(row[1] for row in rows)
    assert states == ["LISTEN", "TIME-WAIT"], r.stdout
    time_wait = next(row for row in rows if row[1] == "TIME-WAIT")
    assert time_wait[6] == "-", r.stdout


def tcpdump_lines(pcap):
    r = subprocess.run(["tcpdump", "-n", "-t", "-r", pcap], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    # tcpdump names the network layer first (IP, IP6); sockshell leaves it out.
    return [re.sub(r"^IP6? ", "", line) for line in r.stdout.splitlines()]


@test
def test_set_packets_shows_each_commands_segments_as_tcpdump_reads_them():
    if shutil.which("tcpdump") is None:
        raise AssertionError("tcpdump is not installed (scripts/test installs it)")
    workdir = tempfile.mkdtemp(prefix="sockshell-pcap-")
    os.chmod(workdir, 0o777)
    pcap = os.path.join(workdir, "session.pcap")
    commands = ["set packets on", "create_server srv 127.0.0.1 40000", "create_connection c 127.0.0.1 40000",
                "accept srv", "sendall c b'hello'", "recv srv_1", "socket u udp", "sendto u b'ping' 127.0.0.1 40001",
                "close c", "close srv_1", "sleep 0.1", "packets srv", f"export pcap {pcap}"]
    try:
        r = sockshell("--sandbox", "--echo", as_nobody=True, stdin="\n".join(commands) + "\n")
        assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)
        blocks = {}
        current = None
        for line in r.stdout.splitlines():
            if line.startswith("sock> "):
                current = line[6:]
                blocks[current] = []
            else:
                blocks[current].append(line)
        connect = blocks["create_connection c 127.0.0.1 40000"]
        flags = [re.search(r"Flags \[([^\]]*)\]", line).group(1) for line in connect]
        assert flags == ["S", "S.", "."], connect
        assert re.fullmatch(r"127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.40000: Flags \[S\], seq \d+, win \d+, "
                            r"options \[mss \d+,sackOK,TS val \d+ ecr 0,nop,wscale \d+\], length 0", connect[0]), connect[0]
        sent = blocks["sendall c b'hello'"]
        assert any(re.search(r"Flags \[P\.\], seq 1:6, ack 1, .*length 5$", line) for line in sent), sent
        assert blocks["sendto u b'ping' 127.0.0.1 40001"][-1].endswith(" > 127.0.0.1.40001: UDP, length 4"), blocks
        assert any("Flags [F.]" in line for line in blocks["close c"]), blocks["close c"]
        # Every line as tcpdump prints the exported capture, in the same order.
        shown = [line for block in list(blocks.values())[:-2] for line in block if re.match(r"^[0-9a-f.:]+\.\d+ > ", line)]
        assert shown == tcpdump_lines(pcap), (shown, tcpdump_lines(pcap))
        # packets NAME: srv's listening port, every segment to or from it.
        assert blocks["packets srv"] == [line for line in shown if ".40000" in line], blocks["packets srv"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def arrow_label(line):
    """What the diagram writes on a segment's arrow, from its tcpdump line."""
    flags = re.search(r"Flags \[([^\]]*)\]", line).group(1)
    parts = [flags]
    for field in ("seq", "ack"):
        m = re.search(rf", {field} ([^,]+)", line)
        if m:
            parts.append(f"{field} {m.group(1)}")
    length = int(re.search(r", length (\d+)", line).group(1))
    if length:
        parts.append(f"len {length}")
    return " ".join(parts)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    raise AssertionError("no chromium (scripts/test installs Debian's chromium)")


@test
def test_export_diagram_in_a_real_browser():
    browser = chromium()
    workdir = tempfile.mkdtemp(prefix="sockshell-diagram-")
    os.chmod(workdir, 0o777)
    svg, html = os.path.join(workdir, "handshake.svg"), os.path.join(workdir, "handshake.html")
    commands = ["set packets on", "create_server srv 127.0.0.1 40000", "create_connection c 127.0.0.1 40000",
                "accept srv", "sendall c b'hello'", "recv srv_1", "close c", "close srv_1", "sleep 0.1",
                "packets srv", f"export diagram {svg}", f"export diagram {html}"]
    try:
        r = sockshell("--sandbox", "--echo", as_nobody=True, stdin="\n".join(commands) + "\n")
        assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)
        segments = r.stdout.split("sock> packets srv\n", 1)[1].split("sock> ", 1)[0].splitlines()
        assert len(segments) >= 8, segments
        import xml.etree.ElementTree as ElementTree
        ElementTree.parse(svg)   # well-formed XML, or this raises
        # The page as the browser built it: every lifeline and every arrow's label.
        dom = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + html],
                             capture_output=True, text=True, timeout=60).stdout
        lifelines = re.findall(r'class="lifeline-name"[^>]*>([^<]*)<', dom)
        labels = re.findall(r'class="segment-label"[^>]*>([^<]*)<', dom)
        assert lifelines == ["srv", "c", "srv_1"], lifelines
        assert labels == [arrow_label(line) for line in segments], (labels, segments)
        states = re.findall(r'class="state"[^>]*>([^<]*)<', dom)
        for state in ("LISTEN", "ESTABLISHED", "CLOSE_WAIT", "TIME_WAIT"):
            assert state in states, (state, states)
        # A screenshot at projector size, kept for a person to look at.
        artifacts = os.environ.get("SOCKSHELL_ARTIFACTS", os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), ".build", "artifacts"))
        os.makedirs(artifacts, exist_ok=True)
        png = os.path.join(artifacts, "handshake-diagram.png")
        shot = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
                               "--window-size=1280,720", "file://" + html], capture_output=True, text=True, timeout=60)
        assert os.path.getsize(png) > 10_000, shot.stderr[-500:]
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        print(f"    screenshot: {png}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@test
def test_set_packets_payload_shows_a_peers_bytes_escaped():
    commands = ["set packets payload", "create_server srv 127.0.0.1 40000", "create_connection c 127.0.0.1 40000",
                "accept srv", "sendall srv_1 b'\\x1b[2Jhi\\r\\n'", "set packets off", "sendall c b'unseen'"]
    r = sockshell("--sandbox", "--echo", as_nobody=True, stdin="\n".join(commands) + "\n")
    assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr)
    assert "\x1b" not in r.stdout, "a raw escape reached the output"
    lines = r.stdout.split("sock> sendall srv_1", 1)[1].splitlines()
    assert re.search(r"^127\.0\.0\.1\.40000 > 127\.0\.0\.1\.\d+: Flags \[P\.\], seq 1:9, .*length 8$", lines[1]), lines
    assert lines[2] == "    \\x1b[2Jhi\\r\\n", lines
    # Off: nothing more is shown.
    assert r.stdout.rstrip().endswith("sock> sendall c b'unseen'"), r.stdout[-300:]


@test
def test_a_second_host_with_an_mtu_of_1280_cuts_a_100_kib_sendall_into_small_segments():
    data = os.urandom(100 * 1024)
    workdir = tempfile.mkdtemp(prefix="sockshell-hosts-")
    os.chmod(workdir, 0o777)
    path = os.path.join(workdir, "data.bin")
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    commands = ["host add B", "link B mtu 1280", "on B create_server srv 10.99.0.2 8080",
                "create_connection c 10.99.0.2 8080", "on B accept srv", "getpeername srv_1", "set packets on",
                "recvall srv_1 > " + os.path.join(workdir, "got.bin") + " &", f"sendall c @{path}", "close c",
                "wait 10", "sleep 0.1", "on nowhere socket x", "export diagram " + os.path.join(workdir, "hosts.svg")]
    try:
        r = sockshell("--sandbox", as_nobody=True, stdin="\n".join(commands) + "\n")
        lines = r.stdout.splitlines()
        assert lines[0] == "host B: 10.99.0.2, linked to this session's 10.99.0.1", lines[:3]
        assert "('10.99.0.1', " in lines[2], lines[:3]
        data_segments = [int(m.group(1)) for m in (re.search(r"^10\.99\.0\.1\.\d+ > 10\.99\.0\.2\.8080: .*length (\d+)$", l)
                                                   for l in lines) if m and int(m.group(1)) > 0]
        assert sum(data_segments) == len(data), (sum(data_segments), len(data))
        assert max(data_segments) <= 1240, max(data_segments)   # 1280 - IP 20 - TCP 20 (and options)
        with open(os.path.join(workdir, "got.bin"), "rb") as f:
            assert f.read() == data
        assert r.stderr.endswith("<stdin>:13: NameError: no host 'nowhere': host add nowhere makes it\n"), r.stderr
        # The diagram groups the lifelines by host: the session's first, then B's, marked.
        svg = open(os.path.join(workdir, "hosts.svg")).read()
        assert re.findall(r'class="lifeline-name"[^>]*>([^<]*)<', svg) == ["c", "srv", "srv_1"], svg[:400]
        assert re.findall(r'class="lifeline-host"[^>]*>([^<]*)<', svg) == ["on B", "on B"], svg[:400]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    r = sockshell("-c", "host add B")
    assert r.stderr == "<command>:1: OSError: hosts exist only inside a sandbox: start sockshell --sandbox\n", r.stderr


@test
def test_a_64_mib_sendall_with_set_packets_on_loses_no_segment_in_silence():
    # While two busy processes compete for the cores with the capture's
    # thread: every segment the kernel sent (TCP_INFO segs_out, both ends)
    # is a line, or counted in a "dropped by kernel" line.
    workdir = tempfile.mkdtemp(prefix="sockshell-keeping-up-")
    os.chmod(workdir, 0o777)
    path = os.path.join(workdir, "bulk.bin")
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    os.chmod(path, 0o644)
    commands = ["set packets on", "create_server srv 127.0.0.1 8080", "create_connection c 127.0.0.1 8080",
                "accept srv", "recvall srv_1 > /dev/null &", f"sendall c @{path}", "shutdown c wr", "wait 60",
                "sleep 0.2", "tcpinfo c", "tcpinfo srv_1"]
    hogs = [subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 20\nwhile time.time() < end: pass"])
            for _ in range(2)]
    try:
        r = sockshell("--sandbox", as_nobody=True, stdin="\n".join(commands) + "\n")
        assert r.returncode == 0 and r.stderr == "", (r.returncode, r.stderr[-500:])
        shown = sum(1 for line in r.stdout.splitlines() if " Flags [" in line)
        dropped = sum(int(n) for n in re.findall(r"^(\d+) packets? dropped by kernel \(the capture fell behind; "
                                                  r"these lines miss them\)$", r.stdout, re.M))
        sent = sum(int(n) for n in re.findall(r"'segs_out': (\d+)", r.stdout))
        assert sent > 500, sent
        assert shown + dropped == sent, (shown, dropped, sent)
        print(f"    {shown} segments shown, {dropped} dropped, of {sent} sent")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@test
def test_set_packets_outside_a_sandbox_without_privilege_says_so():
    r = sockshell("-c", "set packets on", as_nobody=True)
    assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout)
    assert r.stderr == ("<command>:1: PermissionError: capturing packets needs CAP_NET_RAW here: run sockshell --sandbox, "
                        "where the session has its own network and may capture it\n"), r.stderr


def main():
    if shutil.which("setpriv") is None:
        print("FAIL setup: setpriv (util-linux) is needed to run sockshell as user nobody")
        sys.exit(1)
    binary_for_nobody()
    status = suite.run(TESTS, suite.only_argument())
    shutil.rmtree(os.path.dirname(BINARY), ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
