# Datagram sockets keep message boundaries: a file sent with sendall is one
# datagram (or Python's EMSGSIZE), and recvline, recvuntil and recvall read
# each datagram whole, keeping what they do not return buffered. python3 is
# asked, with the same sockets in this process, what each call prints.

BIG_BUFFER = 4 << 20  # SO_SNDBUF / SO_RCVBUF asked for; the kernel caps it at wmem_max / rmem_max


def dgram_file(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def py_dgram_pair(big_buffers):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    if big_buffers:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BIG_BUFFER)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BIG_BUFFER)
    b.settimeout(0.2)
    return a, b


def py_to_file(path, receive):
    """`CMD > FILE`: the value goes to the file, nothing is printed."""
    def step():
        data = receive()
        with open(path, "wb") as f:
            f.write(data)
    return step


def dgram_expect(result, path, outcomes, files):
    out, err = split_outcomes(outcomes, lambda index: f"{path}:{index + 1}")
    expect(result, out=out, err=err)
    for name, want in files.items():
        with open(os.path.join(WORK, name), "rb") as f:
            got = f.read()
        check(got == want, f"{name}: {len(got)} bytes, expected {len(want)} (the same bytes python3 received)\n"
                           + result.describe())


@test
def test_7_dgram_sendall_of_a_file_is_one_datagram_as_in_python():
    rng = random.Random(7)
    big = rng.randbytes(1_500_000)
    small = rng.randbytes(1000)
    dgram_file("dgram-big", big)
    dgram_file("dgram-small", small)
    a, b = py_dgram_pair(big_buffers=True)
    c, d = py_dgram_pair(big_buffers=False)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", 0))
        v.connect(u.getsockname())
        u.settimeout(0.2)
        # Only where the kernel takes a 1.5 MB datagram does the test tell one datagram from two.
        a.sendall(big)
        if len(b.recv(4_000_000)) != len(big):
            raise Skip("the kernel does not take a 1.5 MB AF_UNIX datagram here (wmem_max too small)")
        lines = ["socketpair a b AF_UNIX SOCK_DGRAM",
                 f"setsockopt a SOL_SOCKET SO_SNDBUF {BIG_BUFFER}",
                 f"setsockopt b SOL_SOCKET SO_RCVBUF {BIG_BUFFER}",
                 "settimeout b 0.2",
                 "sendall a @dgram-big",
                 "recv b 4000000 > dgram-got-sendall",
                 "recv b 1",
                 "sendline a @dgram-small",
                 "recv b 4000000 > dgram-got-sendline",
                 "recv b 1",
                 "send a @dgram-big",
                 "recv b 4000000 > dgram-got-send",
                 "socketpair c d AF_UNIX SOCK_DGRAM",
                 "sendall c @dgram-big",
                 "send c @dgram-big",
                 "socket u udp", "bind u 127.0.0.1 0", "settimeout u 0.2",
                 "socket v udp", "connect v 127.0.0.1 $u.port",
                 "sendall v @dgram-big",
                 "sendall v @dgram-small",
                 "recv u 100000 > dgram-got-udp",
                 "recv u 1"]
        steps = [lambda: None, lambda: None, lambda: None, lambda: None,
                 lambda: a.sendall(big),
                 py_to_file(os.path.join(WORK, "dgram-want-sendall"), lambda: b.recv(4_000_000)),
                 lambda: b.recv(1),
                 lambda: a.sendall(small + b"\n"),
                 py_to_file(os.path.join(WORK, "dgram-want-sendline"), lambda: b.recv(4_000_000)),
                 lambda: b.recv(1),
                 lambda: a.send(big),
                 py_to_file(os.path.join(WORK, "dgram-want-send"), lambda: b.recv(4_000_000)),
                 lambda: None,
                 lambda: c.sendall(big),
                 lambda: c.send(big),
                 lambda: None, lambda: None, lambda: None, lambda: None, lambda: None,
                 lambda: v.sendall(big),
                 lambda: v.sendall(small),
                 py_to_file(os.path.join(WORK, "dgram-want-udp"), lambda: u.recv(100_000)),
                 lambda: u.recv(1)]
        outcomes = py_steps(*steps)
    finally:
        close_all([a, b, c, d, u, v])
    wanted = {}
    for kind in ("sendall", "sendline", "send", "udp"):
        with open(os.path.join(WORK, f"dgram-want-{kind}"), "rb") as f:
            wanted[f"dgram-got-{kind}"] = f.read()
    check(wanted["dgram-got-sendall"] == big and wanted["dgram-got-udp"] == small, "python3 did not receive the files")
    path = script("dgram-send.sock", "\n".join(lines) + "\n")
    dgram_expect(run([path]), path, outcomes, wanted)


