# Transcripts, recordings and replays (issue 10 items 3, 5, 7, 13): --check's
# matcher on long outputs, received bytes that must not become commands when
# a recording is replayed, record's failures, user text escaped on screen.


@test
def test_7_replay_check_matches_megabytes_after_ellipsis_without_crashing():
    data = os.urandom(3 << 20)

    def serve(conn):
        conn.sendall(data)
    peer = Peer(serve)
    transcript = script("long.md", "```\n"
                        f"sock> create_connection c 127.0.0.1 {peer.port}\n"
                        "sock> set display hex\n"
                        "sock> recvall c\n...\nthis line is not in the dump\n"
                        "sock> echo after\nafter\n```\n")
    result = run(["--check", transcript], timeout=120)
    peer.finish()
    check(not killed_by_signal(result) and result.rc == 1, "expected one mismatch, exit 1\n" + result.describe())
    text = result.out + result.err
    check("this line is not in the dump" in text and "sock> echo after" not in text,
          "the report names the mismatch and counts the rest\n" + result.describe(300))


def fds_around(setup, lines, tail="", marker="fds-mark"):
    """Runs setup, counts the process's fds, runs lines, counts again; (before, after, stdout, stderr lines)."""
    proc = subprocess.Popen(limited([BINARY]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=WORK, env=base_env())
    out, err = LineReader(proc.stdout), LineReader(proc.stderr)
    try:
        proc.stdin.write((setup + f"\necho {marker}1\n").encode())
        proc.stdin.flush()
        check(out.wait_for(f"{marker}1", 10), "the session did not answer")
        time.sleep(0.1)
        before = fd_count(proc.pid)
        proc.stdin.write(("\n".join(lines) + f"\necho {marker}2\n").encode())
        proc.stdin.flush()
        check(out.wait_for(f"{marker}2", 10), "the session did not answer")
        time.sleep(0.1)
        after = fd_count(proc.pid)
        proc.stdin.write((tail + "\n").encode())
        proc.stdin.close()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return before, after, out.text(), err.text().split("\n")[:-1]


def python_write_error(path):
    try:
        with open(path, "w") as f:
            f.write("x")
    except OSError as exc:
        return error_line(exc)
    return None


@test
def test_7_replay_failing_record_keeps_the_running_recording():
    target = os.path.join(WORK, "kept.md")
    missing = os.path.join(WORK, "no", "such", "x.md")
    before, after, _, err = fds_around(f"record {target}; echo one",
                                       [f"record {missing}", "record /dev/full", "echo two"], tail="record off")
    check(before == after, f"/proc/PID/fd had {before} entries before the failing records and {after} after")
    with open(target) as f:
        recorded = f.read()
    check("sock> echo two\ntwo\n" in recorded,
          f"the recording stopped at a failing record: {recorded!r}")
    check("Errno" not in recorded, f"record's own error is in the recording: {recorded!r}")
    result = run(["--check", target])
    expect(result, rc=0, note="the kept recording checks")
    missing_error = f"FileNotFoundError: [Errno 2] No such file or directory: {missing!r}"
    full_error = python_write_error("/dev/full")
    check([re.sub(r"^<stdin>:\d+: ", "", line) for line in err] == [missing_error, full_error],
          f"expected {[missing_error, full_error]!r}, got {err!r}")


INJECTED = "gethostname > inj.txt"


def record_attack(folder, setup, connect):
    """Runs a recorded session (setup makes listener s) that accepts the peer connect() makes, then
    replays the recording with --echo and --check; (fds before, after, screen, recording, replays)."""
    os.makedirs(folder, exist_ok=True)
    listener = os.path.join(folder, "srv")
    proc = subprocess.Popen(limited([BINARY]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=folder, env=base_env())
    out = LineReader(proc.stdout)
    try:
        proc.stdin.write((f"record rec.md\n{setup}\necho ready\n").encode())
        proc.stdin.flush()
        check(out.wait_for("ready", 10), "the session did not answer")
        time.sleep(0.1)
        before = fd_count(proc.pid)
        peer = connect()
        proc.stdin.write(b"accept s\nsockets\nset display text\nrecv s_1 200\n")
        proc.stdin.write(b"close s_1\necho done\n")
        proc.stdin.flush()
        check(out.wait_for("done", 10), "the session did not answer:\n" + out.text())
        after = fd_count(proc.pid)
        proc.stdin.write(b"record off\n")
        proc.stdin.close()
        proc.wait(10)
        peer.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shown = out.text()
    with open(os.path.join(folder, "rec.md")) as f:
        recording = f.read()
    if os.path.exists(listener):
        os.unlink(listener)
    replays = [run(["--echo", "rec.md"], cwd=folder), run(["--check", "rec.md"], cwd=folder)]
    return before, after, shown, recording, replays


def check_not_injected(folder, before, after, shown, recording, replays, escaped):
    check(before == after, f"/proc/PID/fd had {before} entries before and {after} after")
    check(not os.path.exists(os.path.join(folder, "inj.txt")),
          "a replay ran the peer's line as a command:\n" + recording + "\n".join(r.describe() for r in replays))
    for line in recording.split("\n"):
        check(not (line.lstrip(" \t").startswith("sock>") and INJECTED in line and not line.startswith("sock> recv")),
              f"the recording holds the peer's bytes as a command: {line!r}")
    for text in escaped:
        check(text in shown, f"expected the escaped form {text!r} on screen:\n{shown}")


@test
def test_7_replay_unix_peer_path_with_a_newline_cannot_inject_a_command():
    folder = os.path.join(WORK, "inject-unix")
    path = f"p\nsock> {INJECTED} #"

    def connect():
        c = socket.socket(socket.AF_UNIX)
        c.bind(os.path.join(folder, path))
        c.connect(os.path.join(folder, "srv"))
        c.sendall(b"x")
        return c
    os.makedirs(folder, exist_ok=True)
    before, after, shown, recording, replays = record_attack(
        folder, f"socket s unix; bind s {os.path.join(folder, 'srv')}; listen s; settimeout s 1", connect)
    full = os.path.join(folder, path)
    escaped = repr(full)[1:-1]
    check("p\\nsock> " in escaped, "python3's repr escapes the newline")
    check_not_injected(folder, before, after, shown, recording, replays,
                       [f"raddr={escaped}>", f"  {escaped}  ", repr(full)])
    rows = [line for line in shown.split("\n") if line.startswith("s_1 ")]
    check(len(rows) == 1 and escaped in rows[0] and rows[0].rstrip().endswith("-"),
          f"the peer's path forged or broke a row of the sockets table:\n{shown}")
    check(not any(line.startswith(f"sock> {INJECTED}") for line in shown.split("\n")),
          f"the peer's path printed a raw newline:\n{shown}")


@test
def test_7_replay_text_display_of_a_peer_line_cannot_inject_a_command():
    folder = os.path.join(WORK, "inject-tcp")
    payload = f"hello\nsock> {INJECTED}\n  sock> {INJECTED}\n```\n<BLANKLINE>\n   \n"

    def connect():
        with open(os.path.join(folder, "port.txt")) as f:
            port = int(f.read().split(", ")[1].rstrip(")\n"))
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(payload.encode())
        time.sleep(0.2)
        return c
    before, after, shown, recording, replays = record_attack(
        folder, "socket s; bind s 127.0.0.1 0; listen s; settimeout s 1; getsockname s > port.txt", connect)
    check_not_injected(folder, before, after, shown, recording, replays, [f"sock> {INJECTED}"])
    check(replays[1].rc == 1 and "recv s_1" in replays[1].out + replays[1].err,
          "--check reads the peer's lines as recv's output\n" + replays[1].describe())


def session_and_its_export(name, session):
    """Runs SESSION with `export python` at its end, then the exported script;
    returns sockshell's result and the script's stdout and stderr lines."""
    script_path = os.path.join(WORK, name)
    result = run(["-c", f"{session}; export python {script_path}"])
    py = subprocess.run([sys.executable, script_path], capture_output=True, cwd=WORK, timeout=TIMEOUT)
    return (result, py.stdout.decode("utf-8", "backslashreplace").split("\n")[:-1],
            py.stderr.decode().split("\n")[:-1])


def same_errors(result, script_errors):
    return [re.sub(r"^<command>:\d+: ", "", line) for line in result.err_lines] == script_errors


@test
def test_7_replay_export_gives_print_and_print__distinct_variables():
    result, shown, shown_err = session_and_its_export("names.py", (
        "socketpair print print_; sendall print b'to print_'; recv print_ 20; "
        "socketpair len ConnectionError; sendall ConnectionError b'to len'; recv len 20; "
        "socketpair KeyError KeyError_; sendall KeyError_ b'x'; recv KeyError 5; "
        "close print_; sendall print b'gone'; close print"))
    expect(result, out=shown, note="the exported script prints what the session printed")
    check(shown[:3] == ["b'to print_'", "b'to len'", "b'x'"], f"the script mixed sockets up: {shown!r}")
    check(same_errors(result, shown_err), f"errors differ: session {result.err_lines!r}, script {shown_err!r}")


@test
def test_7_replay_kept_values_and_peer_fields_export_to_python_that_prints_the_same():
    # NAME = COMMAND keeps a value; $NAME, $NAME.peer and the address they
    # hold go into later commands; the exported script prints what sockshell
    # printed, errors included.
    result, shown, shown_err = session_and_its_export("values.py", (
        "port = getservbyname http tcp; echo $port; create_server srv 127.0.0.1 0; where = getsockname srv; "
        "create_connection c localhost $srv.port; accept srv conn; echo 'welcome,' $conn.peer; "
        "host = gethostbyname localhost; sendall conn 'hi'; data = recv c; sendall conn $data; msg = recv c; "
        "echo $msg $host; n = send c 'abc'; conn = gethostname; socket d; connect_ex d $host $port; "
        "connect_ex d $where; setblocking d $n; info = getnameinfo $where NI_NUMERICHOST; echo $info; "
        "gone = close d; echo $gone; echo $missing"))
    # Each run has its own ephemeral ports: compare with them masked.
    masked = lambda lines: [re.sub(r"\b[1-9][0-9]{4}\b", "PORT", line) for line in lines]
    check(masked(result.out_lines) == masked(shown), f"session printed {result.out_lines!r}, the script {shown!r}")
    check(shown[0] == "80" and shown[-1] == "None", f"unexpected values: {shown!r}")
    check(same_errors(result, shown_err) and len(shown_err) == 2,
          f"errors differ: session {result.err_lines!r}, script {shown_err!r}")


RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


@test
def test_7_replay_user_text_in_errors_help_and_check_reports_is_escaped():
    lines = ["x\x1bc", "socket s \x07\x1b", "help \x1bc", "help x\u009by", "nam\u0085e 1",
             "settimeout t '\x1b'", "echo ok"]
    before, after, out, err = fds_around("socket t", lines)
    check(before == after, f"/proc/PID/fd had {before} entries before the failing commands and {after} after")
    problems = [line for line in out.split("\n") + err if RAW_CONTROLS.search(line)]
    check(not problems, f"raw control characters reached the terminal: {problems!r}")
    for text in ["NameError: name 'x\\x1bc' is not defined", "not \\x07\\x1b", "'\\x1bc'", "'x\\x9by'",
                 "name 'nam\\x85e' is not defined"]:
        check(any(text in line for line in err), f"expected {text!r} in the error lines: {err!r}")
    transcript = script("controls.md", "```\nsock> echo 'a\\x1bb'\nexpected \x1b[2J\x07 raw\n```\n")
    for args in (["--check", transcript], ["--echo", "-c", "echo '\x1bc'"]):
        result = run(args)
        bad = [line for line in (result.out + result.err).split("\n") if RAW_CONTROLS.search(line)]
        check(not bad, f"{args[0]} wrote control characters raw: {bad!r}\n" + result.describe())
    check("expected \\x1b[2J\\x07 raw" in run(["--check", transcript]).out, "the report shows the escaped form")


@test
def test_7_replay_a_recording_that_fills_its_disk_reports_once_and_stops():
    disk = os.path.join(WORK, "small-disk")
    os.makedirs(disk, exist_ok=True)
    private = ["unshare", "-m" if os.getuid() == 0 else "-rm", "sh", "-c",
               'mount -t tmpfs -o size=8k tmpfs "$0" && exec "$@"', disk]
    probe = subprocess.run(private + ["true"], capture_output=True, text=True, timeout=TIMEOUT)
    if shutil.which("unshare") is None or probe.returncode != 0:
        raise Skip(f"cannot mount a small tmpfs in a private mount namespace: {probe.stderr.strip()!r}")
    long = "a" * 1000
    session = f"record {disk}/r.md; " + "; ".join([f"echo {long}"] * 20) + "; echo after; record off; echo end"
    result = run(["-c", session], prefix=tuple(private))
    full_error = python_write_error("/dev/full")
    errors = [re.sub(r"^<command>:\d+: ", "", line) for line in result.err_lines]
    check(errors == [full_error], f"expected one {full_error!r}, got {result.err_lines!r}")
    check(result.out_lines[-2:] == ["after", "end"] and len(result.out_lines) == 22,
          "the session went on after the recording stopped\n" + result.describe(300))
