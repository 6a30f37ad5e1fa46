# Ctrl-C over TLS, typed at the prompt (issue 15): the handshake and a read
# wait where every other call waits, so Ctrl-C ends them the same way.


def test_ctrl_c_ends_a_tls_handshake_and_a_tls_read():
    directory = tempfile.mkdtemp(prefix="sockshell-tls-pty-")
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    # A colour terminal, as a person's.
    term = Screen(dict(ENV, TERM="xterm-256color"))
    try:
        term.prompt_ready()
        term.command(f"certificate make {cert} {key} localhost")
        term.command("create_server srv 127.0.0.1 0; create_connection c localhost $srv.port; accept srv conn")
        # Nobody answers the ClientHello: the handshake waits until Ctrl-C.
        rows = interrupt_during(term, "tls c verify=False")
        assert rows == ["^C", "KeyboardInterrupt", "sock>"], rows
        # As a failed wrap_socket, the socket is gone; the others stay.
        rows = term.command("getpeername c")
        assert b"NameError: name 'c' is not defined" in rows, rows
        term.command("create_connection c localhost $srv.port; accept srv conn2")
        term.command(f"tls c cafile={cert} &")
        term.command(f"tls_server conn2 {cert} {key}")
        # A read with nothing sent waits until Ctrl-C; the connection stays.
        rows = interrupt_during(term, "recv c")
        assert rows == ["^C", "KeyboardInterrupt", "sock>"], rows
        term.command("sendall conn2 b'still here'")
        rows = term.command("recv c")
        assert b"b'still here'" in rows, rows
    finally:
        term.close()
        shutil.rmtree(directory, ignore_errors=True)
