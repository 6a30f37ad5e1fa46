# Signals, a closed stdout, and the resolver rows that need a private
# namespace (issue 10 items 2, 11, 12 and table rows; issue 11 item 7).
# python3 is asked at test time what it does in the same situation: its exit
# status (by a signal: negative), its last stderr line, its values.

import pty
import select as select_module

SIGNAL_TIMEOUT = 10


def no_core_dumps():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def wait_until_sleeping(proc, reader, ready="before"):
    """Until the process printed `ready` and sleeps in the kernel (0.2 s in a row)."""
    check(reader.wait_for(ready, SIGNAL_TIMEOUT), f"never printed {ready!r}")
    stable_since = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if process_state(proc.pid) == "S":
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since > 0.2:
                return
        else:
            stable_since = None
        time.sleep(0.02)


def signalled(argv, sig, env=None):
    """Runs argv, sends sig once it printed 'before' and sleeps; (status, stdout lines, stderr)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=WORK, env=env or base_env(), preexec_fn=no_core_dumps)
    reader, err_reader = LineReader(proc.stdout), LineReader(proc.stderr)
    status = None
    try:
        wait_until_sleeping(proc, reader)
        proc.send_signal(sig)
        status = proc.wait(SIGNAL_TIMEOUT)
    except subprocess.TimeoutExpired:
        status = f"still running {SIGNAL_TIMEOUT} s after {sig.name}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.05)
    return status, reader.text().split("\n")[:-1], err_reader.text()


PY_SLEEPER = "import time; print('before', flush=True); time.sleep(30); print('after')"


@test
def test_7_signals_sent_signal_ends_sockshell_as_it_ends_python():
    path = script("sleeper30.sock", "echo before\nsleep 30\necho after\n")
    problems = []
    for sig in (signal.SIGQUIT, signal.SIGABRT, signal.SIGALRM, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
        expected, _, _ = signalled([sys.executable, "-c", PY_SLEEPER], sig)
        for argv in ([BINARY, path], [BINARY, "-c", "echo before; sleep 30; echo after"]):
            status, out, err = signalled(argv, sig)
            if status != expected or out != ["before"] or "crash" in err.lower():
                problems.append(f"{sig.name} on {' '.join(argv[1:])}: exit {exit_text(status)} (python3: "
                                f"{exit_text(expected)}), stdout {out!r}, stderr {err[-200:]!r}")
    check(not problems, "\n  ".join(problems))


@test
def test_7_signals_sigalrm_during_check_is_not_its_time_limit():
    transcript = script("alarm.md", "```\nsock> echo before\nbefore\nsock> sleep 30\n```\n")
    expected, _, _ = signalled([sys.executable, "-c", PY_SLEEPER], signal.SIGALRM)
    proc = subprocess.Popen([BINARY, "--check", transcript], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=WORK, env=base_env())
    try:
        deadline = time.monotonic() + 5
        while process_state(proc.pid) != "S" and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)
        proc.send_signal(signal.SIGALRM)
        out, err = proc.communicate(timeout=SIGNAL_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(proc.returncode == expected,
          f"--check given SIGALRM: exit {exit_text(proc.returncode)} (python3: {exit_text(expected)}); "
          f"it must not be taken as the example's time limit or as Ctrl-C; stdout {out[-300:]!r}")


@test
def test_7_signals_ignored_sigint_stays_ignored():
    # What a shell does for a background job: SIGINT ignored, then exec.
    results = []
    for argv in ([BINARY, "-c", "echo before; sleep 1; echo survived"],
                 [sys.executable, "-c", "import time; print('before', flush=True); time.sleep(1); print('survived')"]):
        wrapped = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *argv]
        results.append(signalled(wrapped, signal.SIGINT))
    (status, out, err), (py_status, py_out, _) = results
    check((status, out) == (py_status, py_out) and "KeyboardInterrupt" not in err,
          f"SIGINT ignored at start: sockshell exit {exit_text(status)}, stdout {out!r}, stderr {err!r}; "
          f"python3 exit {exit_text(py_status)}, stdout {py_out!r}")


def first_line_then_close(argv, env):
    """Runs argv with stdout a pipe whose reader takes one line and closes it."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=WORK, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        err = proc.stderr.read()
        proc.wait(SIGNAL_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, first, err.decode("utf-8", "backslashreplace").splitlines()


@test
def test_7_signals_closed_stdout_stops_at_the_first_failed_write():
    # `sockshell script | head -1`: the values after the first line cannot be
    # written; nothing after that write may run (the file must not appear).
    side = os.path.join(WORK, "side-effect.txt")
    path = script("broken.sock", f"echo one\nsleep 0.5\necho two\nsleep 0.5\ngethostname > {side}\necho three\n")
    status, first, err = first_line_then_close([BINARY, path], base_env())
    sh_side = os.path.exists(side)
    py = ("import time\nprint('one')\ntime.sleep(0.5)\nprint('two')\ntime.sleep(0.5)\n"
          f"open({side!r}, 'w').write('x')\nprint('three')\n")
    # Unbuffered, as sockshell writes its values before every wait.
    py_status, py_first, py_err = first_line_then_close([sys.executable, "-u", "-c", py], base_env())
    py_side = os.path.exists(side)
    check(first == py_first == b"one\n", f"first lines: {first!r} / python3 {py_first!r}")
    check((status, sh_side) == (py_status, py_side),
          f"sockshell exit {exit_text(status)}, side effect ran: {sh_side}; python3 exit {exit_text(py_status)}, "
          f"side effect ran: {py_side}; stderr {err!r}")
    check(err == [f"{path}:4: {py_err[-1]}"], f"stderr {err!r}, python3's last line {py_err[-1:]!r}")


def closed_pipe_run(argv, env):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(argv, stdout=write_end, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              timeout=SIGNAL_TIMEOUT, cwd=WORK, env=env)
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr.decode("utf-8", "backslashreplace").splitlines()


@test
def test_7_signals_closed_stdout_at_exit_is_python_s_status_120():
    # Nothing waits, so the values are written at exit, as python3 flushes
    # its buffered stdout at exit: its two lines, and status 120.
    buffered = base_env()
    buffered.pop("PYTHONUNBUFFERED", None)
    expected = closed_pipe_run([sys.executable, "-c", "print('one'); print('two')"], buffered)
    actual = closed_pipe_run([BINARY, "-c", "echo one; echo two"], base_env())
    check(actual == expected, f"closed pipe: sockshell {actual!r}, python3 {expected!r}")
    # A full disk is the same, with its own errno.
    with open("/dev/full", "w") as full:
        expected = subprocess.run([sys.executable, "-c", "print('one')"], stdout=full, stderr=subprocess.PIPE,
                                  timeout=SIGNAL_TIMEOUT, env=buffered)
        actual = subprocess.run([BINARY, "-c", "echo one"], stdout=full, stderr=subprocess.PIPE,
                                timeout=SIGNAL_TIMEOUT, cwd=WORK, env=base_env())
    check((actual.returncode, actual.stderr) == (expected.returncode, expected.stderr),
          f"/dev/full: sockshell {actual.returncode} {actual.stderr!r}, python3 {expected.returncode} {expected.stderr!r}")


def pty_session(lines, timeout=SIGNAL_TIMEOUT):
    """Types lines at a sockshell prompt on a pty, then Ctrl-D; (exit status, screen text)."""
    # A history of its own, so the numbers `history` shows are known.
    env = base_env(TERM="dumb", XDG_STATE_HOME=tempfile.mkdtemp(dir=WORK))
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BINARY, [BINARY], env)
    screen = b""
    deadline = time.monotonic() + timeout
    pending = [line.encode() + b"\r" for line in lines] + [b"\x04"]
    sent = 0
    status = None
    try:
        while time.monotonic() < deadline:
            # One line a prompt: the next only once the last one has run.
            if pending and screen.count(b"sock> ") > sent:
                os.write(fd, pending.pop(0))
                sent += 1
            ready, _, _ = select_module.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                screen += chunk
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
                break
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return status, screen.decode("utf-8", "backslashreplace").replace("\r", "")