@test
def test_7_dgram_recvline_recvuntil_recvall_read_each_datagram_whole():
    # What the peer sent is what must arrive: recvline, recvuntil and recvall
    # return their part, the rest of the datagram stays buffered for the next
    # read, and no byte is lost (64 KiB pieces lost 134,464 bytes of `one`;
    # a spliced `recvall > FILE` moves 1 MiB of `big` and the kernel drops the rest).
    rng = random.Random(8)
    one = b"L" * 1000 + b"\n" + b"m" * 150_000 + b"END" + b"n" * 48_996
    two = bytes(rng.randrange(256) for _ in range(200_000))
    big = rng.randbytes(2_000_000)
    udp = b"abc\n" + b"u" * 59_996
    for name, data in (("one", one), ("two", two), ("big", big), ("udp", udp)):
        dgram_file(f"dgram-recv-{name}", data)
    a, b = py_dgram_pair(big_buffers=True)
    try:
        a.sendall(big)
        if len(b.recv(4_000_000)) != len(big):
            raise Skip("the kernel does not take a 2 MB AF_UNIX datagram here (wmem_max too small)")
    finally:
        close_all([a, b])
    lines = ["socketpair a b AF_UNIX SOCK_DGRAM",
             f"setsockopt a SOL_SOCKET SO_SNDBUF {BIG_BUFFER}",
             f"setsockopt b SOL_SOCKET SO_RCVBUF {BIG_BUFFER}",
             "settimeout b 0.2",
             "sendall a @dgram-recv-one",
             "recvline b > dgram-got-line",
             "recvuntil b END > dgram-got-until",
             "recv b 300000 > dgram-got-rest",
             "recv b 1",
             "sendall a @dgram-recv-one", "sendall a @dgram-recv-big", "sendall a @dgram-recv-two", "sendall a b''",
             "recvall b > dgram-got-all",
             "sendall a @dgram-recv-big", "sendall a @dgram-recv-one", "sendall a b''",
             "recvall b 16 > dgram-got-all16",
             "sendall a b'x\\ny'", "sendall a b'z'", "sendall a b''",
             "recvline b",
             "recvall b",
             "socket u udp", "bind u 127.0.0.1 0", "settimeout u 0.2",
             "socket v udp", "connect v 127.0.0.1 $u.port",
             "set maxline 10",
             "sendall v @dgram-recv-udp",
             "recvline u",
             "recv u 65536 > dgram-got-udp",
             "recv u 1"]
    timeout = ("err", "TimeoutError: timed out")
    outcomes = ([("out", None)] * 8 + [timeout] + [("out", None)] * 12
                + [("out", repr(b"x\n")), ("out", repr(b"yz"))] + [("out", None)] * 7
                + [("out", repr(b"abc\n")), ("out", None), timeout])
    check(len(outcomes) == len(lines), "the test's outcomes do not match its lines")
    files = {"dgram-got-line": b"L" * 1000 + b"\n", "dgram-got-until": b"m" * 150_000 + b"END",
             "dgram-got-rest": b"n" * 48_996, "dgram-got-all": one + big + two,
             "dgram-got-all16": big + one, "dgram-got-udp": udp[4:]}
    path = script("dgram-recv.sock", "\n".join(lines) + "\n")
    dgram_expect(run([path]), path, outcomes, files)



@test
def test_7_dgram_recv_with_msg_trunc_returns_the_datagrams_length():
    # recv(2) with MSG_TRUNC returns the datagram's real length, past the
    # buffer: CPython resizes its bytes to it (the tail is not the datagram's;
    # this sockshell fills it with zeros). sockshell crashed before
    # ("Initialized count set to greater than specified capacity").
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        a.send(b"hello world")
        want = b.recv(4, socket.MSG_TRUNC)
        u.bind(("127.0.0.1", 0))
        u.sendto(b"hello world", u.getsockname())
        want_from, _ = u.recvfrom(4, socket.MSG_TRUNC)
    finally:
        close_all([a, b, u])
    check(len(want) == 11 and want[:4] == b"hell" and len(want_from) == 11,
          f"python3 gave {want!r} and {want_from!r}")
    lines = ["socketpair a b AF_UNIX SOCK_DGRAM", "send a b'hello world'", "recv b 4 MSG_TRUNC",
             "socket u udp", "bind u 127.0.0.1 0", "sendto u b'hello world' 127.0.0.1 $u.port",
             "recvfrom u 4 MSG_TRUNC"]
    result = run(["-c", "; ".join(lines)])
    padded = b"hell" + bytes(7)
    def matches(out):
        port = out[3].rsplit(", ", 1)[-1].rstrip("))") if len(out) == 4 else "?"
        want_out = ["11", repr(padded), "11", f"({padded!r}, ('127.0.0.1', {port}))"]
        return None if out == want_out and port.isdigit() else f"expected {want_out!r}, got {out!r}"
    expect(result, out=matches, err=[], rc=0)
