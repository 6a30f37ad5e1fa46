"""The measurements behind scripts/bench (python3 stdlib only).

scripts/bench installs the tools, builds sockshell and prints the machine;
this file runs every row of the table, sockshell and its peer alternately in
the same run, and prints the table of medians and ratios.

    bench.py --binary SOCKSHELL --tmp DIR [--quick] [--have TOOL ...] [--only ROW ...]

--have names the tools that were found or installed (hyperfine, socat,
iperf3, time); a row whose tool is missing says so instead of a number.
"""
import argparse
import json
import os
import resource
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import time

LIB = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LIB)
import packets_bench  # noqa: E402 - the packet rows, beside this file
import serve_bench  # noqa: E402 - the server rows, beside this file
import tls_bench  # noqa: E402 - the TLS rows, beside this file
# The Python peers run this interpreter itself: `python3` on PATH may be a
# shim (pyenv's is a bash script that execs pyenv), whose own start-up would
# be charged to Python.
PY = sys.executable
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

# Sizes and repetitions: the full sizes, and --quick's small ones.
FULL = dict(replay=20_000, round_trips=10_000, bulk=1 * GIB, sockets=10_000,
            startup_rounds=3, startup_runs=20, script_rounds=3, script_runs=3,
            bulk_runs=3, receive_runs=5, socket_sessions=3, table_reps=5, memory_runs=9,
            serve_clients=100, serve_trips=1_000, serve_cycles=10_000, serve_runs=3, serve_prompt_samples=40,
            serve_idle=1_000, packet_rounds=5_000, packet_runs=3, packet_bulk=64 << 20,
            tls_bulk=256 * MIB, tls_runs=5)
QUICK = dict(replay=400, round_trips=1_000, bulk=64 * MIB, sockets=500,
             startup_rounds=2, startup_runs=15, script_rounds=2, script_runs=3,
             bulk_runs=3, receive_runs=3, socket_sessions=2, table_reps=5, memory_runs=5,
             serve_clients=20, serve_trips=100, serve_cycles=500, serve_runs=1, serve_prompt_samples=10,
             serve_idle=200, packet_rounds=200, packet_runs=1, packet_bulk=8 << 20,
             tls_bulk=32 * MIB, tls_runs=1)

rows = []    # the table: dicts with row, ss, peer, ratio, target, holds
notes = []   # what a reader needs to read the table right


T0 = time.monotonic()


