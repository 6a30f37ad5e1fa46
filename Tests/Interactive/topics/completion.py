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


def test_completion_of_python_attributes():
    # Issue 12 item 4: after `s.` a socket's methods, after `socket.` the
    # module's names, as Python's rlcompleter: `(` after a callable, no space.
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("import socket\r")
        term.wait_for_line("sock> import socket")
        term.prompt_ready()
        term.send("s = socket.socket()\r")
        term.wait_for_line("sock> s = socket.socket()")
        term.prompt_ready()

        def line_is(text):
            # The cursor's row is the prompt and `text`, the cursor right after it: no space was added.
            def check(rows):
                y, x = term.cursor()
                return term.emulator.display[y].rstrip() == "sock> " + text and x == len("sock> " + text)
            return check

        term.send("s.getsockn\t")
        term.wait_for(line_is("s.getsockname("), what="s.getsockname( with the cursor after the (")
        term.send(")\r")
        term.wait_for_line("('0.0.0.0', 0)")
        term.prompt_ready()
        # connect and connect_ex: the first Tab completes what they share; as
        # in bash, the next two list both.
        term.send("s.con\t")
        term.wait_for(line_is("s.connect"), what="s.connect, the common part")
        term.send("\t\t")
        term.wait_for(lambda rows: any("s.connect(" in row and "s.connect_ex(" in row for row in rows),
                      what="s.connect( and s.connect_ex( listed")
        term.send("\x15")
        term.prompt_ready(drawn_anew=False)
        # A constant gets no `(`, also inside a call's arguments.
        term.send("socket.AF_IN\t")
        term.wait_for(line_is("socket.AF_INET"), what="socket.AF_INET, the common part")
        term.send("\x15s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEA\t")
        term.wait_for(line_is("s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR"), what="SO_REUSEADDR completed")
    finally:
        term.close()