@test
def test_7_signals_history_with_a_negative_count_is_an_error():
    status, screen = pty_session(["echo first", "history -1", "history -9223372036854775807", "history 2",
                                  "echo alive"])
    check(status == 0, f"exit {exit_text(status)}; screen {screen[-600:]!r}")
    check(screen.count("ValueError: history length must be non-negative") == 2 and "alive" in screen
          and "    3  history -9223372036854775807" in screen,
          f"screen {screen[-600:]!r}")


# --- inside namespaces: link-local IPv6, and /etc/hosts -----------------------------

LINK_LOCAL_SH = """socket srv inet6
bind srv ('fe80::1', 0, 0, {index})
listen srv
getsockname srv
socket c1 inet6
connect c1 fe80::1%lo $srv.port
socket c2 inet6
connect c2 ('fe80::1', $srv.port, 0, {index})
getpeername c2
create_connection c3 fe80::1%lo $srv.port
getpeername c3
socket u udp6
bind u ('fe80::1', 0, 0, {index})
socket v udp6
sendto v b'x' ('fe80::1', $u.port, 0, {index})
recvfrom u
getnameinfo ('fe80::1%lo', $srv.port, 0, {index}) NI_NUMERICHOST|NI_NUMERICSERV
"""

LINK_LOCAL_PY = """import socket, traceback
def show(f):
    try:
        value = f()
    except Exception as e:
        print(traceback.format_exception_only(type(e), e)[-1].rstrip())
        return
    if value is not None:
        print(repr(value))
srv = socket.socket(socket.AF_INET6); srv.bind(('fe80::1', 0, 0, {index})); srv.listen()
port = srv.getsockname()[1]
show(lambda: srv.getsockname())
c1 = socket.socket(socket.AF_INET6); show(lambda: c1.connect(('fe80::1%lo', port)))
c2 = socket.socket(socket.AF_INET6); show(lambda: c2.connect(('fe80::1', port, 0, {index}))); show(lambda: c2.getpeername())
c3 = socket.create_connection(('fe80::1%lo', port)); show(lambda: c3.getpeername())
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('fe80::1', 0, 0, {index}))
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
show(lambda: v.sendto(b'x', ('fe80::1', u.getsockname()[1], 0, {index})))
show(lambda: u.recvfrom(4096))
show(lambda: socket.getnameinfo(('fe80::1%lo', port, 0, {index}), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV))
"""


