"""scripts/bench's TLS rows (python3 stdlib only): one transfer over TLS 1.3
on loopback, sockshell against the command-line TLS clients a network
engineer would use instead, each fetching from or sending to the same
`openssl s_server`, alternating.

    download   `sendall c b'GET /FILE ...'; recvall c > out` (tls c cafile=)
               vs `openssl s_client -quiet -ign_eof > out` and
               `socat -u OPENSSL:...,cafile= > out`, from `s_server -WWW`
    upload     `sendall c @FILE; unwrap c` vs `socat -u OPEN:FILE OPENSSL:...`,
               into `s_server -quiet` writing to /dev/null

256 MiB in full, 32 MiB with --quick. Target: sockshell's throughput at
least 0.9 of each peer's.
"""
import os
import shutil
import statistics
import subprocess
import time

from serve_bench import free_port, wait_listening  # beside this file


def timed(argv, stdin=None, stdout=None, cwd=None):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=stdin, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600, cwd=cwd)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{argv[0]}: exit {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")
    return elapsed


def throughput_row(title, size, ours, theirs, add_row, at_least):
    """A row of medians as MiB/s, the target sockshell's throughput >= 0.9 of the peer's."""
    ours, theirs = statistics.median(ours), statistics.median(theirs)
    ok, miss = at_least(theirs / ours, 0.9)
    add_row(title, f"{size / ours / (1 << 20):.0f} MiB/s", f"{size / theirs / (1 << 20):.0f} MiB/s", theirs / ours,
            ">= 0.9x its throughput", ok, miss)


def rows(cfg, binary, tmp, add_row, at_least, notes, log, have):
    if shutil.which("openssl") is None:
        add_row("tls", "skipped", "—", None, "openssl is not installed", None)
        return
    size = cfg["tls_bulk"]
    log(f"tls: {size >> 20} MiB each way over TLS 1.3, vs openssl s_client" + (" and socat" if "socat" in have else ""))
    directory = os.path.join(tmp, "tls")
    os.makedirs(directory, exist_ok=True)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run([binary, "-c", f"certificate make {cert} {key} localhost"], check=True, capture_output=True)
    data = os.path.join(directory, "bulk.bin")
    with open(data, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    # Received into memory (/dev/shm), as the bulk receive row does: a disk's
    # writeback made single runs vary by 3x.
    out = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else tmp, f"sockshell-tls-bench-{os.getpid()}.bin")

    # Download: every client fetches /bulk.bin from one s_server -WWW.
    port = free_port()
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
                               "-WWW", "-quiet"], cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        request = "GET /bulk.bin HTTP/1.0\r\n\r\n"
        request_file = os.path.join(directory, "request.txt")
        with open(request_file, "w") as f:
            f.write(request)
        clients = {
            "sockshell": lambda: timed([binary, "-c", f"create_connection c localhost {port}; tls c cafile={cert}; "
                                        f"sendall c b'GET /bulk.bin HTTP/1.0\\r\\n\\r\\n'; recvall c > {out}"]),
            "openssl s_client": lambda: timed(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                                               "localhost", "-CAfile", cert, "-quiet", "-ign_eof"],
                                              stdin=open(request_file), stdout=open(out, "wb")),
        }
        if "socat" in have:
            clients["socat OPENSSL:"] = lambda: timed(["socat", "-t", "30", "-", f"OPENSSL:127.0.0.1:{port},cafile={cert},"
                                                       "commonname=localhost"], stdin=open(request_file),
                                                      stdout=open(out, "wb"))
        times = {name: [] for name in clients}
        # One round first, not counted: the server's first read of the file comes from disk.
        for round in range(cfg["tls_runs"] + 1):
            for name, client in clients.items():
                elapsed = client()
                got = os.path.getsize(out)
                if got < size:
                    raise RuntimeError(f"{name} received {got} bytes of {size}")
                if round > 0:
                    times[name].append(elapsed)
        for name in clients:
            if name != "sockshell":
                throughput_row(f"tls download: {size >> 20} MiB recvall > FILE over TLS 1.3, vs {name}", size,
                               times["sockshell"], times[name], add_row, at_least)
    finally:
        server.kill()
        server.wait()
        if os.path.exists(out):
            os.unlink(out)

    # Upload: every client sends the file into one s_server that discards it.
    # (s_client cannot be the peer here: at the end of a file on stdin it
    # stops before sending it.)
    if "socat" not in have:
        add_row("tls upload", "skipped", "—", None, "socat is not installed", None)
    else:
        port = free_port()
        # Its stdin stays open: at the end of its stdin, s_server closes the connection.
        server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
                                   "-quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE)
        try:
            wait_listening(port)
            clients = {
                "sockshell": lambda: timed([binary, "-c", f"create_connection c localhost {port}; tls c cafile={cert}; "
                                            f"sendall c @{data}; unwrap c"]),
                "socat": lambda: timed(["socat", "-u", f"OPEN:{data}", f"OPENSSL:127.0.0.1:{port},cafile={cert},"
                                        "commonname=localhost"]),
            }
            times = {name: [] for name in clients}
            for _ in range(cfg["tls_runs"]):
                for name, client in clients.items():
                    times[name].append(client())
            throughput_row(f"tls upload: {size >> 20} MiB sendall @FILE over TLS 1.3, vs socat -u OPEN:FILE OPENSSL:",
                           size, times["sockshell"], times["socat"], add_row, at_least)
        finally:
            server.kill()
            server.wait()
    notes.append("tls: each client's whole run (start-up, TCP and TLS handshakes, transfer) against one openssl "
                 "s_server on loopback, alternating; the server's own speed bounds every client alike")
