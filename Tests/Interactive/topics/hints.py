# Hints as you type (issue, part 2): after `connect s ` the rest of the usage
# (`HOST PORT`) shows dimmed after the cursor, as redis-cli shows it, and
# shrinks as arguments are typed; never in the scrollback after Enter, never
# without colour, never where it would not fit on the row.

DIM = b"\x1b[2m"


def type_and_settle(term, text):
    term.send(text)
    term.settle()


def test_hint_shows_the_parameters_left_dimmed_after_the_cursor():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        start = len(term.screen)
        term.send("connect s ")
        rows = term.wait_for_line("sock> connect s HOST PORT")
        assert term.cursor() == (len(rows) - 1, len("sock> connect s ")), term.cursor()
        assert DIM + b"HOST PORT\x1b[0m" in term.screen[start:], term.screen[start:]
        term.send("localhost ")
        rows = term.wait_for_line("sock> connect s localhost PORT")
        assert term.cursor() == (len(rows) - 1, len("sock> connect s localhost ")), term.cursor()
        term.send("80")
        term.wait_for_line("sock> connect s localhost 80")
        term.send("\x15recv s ")
        term.wait_for_line("sock> recv s [BUFSIZE] [FLAGS]")
        term.send("100 ")
        term.wait_for_line("sock> recv s 100 [FLAGS]")
    finally:
        term.close()


def test_enter_leaves_the_line_as_typed_without_its_hint():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("socket s\r")
        term.prompt_ready()
        term.send("connect s ")
        term.wait_for_line("sock> connect s HOST PORT")
        term.send("\r")
        term.wait_for_line("TypeError: usage: connect NAME HOST PORT")
        rows = term.prompt_ready()
        assert rows[-3:] == ["sock> connect s", "TypeError: usage: connect NAME HOST PORT", "sock>"], rows
        # A paste leaves readline's region active, and accepting the line
        # then redraws it first: still no hint.
        term.send(PASTE_START + "recv nobody " + PASTE_END)
        term.wait_for_line("sock> recv nobody [BUFSIZE] [FLAGS]")
        term.send("\r")
        term.wait_for_line("NameError: name 'nobody' is not defined")
        rows = term.prompt_ready()
        assert rows[-3:] == ["sock> recv nobody", "NameError: name 'nobody' is not defined", "sock>"], rows
        # A pasted line with its newline runs at once, and shows as pasted.
        term.send(PASTE_START + "sendall s \n" + PASTE_END)
        term.wait_for_line("TypeError: usage: sendall NAME DATA")
        rows = term.prompt_ready()
        assert rows[-3:] == ["sock> sendall s", "TypeError: usage: sendall NAME DATA", "sock>"], rows
    finally:
        term.close()


def test_no_hint_while_the_cursor_is_not_at_the_end_of_the_line():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("connect s ")
        term.wait_for_line("sock> connect s HOST PORT")
        term.send("\x1b[D")  # Left arrow
        rows = term.wait_for_line("sock> connect s")
        assert term.cursor()[1] == len("sock> connect s"), term.cursor()
        term.send("\x1b[C")  # Right arrow: back at the end, the hint is back
        term.wait_for_line("sock> connect s HOST PORT")
    finally:
        term.close()


def test_no_hint_inside_a_quote_or_for_an_unknown_command():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        start = len(term.screen)
        type_and_settle(term, "send s 'two words ")
        assert term.lines()[-1] == "sock> send s 'two words", term.lines()
        type_and_settle(term, "' ")
        assert term.lines()[-1] == "sock> send s 'two words ' [FLAGS]", term.lines()
        type_and_settle(term, "\x15nosuch a ")
        assert term.lines()[-1] == "sock> nosuch a", term.lines()
        assert term.screen[start:].count(DIM) == 1, term.screen[start:]
    finally:
        term.close()


def test_set_hints_off_shows_none():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("set hints off\r")
        term.wait_for_line("sock> set hints off")
        term.prompt_ready()
        start = len(term.screen)
        type_and_settle(term, "connect s ")
        assert term.lines()[-1] == "sock> connect s", term.lines()
        assert DIM not in term.screen[start:], term.screen[start:]
        term.send("\x15set hints on\r")
        term.prompt_ready()
        term.send("connect s ")
        term.wait_for_line("sock> connect s HOST PORT")
    finally:
        term.close()


def test_no_hint_without_colour():
    for env, args in ((dict(ENV, NO_COLOR="1"), ()), (ENV, ("--no-color",)), (dict(ENV, TERM="dumb"), ())):
        term = Terminal(env, args=args)
        try:
            term.read_until(rb"sock> ")
            term.send("connect s ")
            term.read_until(rb"connect s ")
            time.sleep(0.3)
            term.command("")
            assert DIM not in term.screen, (env, args, term.screen)
            assert b"HOST PORT" not in term.screen.split(b"TypeError")[0], (env, args, term.screen)
        finally:
            term.close()


def test_no_hint_when_stdout_is_not_a_terminal():
    folder = tempfile.mkdtemp(prefix="sockshell-hints-")
    path = os.path.join(folder, "stdout")
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        env = dict(os.environ, TERM="xterm", **ENV)
        env.pop("NO_COLOR", None)
        os.execve(BINARY, [BINARY], env)
    try:
        os.write(fd, b"connect s ")
        time.sleep(0.5)
        os.write(fd, b"\x15echo done\r")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with open(path, "rb") as written:
                shown = written.read()
            if b"done\n" in shown:
                break
            time.sleep(0.05)
        assert b"done\n" in shown, shown
        assert DIM not in shown and b"HOST PORT" not in shown, shown
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def test_a_hint_that_would_not_fit_on_the_row_is_not_drawn():
    term = Screen(ENV, columns=20)
    try:
        term.prompt_ready()
        # 16 columns typed: `HOST PORT` would pass the right edge.
        type_and_settle(term, "connect s ")
        assert term.lines()[-1] == "sock> connect s", term.lines()
        # The line wraps; on its second row `PORT` fits after the cursor.
        term.send("localhost ")
        rows = term.wait_for(lambda rows: rows[-2:] == ["sock> connect s loca", "lhost PORT"], what="PORT on the second row")
        assert term.cursor() == (len(rows) - 1, len("lhost ")), term.cursor()
        term.send("80\r")
        term.wait_for_line("is not defined")
        rows = term.prompt_ready()
        assert rows[-5:] == ["sock> connect s loca", "lhost 80", "NameError: name 's'", "is not defined", "sock>"], rows
    finally:
        term.close()