def log(message):
    print(f"bench: {time.monotonic() - T0:5.1f}s {message}", file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- the table

def fmt_ms(seconds):
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def fmt_rate(bytes_per_second):
    return "—" if bytes_per_second is None else f"{bytes_per_second / GIB:.2f} GiB/s"


def fmt_kib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def add_row(name, ss, peer, ratio, target, ok, miss=None):
    """ok: True, False or None (not measured / informational). miss: how far
    off a missed target is, in words."""
    if ok is None:
        holds = "—"
    elif ok:
        holds = "yes"
    else:
        holds = "**NO**" + (f" ({miss})" if miss else "")
    rows.append(dict(row=name, ss=ss, peer=peer,
                     ratio="—" if ratio is None else f"{ratio:.2f}", target=target, holds=holds))


def at_most(value, limit):
    """(ok, miss) for a target value <= limit."""
    if value is None:
        return None, None
    return value <= limit, None if value <= limit else f"{value / limit:.3g}x the limit"


def at_least(value, limit):
    if value is None:
        return None, None
    return value >= limit, None if value >= limit else f"{value / limit:.3g} of the target"


def print_table():
    header = ["row", "sockshell", "peer", "ratio", "target", "holds"]
    keys = ["row", "ss", "peer", "ratio", "target", "holds"]
    widths = [max(len(h), *(len(r[k]) for r in rows)) for h, k in zip(header, keys)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line([r[k] for k in keys]))
    if notes:
        print()
        for n in notes:
            print(f"- {n}")


# ------------------------------------------------------------ running things

class Runner:
    """Runs commands alternately and times them. With hyperfine, each round
    is one hyperfine call over all the commands (a few runs of each), and the
    rounds alternate; without it, every single run alternates."""

    def __init__(self, tmp, hyperfine, gnu_time):
        self.tmp = tmp
        self.hyperfine = hyperfine
        self.gnu_time = gnu_time

    def compare(self, commands, rounds, runs, warmup=1):
        """commands: {label: argv}. Returns {label: [wall seconds]}, or raises."""
        if self.hyperfine:
            try:
                return self._hyperfine(commands, rounds, runs, warmup)
            except RuntimeError as e:
                notes.append(f"hyperfine failed ({e}); that row fell back to alternating runs")
        return self._alternate(commands, rounds * runs, warmup)

    def _hyperfine(self, commands, rounds, runs, warmup):
        times = {label: [] for label in commands}
        export = os.path.join(self.tmp, "hyperfine.json")
        for _ in range(rounds):
            argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup),
                    "--runs", str(runs), "--export-json", export]
            for label, cmd in commands.items():
                argv += ["-n", label, shlex.join(cmd)]
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
            with open(export) as f:
                for result in json.load(f)["results"]:
                    times[result["command"]] += result["times"]
        return times

    def _alternate(self, commands, runs, warmup):
        times = {label: [] for label in commands}
        for i in range(warmup + runs):
            for label, cmd in commands.items():
                seconds, _, rc, err = self.run(cmd)
                if rc != 0:
                    raise RuntimeError(f"{label} exited {rc}: {err.strip()[-300:]}")
                if i >= warmup:
                    times[label].append(seconds)
        return times

    def run(self, cmd, stdout=subprocess.DEVNULL):
        """One run: (wall seconds, peak RSS KiB, exit status, stderr). Peak
        RSS is GNU time's %M when it is installed, else the same kernel
        number (ru_maxrss) straight from wait4."""
        err_path = os.path.join(self.tmp, "stderr.txt")
        mem_path = os.path.join(self.tmp, "time.txt")
        argv = (["/usr/bin/time", "-f", "%M", "-o", mem_path] + cmd) if self.gnu_time else cmd
        with open(err_path, "w") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss
        if self.gnu_time:
            try:
                with open(mem_path) as f:
                    peak = int(f.read().split()[-1])
            except (OSError, ValueError, IndexError):
                pass
        with open(err_path) as f:
            return seconds, peak, p.returncode, f.read()


class Server:
    """A servers.py process (sink or source), its port, and its result lines."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, os.path.join(LIB, "servers.py"), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline().split()
        if len(first) != 2 or first[0] != "PORT":
            raise RuntimeError(f"servers.py {args[0]} did not start")
        self.port = int(first[1])

    def result(self, timeout=30):
        """(bytes, seconds) of the last connection, or None."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        parts = self.proc.stdout.readline().split()
        if len(parts) != 2 or parts[0] == "ERR":
            return None
        return int(parts[0]), float(parts[1])

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, timeout=5):
    """Whether something listens on 127.0.0.1:port, by /proc/net/tcp (a test
    connection would be taken by iperf3 for a client)."""
    wanted = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/tcp") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3 and fields[1] == wanted and fields[3] == "0A":
                    return True
        time.sleep(0.02)
    return False


# ------------------------------------------------------------------ the rows

def row_startup(cfg, runner, ss):
    log("start-up")
    commands = {"sockshell": [ss, "-c", "gethostname"],
                "python": [PY, "-c", "import socket; print(socket.gethostname())"]}
    times = runner.compare(commands, cfg["startup_rounds"], cfg["startup_runs"], warmup=3)
    a, b = median(times["sockshell"]), median(times["python"])
    ok, miss = at_most(a / b, 0.15)
    add_row("start-up: `-c gethostname`", fmt_ms(a), fmt_ms(b), a / b, "ratio <= 0.15", ok, miss)


