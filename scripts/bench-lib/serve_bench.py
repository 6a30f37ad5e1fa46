"""scripts/bench's server rows (python3 stdlib only): `serve echo select`
against what a user would run instead, in the same run.

    echo servers   sockshell `serve e 127.0.0.1 0 echo select` (and its other
                   models, for information); Python's
                   socketserver.ThreadingTCPServer with an echo handler; socat
                   TCP-LISTEN:PORT,fork,reuseaddr EXEC:cat
    round trips    C clients at once, each R round trips of 64 bytes (sent,
                   then read back whole), from one epoll loop in this process
    connections    N connect, 64-byte echo, close cycles, one after another
    prompt         while the round-trip load runs, `echo ping` typed at
                   sockshell's prompt (a real pty), until `ping` is on the screen
    memory         resident memory per idle client connection (K connected,
                   none sending), from /proc/PID/status VmRSS
"""
import os
import pty
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

PY = sys.executable

PYTHON_ECHO = r"""
import socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024
with Server(("127.0.0.1", 0), Echo) as server:
    print("PORT", server.server_address[1], flush=True)
    server.serve_forever()
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


def start_sockshell(binary, model):
    """sockshell reading commands from a pipe, serving echo; (proc, port)."""
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdin.write(f"set log off\nserve e 127.0.0.1 0 echo {model}\n".encode())
    proc.stdin.flush()
    line = proc.stdout.readline().decode()
    match = re.search(r"', (\d+)\), ", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"serve said {line!r}")
    return proc, int(match.group(1))


def start_python():
    proc = subprocess.Popen([PY, "-c", PYTHON_ECHO], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    return proc, int(line.split()[1])


def start_socat():
    port = free_port()
    proc = subprocess.Popen(["socat", f"TCP-LISTEN:{port},fork,reuseaddr,backlog=1024,bind=127.0.0.1", "EXEC:cat"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port)
    return proc, port


def stop(proc):
    if proc.poll() is None:
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


LOAD = None   # the compiled echo_load client


def build_load(tmp):
    """Compiles echo_load.c (cc, or the clang of the Swift toolchain)."""
    global LOAD
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo_load.c")
    target = os.path.join(tmp, "echo_load")
    for compiler in ("cc", "clang", "gcc"):
        try:
            subprocess.run([compiler, "-O2", "-o", target, source], check=True, capture_output=True, timeout=120)
            LOAD = target
            return compiler
        except (OSError, subprocess.SubprocessError):
            continue
    raise RuntimeError("no C compiler (cc, clang, gcc) for the load client")


def run_load(*args, timeout=600):
    r = subprocess.run([LOAD, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"echo_load {' '.join(map(str, args))}: {r.stderr.strip()}")
    count, seconds = r.stdout.split()
    return int(count) / float(seconds)


def round_trips(port, clients, trips):
    """Round trips per second: `clients` connections at once, each `trips`
    times 64 bytes sent and read back whole."""
    return run_load("rt", port, clients, trips)


def connections(port, count):
    """connect, 64-byte echo, close cycles per second, one after another."""
    return run_load("conn", port, count)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(binary, model, count):
    """KiB of resident memory per idle client connection."""
    proc, port = start_sockshell(binary, model)
    socks = []
    try:
        proc.stdin.write(b"echo ready\n")
        proc.stdin.flush()
        proc.stdout.readline()
        time.sleep(0.2)
        before = rss_kib(proc.pid)
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        # Every client accepted (the server holds them all) before measuring.
        proc.stdin.write(b"sockets\necho counted\n")
        proc.stdin.flush()
        rows = 0
        while True:
            line = proc.stdout.readline()
            if not line or line == b"counted\n":
                break
            if line.startswith(b"e/"):
                rows += 1
        after = rss_kib(proc.pid)
        if rows != count:
            raise RuntimeError(f"the server held {rows} of {count} clients")
        return (after - before) / count
    finally:
        for s in socks:
            s.close()
        stop(proc)


def prompt_latency(binary, samples, clients, notes):
    """Medians of typing `echo ping` at the prompt until `ping` is shown,
    while `clients` x `trips` round trips run against the session's server."""
    pid, master = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.environ.pop("INPUTRC", None)
        os.execv(binary, [binary])
    times = []
    pending = [b""]   # what was read past the last marker

    def read_until(marker, timeout=20):
        data = pending[0]
        deadline = time.monotonic() + timeout
        while marker not in data:
            ready, _, _ = select.select([master], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise RuntimeError(f"no {marker!r} at the prompt; got {data[-200:]!r}")
            data += os.read(master, 65536)
        end = data.index(marker) + len(marker)
        pending[0] = data[end:]
        return data[:end]

    try:
        read_until(b"sock> ")
        os.write(master, b"set log off\r")
        read_until(b"sock> ")
        os.write(master, b"serve e 127.0.0.1 0 echo select\r")
        out = read_until(b"sock> ")
        port = int(re.search(rb"', (\d+)\), select", out).group(1))
        load = subprocess.Popen([LOAD, "rt", str(port), str(clients), "0"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
        while load.poll() is None and len(times) < samples:
            t0 = time.perf_counter()
            os.write(master, b"echo ping\r")
            read_until(b"\r\nping\r\n")
            times.append(time.perf_counter() - t0)
            read_until(b"sock> ")
            time.sleep(0.02)
        load.send_signal(signal.SIGTERM)
        out, err = load.communicate(timeout=30)
        if load.returncode != 0:
            raise RuntimeError(f"the load failed: {err.strip()}")
        count, seconds = out.split()
        notes.append(f"serve prompt row: {int(count):,} round trips ran while the prompt was measured "
                     f"({int(count) / float(seconds):,.0f}/s)")
    finally:
        try:
            os.write(master, b"quit\r")
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)
    if not times:
        raise RuntimeError("the load ended before any sample")
    return statistics.median(times), len(times)


def rows(cfg, binary, tmp, add_row, at_least, at_most, notes, log, have):
    clients, trips, cycles = cfg["serve_clients"], cfg["serve_trips"], cfg["serve_cycles"]
    compiler = build_load(tmp)
    log(f"serve: round trips ({clients} x {trips}) and connections ({cycles:,})")
    starters = {"sockshell": lambda: start_sockshell(binary, "select"), "python": start_python}
    if "socat" in have:
        starters["socat"] = start_socat
    rates = {label: [] for label in starters}
    conns = {label: [] for label in starters}
    for _ in range(cfg["serve_runs"]):
        for label, start in starters.items():   # alternating, so all see the same machine
            proc, port = start()
            try:
                rates[label].append(round_trips(port, clients, trips))
                conns[label].append(connections(port, cycles))
            finally:
                stop(proc)
    med = {label: statistics.median(values) for label, values in rates.items()}
    cmed = {label: statistics.median(values) for label, values in conns.items()}
    fmt = lambda rate: f"{rate:,.0f}/s"
    ok, miss = at_least(med["sockshell"] / med["python"], 3.0)
    add_row(f"serve echo select: round trips ({clients} clients x {trips} x 64 B)", fmt(med["sockshell"]),
            fmt(med["python"]) + " (ThreadingTCPServer)", med["sockshell"] / med["python"], ">= 3x Python", ok, miss)
    if "socat" in med:
        ok, miss = at_least(med["sockshell"] / med["socat"], 1.0)
        add_row("serve echo select: round trips vs socat fork EXEC:cat", fmt(med["sockshell"]), fmt(med["socat"]),
                med["sockshell"] / med["socat"], ">= socat", ok, miss)
    ok, miss = at_least(cmed["sockshell"] / cmed["python"], 2.0)
    add_row(f"serve echo select: connect-echo-close ({cycles:,})", fmt(cmed["sockshell"]), fmt(cmed["python"]),
            cmed["sockshell"] / cmed["python"], ">= 2x Python", ok, miss)
    if "socat" in cmed:
        add_row("serve echo select: connect-echo-close vs socat", fmt(cmed["sockshell"]), fmt(cmed["socat"]),
                cmed["sockshell"] / cmed["socat"], "(information)", None)
    # The other models, for information: what a class sees when it compares them.
    for model in ("threading", "forking", "iterative"):
        proc, port = start_sockshell(binary, model)
        try:
            c = clients if model != "iterative" else 1
            rate = round_trips(port, c, trips)
            cps = connections(port, max(cycles // 10, 100))
        finally:
            stop(proc)
        add_row(f"serve echo {model}: round trips ({c} x {trips}); connect-echo-close", f"{fmt(rate)}; {fmt(cps)}",
                "—", None, "(information)", None)
    log("serve: the prompt under load")
    latency, count = prompt_latency(binary, cfg["serve_prompt_samples"], clients, notes)
    ok, miss = at_most(latency, 0.050)
    add_row(f"serve: `echo ping` at the prompt under the round-trip load (median of {count})",
            f"{latency * 1000:.1f} ms", "—", None, "< 50 ms", ok, miss)
    log("serve: memory per idle client")
    for model in ("select", "threading"):
        per = idle_memory(binary, model, cfg["serve_idle"])
        ok, miss = at_most(per, 64)
        add_row(f"serve echo {model}: resident memory per idle client ({cfg['serve_idle']:,})", f"{per:.1f} KiB",
                "—", None, "<= 64 KiB", ok if model == "select" else None, miss)
    notes.append(f"serve rows: the load client is echo_load.c (built with {compiler} -O2), one epoll loop on the same "
                 "cores as the server, the same for every server; socat forks a cat per connection")
