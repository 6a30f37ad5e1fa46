"""Loopback servers for scripts/bench's bulk rows (python3 stdlib only).

    servers.py sink           discarding receiver: for each connection, reads
                              until EOF and prints "BYTES SECONDS" (accept to EOF)
    servers.py source FILE    sender: for each connection, sendfile(2)s FILE,
                              shuts down writing, waits for the peer to close and
                              prints "BYTES SECONDS" (accept to the peer's close)

Both listen on 127.0.0.1 with a port the kernel chooses, print "PORT N" first,
serve one connection at a time until their stdin closes, and flush every line
so the driver reads each result as soon as it exists. A connection that
fails prints "ERR message" instead.
"""
import os
import socket
import sys
import threading
import time


def sink(conn):
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    total = 0
    t0 = time.perf_counter()
    while True:
        n = conn.recv_into(view)
        if n == 0:
            break
        total += n
    return total, time.perf_counter() - t0


def source(conn, path):
    size = os.path.getsize(path)
    sent = 0
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        while sent < size:
            n = os.sendfile(conn.fileno(), f.fileno(), sent, size - sent)
            if n == 0:
                break
            sent += n
    conn.shutdown(socket.SHUT_WR)
    # The transfer is over when the receiver has read everything and closed
    # (it reads to EOF, so its close is our EOF): that counts its file writes.
    while conn.recv(65536):
        pass
    return sent, time.perf_counter() - t0


def main():
    mode = sys.argv[1]
    if mode not in ("sink", "source") or (mode == "source") != (len(sys.argv) == 3):
        sys.exit("usage: servers.py sink | source FILE")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print("PORT", listener.getsockname()[1], flush=True)
    # The driver closes our stdin when it is done with us: leave then.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        conn, _ = listener.accept()
        try:
            n, seconds = sink(conn) if mode == "sink" else source(conn, sys.argv[2])
            print(n, seconds, flush=True)
        except OSError as e:
            print("ERR", e, flush=True)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