def row_replay(cfg, runner, ss, tmp):
    n = cfg["replay"]
    log(f"replay ({5 * n} commands)")
    script = os.path.join(tmp, "replay.sock")
    with open(script, "w") as f:
        f.write("socket s\nsetsockopt s SOL_SOCKET SO_REUSEADDR 1\nbind s 127.0.0.1 0\ngetsockname s\nclose s\n" * n)
    # The Python peer makes the same calls, printing the same values, in a
    # generated script written as a Python user writes it: a loop. (Unrolled
    # into 5 x N lines it mostly measures CPython's compiler; that form is
    # shown as an extra, informational row.)
    body = ("    s = socket.socket()\n"
            "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "    s.bind(('127.0.0.1', 0))\n"
            "    print(s.getsockname())\n"
            "    s.close()\n")
    loop = os.path.join(tmp, "replay_loop.py")
    with open(loop, "w") as f:
        f.write(f"import socket\nfor _ in range({n}):\n{body}")
    unrolled = os.path.join(tmp, "replay_unrolled.py")
    with open(unrolled, "w") as f:
        f.write("import socket\n" + "".join(line[4:] + "\n" for line in body.splitlines()) * n)
    # The same calls with a socket name of its own on each pass, so that no
    # line repeats: sockshell's cache of lexed lines never hits, and the row
    # shows the lexer's full cost (an extra, informational row).
    distinct = os.path.join(tmp, "replay_distinct.sock")
    with open(distinct, "w") as f:
        for i in range(n):
            f.write(f"socket s{i}\nsetsockopt s{i} SOL_SOCKET SO_REUSEADDR 1\nbind s{i} 127.0.0.1 0\n"
                    f"getsockname s{i}\nclose s{i}\n")
    commands = {"sockshell": [ss, script], "python": [PY, loop],
                "python-unrolled": [PY, unrolled], "sockshell-distinct": [ss, distinct]}
    times = runner.compare(commands, cfg["script_rounds"], cfg["script_runs"])
    a, b, c, d = (median(times[k]) for k in commands)
    ok, miss = at_most(a / b, 1.0)
    add_row(f"replay: {5 * n:,} commands (Python: a loop)", fmt_ms(a), fmt_ms(b), a / b, "ratio <= 1.0", ok, miss)
    add_row(f"replay, info: no line repeats (names s0..s{n - 1})", fmt_ms(d), fmt_ms(b), d / b, "(info)", None)
    add_row(f"replay, info: Python unrolled to {5 * n:,} lines", fmt_ms(a), fmt_ms(c), a / c, "(info)", None)


def row_replay_python(cfg, runner, ss, tmp):
    """The replay row's calls written as Python, one call a line, and the
    very same file run by `sockshell FILE` and by `python3 FILE`. Every line
    is a statement whose output is the same in both (a bare expression would
    print its value in sockshell, as at Python's prompt, and nothing in
    python3 running a file), so the two print the same bytes but for the
    ports the kernel picks. No loop: sockshell reads no blocks, so the file
    is unrolled, and CPython compiles all of it before the first call."""
    n = cfg["replay"]
    log(f"replay python ({5 * n} Python lines, and as many on a socketpair)")
    # The replay row's five calls, exactly as its Python peer's loop body.
    calls = ("s = socket.socket()\n"
             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
             "s.bind(('127.0.0.1', 0))\n"
             "print(s.getsockname())\n"
             "s.close()\n")
    script = os.path.join(tmp, "replay_python.py")
    with open(script, "w") as f:
        f.write("import socket\n" + calls * n)
    # The same in a loop, as a Python user writes it: CPython's best case.
    loop = os.path.join(tmp, "replay_python_loop.py")
    with open(loop, "w") as f:
        f.write(f"import socket\nfor _ in range({n}):\n" + "".join("    " + line + "\n" for line in calls.splitlines()))
    # Five calls on a socketpair, with a kept value: what goes in comes out,
    # so nothing piles up in either socket's buffer.
    pair_calls = ("a.sendall(b'ping')\n"
                  "x = b.recv(4)\n"
                  "b.sendall(x)\n"
                  "print(a.recv(4))\n"
                  "print(b.getsockname())\n")
    pair = os.path.join(tmp, "replay_python_pair.py")
    with open(pair, "w") as f:
        f.write("import socket\na, b = socket.socketpair()\n" + pair_calls * n)
    # Both must print the same thing before either is timed (ports masked).
    for path, masked in ((script, True), (pair, False)):
        outs = []
        for cmd in ([ss, path], [PY, path]):
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(f"{shlex.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace').strip()[-300:]}")
            out = done.stdout
            if masked:
                out = b"".join(line.rsplit(b",", 1)[0] + b"\n" for line in out.splitlines())
            outs.append(out)
        if outs[0] != outs[1]:
            raise RuntimeError(f"sockshell and python3 print different things for {os.path.basename(path)}")
    commands = {"sockshell": [ss, script], "python": [PY, script], "python-loop": [PY, loop],
                "sockshell-pair": [ss, pair], "python-pair": [PY, pair]}
    times = runner.compare(commands, cfg["script_rounds"], cfg["script_runs"])
    a, b, c, d, e = (median(times[k]) for k in commands)
    ok, miss = at_most(a / b, 1.0)
    add_row(f"replay, Python syntax: {5 * n:,} lines, `sockshell F.py` vs `python3 F.py`",
            fmt_ms(a), fmt_ms(b), a / b, "ratio <= 1.0", ok, miss)
    ok, miss = at_most(d / e, 1.0)
    add_row(f"replay, Python syntax, on a socketpair: {5 * n:,} lines, the same file",
            fmt_ms(d), fmt_ms(e), d / e, "ratio <= 1.0", ok, miss)
    add_row(f"replay, Python syntax, info: vs the same calls in a Python loop",
            fmt_ms(a), fmt_ms(c), a / c, "(info)", None)
    notes.append("replay, Python syntax: one file of Python lines (`import socket`, then "
                 "`s = socket.socket()`, `s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)`, "
                 "`s.bind(('127.0.0.1', 0))`, `print(s.getsockname())`, `s.close()` N times; on a socketpair "
                 "`a.sendall(b'ping')`, `x = b.recv(4)`, `b.sendall(x)`, `print(a.recv(4))`, "
                 "`print(b.getsockname())`), run by sockshell and by python3, which print the same "
                 "(checked before timing); unrolled, since sockshell reads no loops, so python3 compiles "
                 "every line first")


