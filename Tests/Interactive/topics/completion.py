# Completion gaps (issue 11): `socket.` constants, `>FILE`, protocol words
# and `$NAME.field`, as Tab shows them at a real prompt.


def test_completion_of_python_prefixed_constants():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("socket x socket.AF_INET6\x08\t")
        # After the word being completed, the hint of the parameters left.
        term.wait_for_line("sock> socket x socket.AF_INET [TYPE] [PROTO]")
        term.send("\t\t")
        term.wait_for(lambda rows: any("socket.AF_INET6" in row and "socket.AF_INET " in row + " " for row in rows),
                      what="both AF_INET constants listed")
    finally:
        term.close()


def test_completion_of_a_redirect_without_a_space():
    folder = tempfile.mkdtemp(prefix="sockshell-complete-")
    open(os.path.join(folder, "firstfile.bin"), "w").close()
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send(f"recv c >{folder}/fi\t")
        term.wait_for(lambda rows: any(row.endswith(f">{folder}/firstfile.bin") for row in rows),
                      what="the file name completed")
    finally:
        term.close()


def test_completion_of_a_service_protocol():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("getservbyname https ud\t")
        term.wait_for(lambda rows: any(row.startswith("sock> getservbyname https udp") for row in rows),
                      what="udp completed")
    finally:
        term.close()


def test_completion_of_socket_fields_after_a_dollar():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("socket srv\r")
        term.wait_for_line("sock> socket srv")
        term.prompt_ready()
        term.send("connect c 127.0.0.1 $srv.p\t")
        term.wait_for_line("sock> connect c 127.0.0.1 $srv.port")
        term.send("\x15connect c 127.0.0.1 $\t\t\t")
        term.wait_for(lambda rows: any("$srv.port" in row and "$srv.host" in row and "$srv.fd" in row for row in rows),
                      what="the fields listed")
    finally:
        term.close()