@test
def test_7_signals_link_local_scope_as_python_in_a_namespace():
    namespace = make_namespace("ll")
    # A link-local address on the namespace's own loopback: traffic that
    # needs a scope id, and never leaves the namespace.
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "-6", "addr", "add", "fe80::1/64", "dev", "lo", "nodad"]):
        in_namespace(namespace, *command)
    index = python_in_namespace(namespace, "import socket; print(socket.if_nametoindex('lo'))")
    check(index.isdigit(), f"no index for lo: {index!r}")
    py = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", LINK_LOCAL_PY.format(index=index)],
                        capture_output=True, text=True, timeout=SIGNAL_TIMEOUT)
    check(py.returncode == 0, f"python3 in the namespace failed: {py.stderr[-400:]}")
    path = script("link-local.sock", LINK_LOCAL_SH.format(index=index))
    result = run([path], prefix=("ip", "netns", "exec", namespace))

    def ports_hidden(lines):
        return [re.sub(r"'(fe80::1)', \d+", r"'\1', PORT", re.sub(r"'\d+'\)$", "'PORT')", line)) for line in lines]

    actual = [line.split(": ", 1)[1] if line.startswith(path + ":") else line
              for line in result.out_lines + result.err_lines]
    expected = ports_hidden(py.stdout.splitlines())
    # Values and errors go to two streams: compare them as sets of lines, and the values in order.
    errors = [line for line in expected if re.match(r"^[A-Za-z.]+Error", line)]
    values = [line for line in expected if line not in errors]
    check(ports_hidden(result.out_lines) == values and sorted(ports_hidden(actual)) == sorted(expected),
          f"in a namespace with fe80::1 on lo (index {index}):\n      python3:   {expected!r}\n"
          f"      sockshell: {ports_hidden(actual)!r}\n{result.describe()}")


