"""scripts/bench's packet rows (python3 stdlib only): what `set packets on`
costs, and whether its capture keeps up with a bulk transfer.

    overhead     N x (sendall c b'ping'; recv srv_1 4) over TCP in a --sandbox
                 session, with `set packets on` and without, alternating
    keeping up   64 MiB (full) / 8 MiB (--quick) sendall between two sockets
                 of one sandboxed session with `set packets on`: the segments
                 it printed against the kernel's count (TCP_INFO segs_out of
                 both ends)
"""
import os
import re
import statistics
import subprocess
import time


def script(path, rounds, packets):
    lines = (["set packets on"] if packets else []) + [
        "create_server srv 127.0.0.1 8080", "create_connection c 127.0.0.1 8080", "accept srv"]
    lines += ["sendall c b'ping'", "recv srv_1 4"] * rounds
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def timed(binary, path):
    t0 = time.perf_counter()
    r = subprocess.run([binary, "--sandbox", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"sockshell --sandbox {path}: exit {r.returncode}: {r.stderr.decode()[-300:]}")
    return elapsed


def rows(cfg, binary, tmp, add_row, notes, log):
    rounds = cfg["packet_rounds"]
    log(f"packets: overhead ({2 * rounds:,} commands) and keeping up ({cfg['packet_bulk'] >> 20} MiB)")
    plain, captured = os.path.join(tmp, "plain.sock"), os.path.join(tmp, "captured.sock")
    script(plain, rounds, False)
    script(captured, rounds, True)
    times = {"off": [], "on": []}
    for _ in range(cfg["packet_runs"]):
        times["off"].append(timed(binary, plain))
        times["on"].append(timed(binary, captured))
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    add_row(f"packets: {2 * rounds:,} TCP commands, set packets on vs off", f"{on:.2f} s", f"{off:.2f} s (off)",
            on / off, "(information: the cost of capturing and printing each segment)", None)
    # Keeping up: every segment of a bulk transfer captured, as the kernel counted them.
    data = os.path.join(tmp, "packets-bulk.bin")
    with open(data, "wb") as f:
        f.truncate(cfg["packet_bulk"])
    bulk = os.path.join(tmp, "bulk.sock")
    with open(bulk, "w") as f:
        f.write("\n".join(["set packets on", "create_server srv 127.0.0.1 8080", "create_connection c 127.0.0.1 8080",
                           "accept srv", "recvall srv_1 > /dev/null &", f"sendall c @{data}", "shutdown c wr",
                           "wait 60", "sleep 0.2", "tcpinfo c", "tcpinfo srv_1"]) + "\n")
    t0 = time.perf_counter()
    r = subprocess.run([binary, "--sandbox", bulk], capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"bulk with packets on: exit {r.returncode}: {r.stderr[-300:]}")
    shown = sum(1 for line in r.stdout.splitlines() if " Flags [" in line)
    kernel = sum(int(n) for n in re.findall(r"'segs_out': (\d+)", r.stdout))
    lost = kernel - shown
    add_row(f"packets: {cfg['packet_bulk'] >> 20} MiB sendall with set packets on, segments shown vs the kernel's",
            f"{shown:,} shown", f"{kernel:,} sent (segs_out)", None, "0 lost", lost == 0, f"{lost} lost" if lost else None)
    notes.append(f"packets keeping up: the transfer and its {shown:,} lines took {elapsed:.2f} s")
