# `interact NAME` at the prompt (issue 13, item 3): typed lines go to a
# Python peer in this process, its replies show above the prompt as they
# come, escaped; Ctrl-], Ctrl-D on an empty line and the peer's close each
# give the prompt back with the socket as it was.
import socket as pysocket
import threading


class LinePeer:
    """A Python server that greets, then answers each line with its upper case."""

    def __init__(self, greeting=b"hello from python\r\n"):
        self.listener = pysocket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self.conn = None
        self.greeting = greeting
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.conn, _ = self.listener.accept()
        self.conn.sendall(self.greeting)
        buffer = b""
        while True:
            data = self.conn.recv(4096)
            if not data:
                return
            self.received += data
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line == b"bye":
                    self.conn.sendall(b"see you\n")
                    self.conn.close()
                    return
                self.conn.sendall(line.upper() + b"\n")

    def close(self):
        self.listener.close()
        if self.conn:
            self.conn.close()


def start_interact(term, peer):
    term.prompt_ready()
    term.send(f"create_connection c 127.0.0.1 {peer.port}\r")
    term.prompt_ready()
    term.send("interact c\r")
    term.wait_for(lambda rows: any(row.startswith("interacting with c at ('127.0.0.1', ") for row in rows),
                  what="the interact notice")
    term.wait_for_line("hello from python")
    term.wait_for(lambda rows: rows[-1] == "c>", what="the socket's prompt")


def test_interact_sends_typed_lines_shows_replies_and_ctrl_bracket_returns():
    peer = LinePeer(greeting=b"hello from python\r\n\x1b[2Jno clearing\n")
    term = Screen(ENV, columns=120)
    try:
        start_interact(term, peer)
        # The peer's escape sequence is shown escaped, never run.
        term.wait_for_line("\\x1b[2Jno clearing")
        term.send("ping one\r")
        term.wait_for_line("PING ONE")
        # Readline editing works inside: a word typed, Ctrl-A, text put before it.
        term.send("two\x01ping \r")
        term.wait_for_line("PING TWO")
        # The history has the lines sent.
        term.send("\x1b[A")
        term.wait_for(lambda rows: rows[-1] == "c> ping two", what="the history's last line")
        term.send("\x1d")
        term.wait_for(lambda rows: any(row == "c> ping two^]" for row in rows), what="Ctrl-] after the line")
        term.prompt_ready()
        assert bytes(peer.received) == b"ping one\nping two\n", bytes(peer.received)
        # The socket is usable after: a recv gets what came meanwhile.
        term.send("sendall c b'three\\n'\r")
        term.prompt_ready()
        term.send("recvline c\r")
        term.wait_for_line("b'THREE\\n'")
        term.prompt_ready()
    finally:
        peer.close()
        term.close()


def test_interact_crlf_and_ctrl_d_on_an_empty_line_returns():
    peer = LinePeer()
    term = Screen(ENV, columns=120)
    try:
        term.prompt_ready()
        term.send("set newline crlf\r")
        start_interact(term, peer)
        term.send("crlf\r")
        # The peer answers "CRLF\\r\\n": a CRLF line shows as a line.
        term.wait_for_line("CRLF")
        term.send("\x04")
        term.prompt_ready()
        assert bytes(peer.received) == b"crlf\r\n", bytes(peer.received)
        term.send("getpeername c\r")
        term.wait_for_line(f"('127.0.0.1', {peer.port})")
        term.prompt_ready()
    finally:
        peer.close()
        term.close()


def test_interact_ends_when_the_peer_closes():
    peer = LinePeer()
    term = Screen(ENV, columns=120)
    try:
        start_interact(term, peer)
        term.send("bye\r")
        term.wait_for_line("see you")
        term.wait_for_line("[interact c] the peer closed the connection")
        term.prompt_ready()
        term.send("recv c\r")
        term.wait_for_line("b''")
        term.prompt_ready()
    finally:
        peer.close()
        term.close()


def test_interact_sends_a_pasted_burst_line_by_line_and_ctrl_c_drops_a_half_typed_line():
    peer = LinePeer()
    term = Screen(ENV, columns=120)
    try:
        start_interact(term, peer)
        # A bracketed paste of two lines, as a terminal sends it.
        term.send("\x1b[200~alpha\nbeta\n\x1b[201~")
        term.wait_for_line("ALPHA")
        term.wait_for_line("BETA")
        # Typed fast, then Ctrl-C mid-line: the line is dropped, nothing sent,
        # and the socket's prompt stays.
        term.send("never sent")
        term.wait_for(lambda rows: rows[-1] == "c> never sent", what="the half-typed line")
        term.send("\x03")
        term.wait_for(lambda rows: rows[-1] == "c>", what="a fresh c> prompt after Ctrl-C")
        term.send("gamma\r")
        term.wait_for_line("GAMMA")
        assert bytes(peer.received) == b"alpha\nbeta\ngamma\n", bytes(peer.received)
        term.send("\x1d")
        term.prompt_ready()
    finally:
        peer.close()
        term.close()