def row_round_trips(cfg, runner, ss, tmp):
    n = cfg["round_trips"]
    log(f"round trips ({n})")
    msg = "0123456789abcdef" * 4   # 64 bytes
    script = os.path.join(tmp, "round_trips.sock")
    with open(script, "w") as f:
        f.write("socketpair a b\n" + f"sendall a b'{msg}'\nrecv b 64\n" * n)
    peer = os.path.join(tmp, "round_trips.py")
    with open(peer, "w") as f:
        f.write(f"import socket\na, b = socket.socketpair()\nmsg = b'{msg}'\n"
                f"for _ in range({n}):\n    a.sendall(msg)\n    print(b.recv(64))\n")
    times = runner.compare({"sockshell": [ss, script], "python": [PY, peer]},
                           cfg["script_rounds"], cfg["script_runs"])
    a, b = median(times["sockshell"]), median(times["python"])
    ok, miss = at_most(a / b, 1.0)
    add_row(f"round trips: {n:,} x 64 B over a socketpair", fmt_ms(a), fmt_ms(b), a / b, "ratio <= 1.0", ok, miss)


def make_file(path, size):
    block = os.urandom(MIB)
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(block)
        f.write(block[: size % MIB])


def row_bulk_send(cfg, runner, ss, tmp, data, have):
    size = cfg["bulk"]
    log(f"bulk send ({size // MIB} MiB)")
    sink = Server("sink")
    port = sink.port
    senders = {
        "sockshell sendfile": [ss, "-c", f"socket c; connect c 127.0.0.1 {port}; sendfile c {data}"],
        "sockshell sendall @FILE": [ss, "-c", f"socket c; connect c 127.0.0.1 {port}; sendall c @{data}"],
        "python sendfile": [PY, "-c",
                            "import socket, sys; s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); "
                            "s.sendfile(open(sys.argv[2], 'rb')); s.close()", str(port), data],
    }
    if "socat" in have:
        # socat as people run it (its default 8 KiB buffer), file to socket.
        senders["socat"] = ["socat", "-u", f"OPEN:{data},rdonly", f"TCP:127.0.0.1:{port}"]
    iperf = None
    if "iperf3" in have:
        iperf_port = free_port()
        iperf = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(iperf_port)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_listening(iperf_port):
            notes.append("iperf3's server did not start listening; no iperf3 rate")
            iperf.kill()
            iperf.wait()
            iperf = None
    rates = {label: [] for label in list(senders) + ["iperf3"]}
    peaks = {label: [] for label in senders}
    failures = []
    try:
        for _ in range(cfg["bulk_runs"]):
            for label, cmd in senders.items():
                _, peak, rc, err = runner.run(cmd)
                result = sink.result()
                if rc != 0 or result is None or result[0] != size:
                    failures.append(f"{label}: exit {rc}, sink got {result and result[0]} of {size} bytes {err.strip()[-200:]}")
                    continue
                rates[label].append(size / result[1])
                peaks[label].append(peak)
            if iperf:
                done = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(iperf_port), "-n", str(size), "-J"],
                                      capture_output=True, text=True)
                try:
                    rates["iperf3"].append(json.loads(done.stdout)["end"]["sum_received"]["bits_per_second"] / 8)
                except (ValueError, KeyError):
                    failures.append(f"iperf3 client: exit {done.returncode} {done.stdout[-200:]}")
    finally:
        sink.stop()
        if iperf:
            iperf.terminate()
            iperf.wait()
    for f in failures:
        notes.append(f"bulk send failure: {f}")
    med = {label: median(v) for label, v in rates.items()}
    for method in ("sendfile", "sendall @FILE"):
        label = f"sockshell {method}"
        mine = med[label]
        if "socat" in senders:
            ratio = mine / med["socat"] if mine and med["socat"] else None
            ok, miss = at_least(ratio, 1.0)
            add_row(f"bulk send {size // MIB} MiB: `{method}` vs socat", fmt_rate(mine), fmt_rate(med["socat"]),
                    ratio, "throughput >= socat's", ok, miss)
        else:
            add_row(f"bulk send {size // MIB} MiB: `{method}` vs socat", fmt_rate(mine), "skipped: no socat",
                    None, "throughput >= socat's", None)
        if med["iperf3"]:
            ratio = mine / med["iperf3"] if mine else None
            ok, miss = at_least(ratio, 0.6)
            add_row(f"bulk send {size // MIB} MiB: `{method}` vs iperf3", fmt_rate(mine), fmt_rate(med["iperf3"]),
                    ratio, ">= 0.6 x iperf3's rate", ok, miss)
        else:
            add_row(f"bulk send {size // MIB} MiB: `{method}` vs iperf3", fmt_rate(mine), "skipped: no iperf3",
                    None, ">= 0.6 x iperf3's rate", None)
    mine, py = med["sockshell sendfile"], med["python sendfile"]
    add_row(f"bulk send, info: `sendfile` vs Python sendfile", fmt_rate(mine), fmt_rate(py),
            mine / py if mine and py else None, "(info)", None)
    notes.append("bulk send: throughput is what the discarding receiver (scripts/bench-lib/servers.py sink, "
                 "python3 recv_into a 4 MiB buffer) measured from accept to EOF; peak RSS of "
                 + ", ".join(f"{label} {fmt_kib(median(p))}" for label, p in peaks.items() if p))


