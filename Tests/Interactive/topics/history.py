# The history file shared by sessions running at once (issue 11, item 2):
# each entry is appended as it is typed, as bash's histappend, so no session
# writes its old copy over another's lines, and trimming to 1000 keeps them.


def history_path(state):
    return os.path.join(state, "sockshell", "history")


def typed(term, line, output):
    term.send(line + "\r")
    term.read_until(rb"\n" + re.escape(output.encode()) + rb"\n(?:.|\n)*?sock> ")


def test_two_sessions_at_once_keep_each_others_history():
    state = tempfile.mkdtemp(prefix="sockshell-shared-history-")
    env = dict(ENV, XDG_STATE_HOME=state)
    first, second = Terminal(env), Terminal(env)
    try:
        first.read_until(rb"sock> ")
        second.read_until(rb"sock> ")
        typed(first, "echo fromA", "fromA")
        typed(second, "echo fromB", "fromB")
        typed(first, "echo A2", "A2")
        first.send("\x04")
        assert first.wait() == 0
        typed(second, "echo B2", "B2")
        second.send("\x04")
        assert second.wait() == 0
    finally:
        first.close()
        second.close()
    with open(history_path(state)) as saved:
        assert saved.read().splitlines() == ["echo fromA", "echo fromB", "echo A2", "echo B2"]
    assert stat.S_IMODE(os.stat(history_path(state)).st_mode) == 0o600
    # A new session recalls the other sessions' lines too.
    term = Terminal(env)
    try:
        term.read_until(rb"sock> ")
        out = term.command("history")
        for line in (b"echo fromA", b"echo fromB", b"echo A2", b"echo B2"):
            assert line in out, out
    finally:
        term.close()


def test_history_trimmed_to_1000_keeps_the_other_sessions_lines():
    state = tempfile.mkdtemp(prefix="sockshell-trimmed-history-")
    os.makedirs(os.path.dirname(history_path(state)), mode=0o700)
    old = [f"echo old{number}" for number in range(1000)]
    with open(history_path(state), "w") as saved:
        saved.write("\n".join(old) + "\n")
    os.chmod(history_path(state), 0o600)
    env = dict(ENV, XDG_STATE_HOME=state)
    first, second = Terminal(env), Terminal(env)
    try:
        first.read_until(rb"sock> ")
        second.read_until(rb"sock> ")
        for number in range(5):
            typed(first, f"echo a{number}", f"a{number}")
            typed(second, f"echo b{number}", f"b{number}")
        first.send("\x04")
        second.send("\x04")
        assert first.wait() == 0 and second.wait() == 0
    finally:
        first.close()
        second.close()
    with open(history_path(state)) as saved:
        lines = saved.read().splitlines()
    new = [line for number in range(5) for line in (f"echo a{number}", f"echo b{number}")]
    assert len(lines) == 1000, len(lines)
    assert lines[-10:] == new, lines[-12:]
    assert lines[:-10] == old[10:], lines[:3]


def test_history_of_many_sessions_appending_at_once_lose_no_line():
    # Eight sessions type at the same moment: every line must be in the file.
    state = tempfile.mkdtemp(prefix="sockshell-racing-history-")
    env = dict(ENV, XDG_STATE_HOME=state)
    terms = [Terminal(env) for _ in range(8)]
    try:
        for term in terms:
            term.read_until(rb"sock> ")
        for round in range(5):
            for index, term in enumerate(terms):
                term.send(f"echo s{index}r{round}\r")
            for index, term in enumerate(terms):
                term.read_until(f"\ns{index}r{round}\n(?:.|\n)*?sock> ".encode())
        for term in terms:
            term.send("\x04")
        for term in terms:
            assert term.wait() == 0
    finally:
        for term in terms:
            term.close()
    with open(history_path(state)) as saved:
        lines = saved.read().splitlines()
    expected = {f"echo s{index}r{round}" for index in range(8) for round in range(5)}
    assert set(lines) == expected and len(lines) == len(expected), sorted(expected - set(lines))
