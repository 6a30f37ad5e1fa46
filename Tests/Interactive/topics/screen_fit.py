# Fitting the screen (issue 11): long output through a pager at the prompt
# only, the `sockets` table narrowed to the terminal, `why` and `help CMD`
# word-wrapped; files, pipes and scripts get the text as it is.


def recording_pager(folder):
    """A $PAGER that keeps what it was given and says so on the screen."""
    path = os.path.join(folder, "paged.txt")
    return path, f"cat > {path}; echo PAGER-RAN"


def printed_lines(term, since):
    """The lines sockshell wrote since byte `since`, as written (before the
    terminal wraps anything), escape sequences removed."""
    return INVISIBLE.sub(b"", term.screen[since:]).decode(errors="replace").split("\n")


def test_pager_shows_help_taller_than_the_terminal():
    folder = tempfile.mkdtemp(prefix="sockshell-pager-")
    paged, pager = recording_pager(folder)
    term = Screen(dict(ENV, PAGER=pager), rows=24)
    try:
        term.prompt_ready()
        term.send("help\r")
        term.wait_for_line("PAGER-RAN")
        term.prompt_ready()
        with open(paged) as text:
            assert "Commands (help COMMAND for more" in text.read()
        # Short output is printed as it is.
        os.remove(paged)
        term.send("help connect\r")
        term.wait_for_line("usage: connect NAME HOST PORT")
        term.prompt_ready()
        assert not os.path.exists(paged)
        # `set pager off` prints even help as it is.
        term.send("set pager off\r")
        term.prompt_ready()
        term.send("help\r")
        term.wait_for(lambda rows: any(row.startswith("  why") for row in rows), what="help printed")
        term.prompt_ready()
        assert not os.path.exists(paged)
    finally:
        term.close()


def test_pager_less_by_default_and_q_returns_to_the_prompt():
    if not shutil.which("less"):
        print("skipped: less is not installed")
        return
    term = Screen(ENV, rows=24)
    try:
        term.prompt_ready()
        term.send("help\r")
        # less -FRX shows the first screenful and its ':' prompt on the last row.
        term.wait_for(lambda rows: len(rows) == 24 and rows[-1].startswith(":"), what="less's prompt")
        term.send("q")
        term.prompt_ready()
        term.send("echo after\r")
        term.wait_for_line("after")
    finally:
        term.close()


def test_pager_never_runs_in_a_script():
    folder = tempfile.mkdtemp(prefix="sockshell-pager-")
    paged, pager = recording_pager(folder)
    term = Terminal(dict(ENV, PAGER=pager), args=("-c", "help"), rows=24)
    try:
        assert term.wait() == 0
        assert b"Commands (help COMMAND" in term.screen
        assert not os.path.exists(paged)
    finally:
        term.close()


def test_sockets_table_fits_a_narrow_terminal():
    for width in (80, 60):
        check_sockets_table_fits(width)


def check_sockets_table_fits(width):
    term = Screen(ENV, columns=width, rows=30)
    try:
        term.prompt_ready()
        term.send("socket srv; setsockopt srv SOL_SOCKET SO_REUSEADDR 1; bind srv 127.0.0.1 0; listen srv; "
                  "socket c; connect c 127.0.0.1 $srv.port; accept srv conn\r")
        term.wait_for(lambda rows: any("<socket conn" in row for row in rows), what="accept")
        term.prompt_ready()
        since = len(term.screen)
        term.send("sockets\r")
        term.wait_for(lambda rows: any(row.startswith("(not shown") for row in rows), what="the note")
        term.prompt_ready()
        printed = printed_lines(term, since)
        table = printed[printed.index("sockets") + 1:]
        table = table[:next(index for index, line in enumerate(table) if line.endswith(")")) + 1]
        assert all(len(line) <= width for line in table), table
        header = table[0].split()
        for column in ("name", "state", "local", "remote"):
            assert column in header, header
        start = next(index for index, line in enumerate(table) if line.startswith("(not shown"))
        note = " ".join(line.strip() for line in table[start:])
        hidden = note[note.index(": ") + 2:-1].split(", ")
        assert hidden and all(column not in header for column in hidden), (hidden, header)
        assert len(header) + len(hidden) == 13, (header, hidden)
        assert any(re.search(r"127\.0\.0\.1:\d+", line) for line in table), table
    finally:
        term.close()


def test_sockets_table_full_width_on_a_wide_terminal_and_in_a_pipe():
    term = Screen(ENV, columns=200, rows=30)
    try:
        term.prompt_ready()
        term.send("socket srv; bind srv 127.0.0.1 0; listen srv; sockets\r")
        rows = term.wait_for(lambda rows: any(row.startswith("srv ") for row in rows), what="the table")
        assert any(row.split()[-1:] == ["options"] and "timeout" in row for row in rows), rows
        assert not any(row.startswith("(not shown") for row in rows), rows
    finally:
        term.close()
    out = subprocess.run([BINARY, "-c", "socket srv; bind srv 127.0.0.1 0; sockets"], capture_output=True,
                         text=True, timeout=10, env=dict(os.environ, COLUMNS="60")).stdout
    assert out.splitlines()[0].split() == ["name", "fd", "family", "type", "state", "recv-q", "send-q", "local",
                                           "remote", "timeout", "sent", "received", "options"], out


def test_why_and_help_are_word_wrapped_to_the_terminal():
    plain = subprocess.run([BINARY, "-c", "socket s; connect s 127.0.0.1 1; why; help connect"],
                           capture_output=True, text=True, timeout=10).stdout
    assert any(len(line) > 60 for line in plain.splitlines()), "nothing long enough to wrap"
    term = Screen(ENV, columns=60, rows=50)
    try:
        term.prompt_ready()
        since = len(term.screen)
        term.send("socket s; connect s 127.0.0.1 1; why; help connect\r")
        term.wait_for(lambda rows: any("Transport endpoint is already" in row for row in rows), what="help")
        term.prompt_ready()
        printed = printed_lines(term, since)
        body = printed[printed.index("ConnectionRefusedError: [Errno 111] Connection refused") + 1:-1]
        assert all(len(line) <= 60 for line in body), [line for line in body if len(line) > 60]
        # The same words in the same order: only the line breaks differ.
        expected = plain.split()
        assert " ".join(body).split() == expected, (body, expected)
    finally:
        term.close()