def row_bulk_receive(cfg, runner, ss, tmp, data):
    """Two things outside either receiver decided this row from run to run,
    so the target is measured with both held still, and each is shown
    moving in an informational row:

    - The file system. Writing 1 GiB of fresh page cache to this VM's ext4
      took 0.3 to 3.6 GiB/s from one run to the next with no socket involved;
      on tmpfs (/dev/shm) it is steady. The target writes to tmpfs.
    - Where the scheduler puts the receiver. With the sender on the same
      core, the sender's work bounds both receivers (recvall 0.69-0.93 GiB/s,
      Python 0.68-0.85); each on a core of its own, recvall's single copy
      shows (1.1-2.2 vs 0.85-0.94). Left to the scheduler, a run is one or
      the other. The target pins the sender to one core and every receiver
      to another (as iperf3 -A does), where there are two cores and taskset.
    """
    size = cfg["bulk"]
    shm = "/dev/shm"
    tmpfs = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 * size else None
    cpus = sorted(os.sched_getaffinity(0))
    pin = (cpus[0], cpus[1]) if len(cpus) >= 2 and shutil.which("taskset") else None
    target_place = tmpfs or tmp
    receive_into(cfg, runner, ss, tmp, data, target_place, pin, True)
    if pin:
        receive_into(cfg, runner, ss, tmp, data, target_place, None, False)
    if tmpfs:
        receive_into(cfg, runner, ss, tmp, data, tmp, pin, False)