HOSTS = (b"127.0.0.1 localhost\n"
         b"127.0.0.5 caf\xe9\n"            # Latin-1 at the end: unexpected end of data
         b"127.0.0.6 good caf\xe9-alias\n"  # in an alias, before another byte: invalid continuation
         b"127.0.0.7 x\xc3\x28y\n"          # a two-byte lead, a bad second byte
         b"127.0.0.8 ok\xe2\x82\n")         # a three-byte sequence cut short

HOSTS_CALLS = [
    ("gethostbyaddr 127.0.0.5", "socket.gethostbyaddr('127.0.0.5')"),
    ("gethostbyaddr 127.0.0.6", "socket.gethostbyaddr('127.0.0.6')"),
    ("gethostbyaddr 127.0.0.7", "socket.gethostbyaddr('127.0.0.7')"),
    ("gethostbyaddr 127.0.0.8", "socket.gethostbyaddr('127.0.0.8')"),
    ("gethostbyname_ex good", "socket.gethostbyname_ex('good')"),
    ("getfqdn 127.0.0.5", "socket.getfqdn('127.0.0.5')"),
    ("getnameinfo 127.0.0.5 0 0", "socket.getnameinfo(('127.0.0.5', 0), 0)"),
    ("gethostbyaddr 127.0.0.1", "socket.gethostbyaddr('127.0.0.1')"),
]


@test
def test_7_signals_non_utf8_hosts_name_as_python():
    hosts = os.path.join(WORK, "hosts")
    with open(hosts, "wb") as f:
        f.write(HOSTS)
    # A private mount namespace: the machine's /etc/hosts is never touched.
    private = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
    if os.getuid() != 0:
        private[1:2] = ["-rm"]
    probe = subprocess.run(private + ["true"], capture_output=True, text=True, timeout=SIGNAL_TIMEOUT)
    if shutil.which("unshare") is None or probe.returncode != 0:
        raise Skip(f"cannot bind-mount a hosts file in a private mount namespace: {probe.stderr.strip()!r}")
    py = "import socket, traceback\n" + "".join(
        f"try:\n    print(repr({call}))\nexcept Exception as e:\n"
        f"    print(traceback.format_exception_only(type(e), e)[-1].rstrip())\n" for _, call in HOSTS_CALLS)
    expected = subprocess.run(private + [sys.executable, "-c", py], capture_output=True, text=True,
                              timeout=SIGNAL_TIMEOUT).stdout.splitlines()
    # Each failing lookup 50 times, then a new socket: still fd 3 (no descriptor leaked).
    lines = [line for line, _ in HOSTS_CALLS] + ["gethostbyaddr 127.0.0.5"] * 50 + ["socket t", "fileno t"]
    path = script("hosts.sock", "\n".join(lines) + "\n")
    result = run([path], prefix=tuple(private))
    by_line = {}
    for line in result.err_lines:
        match = re.match(re.escape(path) + r":(\d+): (.*)", line)
        if match:
            by_line[int(match.group(1))] = match.group(2)
    values = iter(result.out_lines)
    actual = [by_line[number] if number in by_line else next(values, "(nothing)")
              for number in range(1, len(HOSTS_CALLS) + 1)]
    check(actual == expected, f"with a non-UTF-8 /etc/hosts:\n      python3:   {expected!r}\n"
          f"      sockshell: {actual!r}\n{result.describe()}")
    check(result.out_lines[-1:] == ["3"], f"fd after 50 failing lookups: {result.out_lines[-1:]!r}")
