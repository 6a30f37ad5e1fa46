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