def receive_into(cfg, runner, ss, tmp, data, directory, pin, is_target):
    size = cfg["bulk"]
    where = "tmpfs" if directory.startswith("/dev/shm") else "disk (temporary directory)"
    placement = f"receiver on core {pin[1]}, sender on core {pin[0]}" if pin else "cores as the scheduler chose"
    log(f"bulk receive ({size // MIB} MiB) into {directory}, {placement}")
    source = Server("source", data)
    port = source.port
    if pin:
        # The server's threads are made per connection, after this: they inherit it.
        os.sched_setaffinity(source.proc.pid, {pin[0]})
    pinned = ["taskset", "-c", str(pin[1])] if pin else []
    out = os.path.join(directory, f"sockshell-bench-received-{os.getpid()}.bin")
    peer = os.path.join(tmp, "recv_loop.py")
    with open(peer, "w") as f:
        # The same buffer size as recvall's default (64 KiB).
        f.write("import socket, sys\n"
                "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                "with open(sys.argv[2], 'wb') as f:\n"
                "    while True:\n"
                "        data = s.recv(65536)\n"
                "        if not data:\n"
                "            break\n"
                "        f.write(data)\n")
    # The target pair writes a file; the same pair writing to /dev/null shows
    # what the socket side alone costs (measured once, with the target).
    receivers = {"sockshell": pinned + [ss, "-c", f"socket c; connect c 127.0.0.1 {port}; recvall c > {out}"],
                 "python": pinned + [PY, peer, str(port), out]}
    if is_target:
        receivers["sockshell /dev/null"] = pinned + [ss, "-c", f"socket c; connect c 127.0.0.1 {port}; recvall c > /dev/null"]
        receivers["python /dev/null"] = pinned + [PY, peer, str(port), "/dev/null"]
    rates = {label: [] for label in receivers}
    peaks = {label: [] for label in receivers}
    ceiling = []
    failures = []
    try:
        # More runs than bulk send: writing 1 GiB of fresh page cache is the
        # noisiest thing here.
        for _ in range(cfg["receive_runs"]):
            for label, cmd in receivers.items():
                _, peak, rc, err = runner.run(cmd)
                result = source.result()
                if cmd[-1] == "/dev/null" or cmd[-1].endswith("> /dev/null"):
                    got = result[0] if result else 0
                else:
                    got = os.path.getsize(out) if os.path.exists(out) else 0
                if os.path.exists(out):
                    os.unlink(out)
                # Start every run from a clean page cache state: no earlier
                # run's writeback competing with this one's writes.
                os.sync()
                if rc != 0 or result is None or got != size:
                    failures.append(f"{label}: exit {rc}, wrote {got} of {size} bytes {err.strip()[-200:]}")
                    continue
                rates[label].append(size / result[1])
                peaks[label].append(peak)
            # The file system alone: the same bytes written from memory in
            # 64 KiB pieces to a file beside the others (a ceiling for both).
            block = os.urandom(64 * KIB)
            t0 = time.perf_counter()
            with open(out, "wb") as f:
                for _ in range(size // len(block)):
                    f.write(block)
            ceiling.append(size / (time.perf_counter() - t0))
            os.unlink(out)
            os.sync()
    finally:
        source.stop()
        if os.path.exists(out):
            os.unlink(out)
    for f in failures:
        notes.append(f"bulk receive failure ({where}): {f}")
    a, b = median(rates["sockshell"]), median(rates["python"])
    ratio = a / b if a and b else None
    short = "own core" if pin else "unpinned"
    if is_target:
        ok, miss = at_least(ratio, 1.5)
        add_row(f"bulk receive {size // MIB} MiB: `recvall c > FILE` on {where}, {short}", fmt_rate(a), fmt_rate(b),
                ratio, "throughput >= 1.5 x Python's", ok, miss)
    else:
        add_row(f"bulk receive, info: the same on {where}, {short}", fmt_rate(a), fmt_rate(b), ratio, "(info)", None)
    if is_target:
        a, b = median(rates["sockshell /dev/null"]), median(rates["python /dev/null"])
        add_row(f"bulk receive, info: `recvall c > /dev/null`", fmt_rate(a), fmt_rate(b),
                a / b if a and b else None, "(info)", None)
        pa, pb = median(peaks["sockshell"]), median(peaks["python"])
        ok = None if pa is None else pa < 64 * KIB
        add_row(f"bulk receive {size // MIB} MiB: peak memory", fmt_kib(pa), fmt_kib(pb),
                pa / pb if pa and pb else None, "< 64 MiB", ok,
                None if ok or pa is None else f"{pa / (64 * KIB):.2f}x the limit")
        notes.append("bulk receive: throughput is what the sender (servers.py source, os.sendfile) measured "
                     "from accept to the receiver's close, so it includes writing the file; the Python peer "
                     "loops on recv(65536), recvall's default size")
    if pin and is_target:
        notes.append(f"bulk receive, {short}: {placement}")
    notes.append(f"bulk receive on {where}, {short}: the file system alone took the same bytes from memory "
                 f"(64 KiB writes, no socket) at {fmt_rate(median(ceiling))} "
                 f"(runs: {', '.join(fmt_rate(c) for c in ceiling)})")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def read_until(fd, marker, timeout=60):
    """Reads fd until the output ends with marker; returns everything read."""
    chunks = []
    tail = b""
    deadline = time.monotonic() + timeout
    while not tail.endswith(marker):
        ready, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            raise RuntimeError(f"no {marker!r} from sockshell")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise RuntimeError("sockshell closed its output")
        chunks.append(chunk)
        tail = (tail + chunk)[-len(marker):]
    return b"".join(chunks)


def row_many_sockets(cfg, ss, tmp):
    n = cfg["sockets"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
        except (ValueError, OSError):
            pass
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft < want:
            notes.append(f"many sockets: the open-file limit is {soft} (hard {hard}); "
                         f"measured {soft - 256} sockets instead of {n}")
            n = max(soft - 256, 1)
    log(f"many sockets ({n})")
    # sockshell reads commands from a pipe (stdin mode, no prompt) and writes
    # each command's output as it finishes, so the driver can act between
    # commands: read /proc/PID/status VmRSS after `echo ready` (before) and
    # after the N sockets exist (after), then time each `sockets` directly,
    # from writing "sockets" plus an `echo` marker to reading that marker after
    # the whole table. The pipe round trip this includes is about 0.1 ms
    # (measured below with a bare `echo` and reported in the notes).
    table_times, growth, echo_times, hwm_after = [], [], [], []
    for _ in range(cfg["socket_sessions"]):
        err = open(os.path.join(tmp, "sockets.err"), "w")
        p = subprocess.Popen([ss], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        fd = p.stdout.fileno()
        try:
            p.stdin.write(b"echo ready\n")
            p.stdin.flush()
            read_until(fd, b"ready\n")
            before, _ = rss_kib(p.pid)
            p.stdin.write("".join(f"socket s{i}\n" for i in range(n)).encode() + b"echo created\n")
            p.stdin.flush()
            read_until(fd, b"created\n")
            after, _ = rss_kib(p.pid)
            growth.append((after - before) * 1024 / n)
            for _ in range(cfg["table_reps"]):
                t0 = time.perf_counter()
                p.stdin.write(b"echo x\n")
                p.stdin.flush()
                read_until(fd, b"x\n")
                echo_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                p.stdin.write(b"sockets\necho end-of-table\n")
                p.stdin.flush()
                out = read_until(fd, b"end-of-table\n")
                table_times.append(time.perf_counter() - t0)
                lines = out.count(b"\n") - 1
                if lines != n + 1:
                    notes.append(f"many sockets: the table had {lines} lines, expected {n + 1}")
            hwm_after.append(rss_kib(p.pid)[1])
        finally:
            p.stdin.close()
            p.wait()
            err.close()
    with open(os.path.join(tmp, "sockets.err")) as f:
        errors = f.read().strip()
    if errors:
        notes.append(f"many sockets: sockshell said on stderr: {errors[:300]}")
    t = median(table_times)
    ok, miss = at_most(t, 0.1)
    add_row(f"many sockets: `sockets` with {n:,} open", fmt_ms(t), "—", None, "< 100 ms", ok, miss)
    g = median(growth)
    ok, miss = at_most(g, 2048)
    add_row(f"many sockets: RSS growth per socket", f"{g:,.0f} B", "—", None, "<= 2 KiB (2,048 B)", ok, miss)
    notes.append(f"many sockets: a bare `echo` round trip through the pipe took {fmt_ms(median(echo_times))}; "
                 f"peak RSS (VmHWM) after the tables {fmt_kib(median(hwm_after))}")


def row_idle_memory(cfg, runner, ss):
    log("idle memory")
    commands = {"sockshell": [ss, "-c", "gethostname"],
                "python": [PY, "-c", "import socket; print(socket.gethostname())"]}
    peaks = {label: [] for label in commands}
    for _ in range(cfg["memory_runs"]):
        for label, cmd in commands.items():
            _, peak, _, _ = runner.run(cmd)
            peaks[label].append(peak)
    a, b = median(peaks["sockshell"]), median(peaks["python"])
    ok, miss = at_most(a, 16 * KIB)
    add_row("idle memory: peak RSS of `-c gethostname`", fmt_kib(a), fmt_kib(b), a / b, "<= 16 MiB", ok, miss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--have", nargs="*", default=[])
    ap.add_argument("--only", nargs="*", default=[], help="run only these rows (names as logged: replay, replay python, round trips, ...)")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    have = set(args.have)
    ss, tmp = args.binary, args.tmp
    runner = Runner(tmp, "hyperfine" in have, "time" in have and os.access("/usr/bin/time", os.X_OK))
    notes.append(f"python peers: {PY}; load average at the start: {open('/proc/loadavg').read().split()[0]} "
                 "(other work on the machine skews every row; sockshell and its peer alternate so both see it)")
    notes.append("timing: " + ("hyperfine -N, rounds of a few runs of each command, the rounds alternating"
                               if runner.hyperfine else "alternating single runs (no hyperfine)")
                 + "; every figure is a median; peak memory: "
                 + ("GNU time %M" if runner.gnu_time else "ru_maxrss from wait4 (no GNU time)"))
    if args.quick:
        notes.append("--quick: small sizes, to see that every row runs; in the script rows Python's "
                     "start-up (tens of ms) outweighs the calls, so only the full sizes decide those targets")
    steps = [
        ("start-up", lambda: row_startup(cfg, runner, ss)),
        ("replay", lambda: row_replay(cfg, runner, ss, tmp)),
        ("replay python", lambda: row_replay_python(cfg, runner, ss, tmp)),
        ("round trips", lambda: row_round_trips(cfg, runner, ss, tmp)),
    ]
    data = os.path.join(tmp, "data.bin")
    steps += [
        ("bulk data", lambda: make_file(data, cfg["bulk"])),
        ("bulk send", lambda: row_bulk_send(cfg, runner, ss, tmp, data, have)),
        ("bulk receive", lambda: row_bulk_receive(cfg, runner, ss, tmp, data)),
        ("many sockets", lambda: row_many_sockets(cfg, ss, tmp)),
        ("idle memory", lambda: row_idle_memory(cfg, runner, ss)),
        ("serve", lambda: serve_bench.rows(cfg, ss, tmp, add_row, at_least, at_most, notes, log, have)),
        ("packets", lambda: packets_bench.rows(cfg, ss, tmp, add_row, notes, log)),
        ("tls", lambda: tls_bench.rows(cfg, ss, tmp, add_row, at_least, notes, log, have)),
    ]
    if args.only:
        steps = [(name, step) for name, step in steps if name in args.only or (name == "bulk data" and
                 {"bulk send", "bulk receive"} & set(args.only))]
    for name, step in steps:
        try:
            step()
        except Exception as e:   # a broken row says why; the others still run
            log(f"{name} failed: {e}")
            rows.append(dict(row=name, ss="error", peer="—", ratio="—", target="—", holds=f"not measured: {e}"[:120]))
    notes.append(f"load average at the end: {open('/proc/loadavg').read().split()[0]}")
    print()
    print_table()


if __name__ == "__main__":
    main()
