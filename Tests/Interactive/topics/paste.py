# Pasting several lines (issue 11, item 1): with bracketed paste the
# terminal wraps a paste in ESC[200~ ... ESC[201~; each pasted line must run
# as its own command, in order, and enter the history on its own, as python3
# and sqlite3 run a paste. What follows the last newline stays on the prompt.


def paste(term, text):
    term.send(PASTE_START + text + PASTE_END)


def test_a_paste_of_ten_lines_runs_them_in_order():
    state = tempfile.mkdtemp(prefix="sockshell-paste-")
    term = Screen(dict(ENV, XDG_STATE_HOME=state), rows=40)
    try:
        term.prompt_ready()
        lines = [f"echo line{number}" for number in range(1, 11)]
        paste(term, "\n".join(lines) + "\n")
        rows = term.wait_for_line("line10")
        term.prompt_ready()
        rows = term.lines()
        shown = rows[rows.index("sock> echo line1"):]
        expected = []
        for number in range(1, 11):
            expected += [f"sock> echo line{number}", f"line{number}"]
        assert shown == expected + ["sock>"], shown
        term.send("history\r")
        term.wait_for_line("   11  history")
        rows = term.lines()
        for number in range(1, 11):
            assert f"{number:5}  echo line{number}" in rows, rows
    finally:
        term.close()
    with open(os.path.join(state, "sockshell", "history")) as saved:
        assert saved.read().splitlines() == lines + ["history"]


def test_a_pasted_socket_session_runs_each_command():
    term = Screen(ENV, rows=30)
    try:
        term.prompt_ready()
        paste(term, "socket p1\nbind p1 127.0.0.1 0\ngetsockname p1\n")
        rows = term.wait_for(lambda rows: any(re.fullmatch(r"\('127\.0\.0\.1', \d+\)", row) for row in rows),
                             what="getsockname's value")
        assert not any("Error" in row for row in rows), rows
        assert "sock> bind p1 127.0.0.1 0" in rows, rows
    finally:
        term.close()


def test_a_paste_without_a_final_newline_stays_on_the_prompt():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        paste(term, "echo first\necho sec")
        term.wait_for_line("first")
        rows = term.wait_for_line("sock> echo sec [TEXT...]")  # echo's hint after the cursor
        assert "second" not in "\n".join(rows), rows
        assert term.cursor()[1] == len("sock> echo sec"), term.cursor()
        term.send("ond\r")  # edit the rest of the paste, then Enter
        rows = term.wait_for_line("second")
        assert "sock> echo second" in rows, rows
    finally:
        term.close()


def test_a_paste_into_a_half_typed_line_completes_it():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send("echo al")
        term.wait_for_line("sock> echo al [TEXT...]")  # echo's hint
        paste(term, "pha\necho beta\n")
        term.wait_for_line("beta")
        rows = term.prompt_ready()
        assert rows[-5:] == ["sock> echo alpha", "alpha", "sock> echo beta", "beta", "sock>"], rows
    finally:
        term.close()


def test_a_pasted_line_with_control_characters_shows_none_raw():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        paste(term, "echo one\necho two \x1b[31mred\n")
        term.wait_for_line("one")
        term.prompt_ready()
        # The escape is shown as ^[, not obeyed: nothing turns red.
        assert "sock> echo two ^[[31mred" in term.lines(), term.lines()
        row = term.lines().index("sock> echo two ^[[31mred")
        assert all(char.fg == "default" for char in term.emulator.buffer[row].values()), \
            "a pasted escape sequence reached the terminal"
    finally:
        term.close()


def test_a_paste_cut_short_by_ctrl_c_runs_nothing():
    term = Screen(ENV)
    try:
        term.prompt_ready()
        term.send(PASTE_START + "echo pasted-a\necho pasted-b\n")  # no end of paste
        time.sleep(0.3)
        term.send("\x03")
        term.wait_for(lambda rows: rows[-1] == "sock>" and rows[-2].endswith("^C"), what="a new prompt")
        term.send("echo after\r")
        rows = term.wait_for_line("after")
        assert "pasted-a" not in rows and "pasted-b" not in rows, rows
    finally:
        term.close()
