# Background jobs and watched sockets at the prompt (issue 13, items 1
# and 2): lines that come while the user is typing are printed above the
# prompt, and what was typed, the cursor and a Ctrl-R search survive them.
# The peers are Python sockets in this process, another process to sockshell.
import socket as pysocket


def free_port():
    with pysocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_listener(term, port):
    term.send(f"create_server srv 127.0.0.1 {port}\r")
    term.prompt_ready()
    term.send("accept srv &\r")
    term.wait_for_line("[1] accept srv")
    term.prompt_ready()


def test_a_job_ends_above_a_half_typed_line_which_then_completes_and_runs():
    port = free_port()
    term = Screen(ENV, columns=200)
    client = None
    try:
        term.prompt_ready()
        start_listener(term, port)
        term.send("getsockna")
        term.wait_for(lambda rows: rows[-1].startswith("sock> getsockna"), what="the half-typed line")
        client = pysocket.create_connection(("127.0.0.1", port))
        rows = term.wait_for(lambda rows: any(row.startswith("[1] done: accept srv -> (<socket srv_1 fd=") for row in rows),
                             what="the job's line")
        done = next(index for index, row in enumerate(rows) if row.startswith("[1] done:"))
        assert f"raddr=('127.0.0.1', {client.getsockname()[1]})" in rows[done], rows
        # The line being typed is drawn again below it, the cursor at its end.
        assert rows[done + 1].startswith("sock> getsockna"), rows
        term.wait_for(lambda rows: term.cursor() == (len(rows) - 1, len("sock> getsockna")), what="the cursor after the text")
        term.send("\t")
        term.wait_for(lambda rows: rows[-1].startswith("sock> getsockname "), what="completion")
        term.send("srv_1\r")
        term.wait_for_line(f"('127.0.0.1', {port})")
        term.prompt_ready()
    finally:
        if client:
            client.close()
        term.close()


def test_a_job_line_keeps_a_ctrl_r_search_as_it_was():
    port = free_port()
    term = Screen(ENV, columns=200)
    client = None
    try:
        term.prompt_ready()
        term.send("echo searched-for\r")
        term.wait_for_line("searched-for")
        term.prompt_ready()
        start_listener(term, port)
        term.send("\x12searched")
        term.wait_for(lambda rows: rows[-1].startswith("(reverse-i-search)`searched': echo searched-for"), what="the search")
        client = pysocket.create_connection(("127.0.0.1", port))
        term.wait_for(lambda rows: any(row.startswith("[1] done: accept srv") for row in rows)
                      and rows[-1].startswith("(reverse-i-search)`searched': echo searched-for"),
                      what="the job's line above the search")
        term.send("\r")
        rows = term.wait_for(lambda rows: rows.count("searched-for") == 2, what="the found line run")
        term.prompt_ready()
    finally:
        if client:
            client.close()
        term.close()


def test_watch_shows_bytes_as_they_come_and_recv_still_gets_them():
    port = free_port()
    term = Screen(ENV, columns=200)
    client = None
    try:
        term.prompt_ready()
        start_listener(term, port)
        client = pysocket.create_connection(("127.0.0.1", port))
        term.wait_for(lambda rows: any(row.startswith("[1] done: accept srv") for row in rows), what="the accept")
        term.prompt_ready()
        term.send("watch srv_1\r")
        term.prompt_ready()
        term.send("recv srv_1")
        term.settle()
        client.sendall(b"ping\x1b[2J\n")
        # Escaped as repr shows it: the peer's escape sequence never reaches the terminal.
        term.wait_for_line("[watch srv_1] 9 bytes arrived: b'ping\\x1b[2J\\n'")
        rows = term.lines()
        assert rows[-1].startswith("sock> recv srv_1"), rows
        term.send("\r")
        rows = term.wait_for(lambda rows: "b'ping\\x1b[2J\\n'" in rows, what="recv's value")
        term.prompt_ready()
        client.close()
        client = None
        term.wait_for(lambda rows: any(row.startswith("[watch srv_1] the peer closed its side") for row in rows),
                      what="the close")
        term.prompt_ready()
        term.send("recv srv_1\r")
        term.wait_for(lambda rows: rows[-2:] == ["sock> recv srv_1", "b''"] or "b''" in rows, what="EOF")
    finally:
        if client:
            client.close()
        term.close()


def test_ctrl_c_ends_wait_but_not_the_job():
    port = free_port()
    term = Screen(ENV, columns=200)
    client = None
    try:
        term.prompt_ready()
        start_listener(term, port)
        term.send("wait %1\r")
        term.settle()
        term.send("\x03")
        term.wait_for_line("KeyboardInterrupt")
        term.prompt_ready()
        term.send("jobs\r")
        term.wait_for_line("[1] running  accept srv")
        term.prompt_ready()
        term.send("close srv\r")
        term.wait_for_line("RuntimeError: srv is in use by job %1; wait %1 or kill %1 first")
        term.prompt_ready()
        client = pysocket.create_connection(("127.0.0.1", port))
        term.wait_for(lambda rows: any(row.startswith("[1] done: accept srv -> (<socket srv_1") for row in rows),
                      what="the job's end")
        term.prompt_ready()
    finally:
        if client:
            client.close()
        term.close()


def test_kill_leaves_the_socket_usable_and_its_bytes_waiting():
    term = Screen(ENV, columns=200)
    try:
        term.prompt_ready()
        term.send("socketpair a b\r")
        term.prompt_ready()
        term.send("recvuntil b END &\r")
        term.wait_for_line("[1] recvuntil b END")
        term.send("sendall a partial\r")
        term.prompt_ready()
        term.send("kill %1\r")
        term.wait_for_line("[1] killed: recvuntil b END")
        term.prompt_ready()
        term.send("recv b\r")
        term.wait_for_line("b'partial'")
    finally:
        term.close()


def test_a_server_logs_its_clients_above_a_half_typed_line():
    port = free_port()
    term = Screen(ENV, columns=200)
    client = None
    try:
        term.prompt_ready()
        term.send(f"serve srv 127.0.0.1 {port} hello threading\r")
        term.wait_for_line(f"serving hello on ('127.0.0.1', {port}), threading")
        term.prompt_ready()
        term.send("sockets")
        term.wait_for(lambda rows: rows[-1] == "sock> sockets", what="the half-typed line")
        client = pysocket.create_connection(("127.0.0.1", port))
        assert client.recv(8) == b"welcome!"
        line = f"[serve srv] ('127.0.0.1', {client.getsockname()[1]}) connected"
        rows = term.wait_for(lambda rows: line in rows and rows[-1] == "sock> sockets", what="the log line above the prompt")
        assert rows.index(line) == len(rows) - 2, rows
        term.wait_for(lambda rows: term.cursor() == (len(rows) - 1, len("sock> sockets")), what="the cursor after the text")
        client.sendall(b"exit")
        closed = f"[serve srv] ('127.0.0.1', {client.getsockname()[1]}) closed"
        term.wait_for(lambda rows: closed in rows and rows[-1] == "sock> sockets", what="the close logged above the prompt")
        term.send("\r")
        term.wait_for(lambda rows: any(row.startswith("srv ") and "LISTEN" in row and "serve hello threading" in row
                                       for row in rows), what="the sockets table")
        term.prompt_ready()
    finally:
        if client:
            client.close()
        term.close()
