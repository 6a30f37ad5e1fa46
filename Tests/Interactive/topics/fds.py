# Descriptor numbers at the prompt (issue 11, item 6): sockshell's own
# descriptors (self-pipes, ...) stay above the numbers sockets get, so the
# first socket is fd 3 as at Python's prompt, and a lesson typed by hand
# prints the fds it shows.


def python_prompt_filenos(count):
    """The fds python3's own interactive prompt (with readline) gives `count` sockets."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.executable, [sys.executable, "-q", "-i"], dict(os.environ, TERM="xterm"))
    term = Terminal.__new__(Terminal)
    term.pid, term.fd, term.screen = pid, fd, b""
    try:
        term.read_until(rb">>> ")
        term.send("import socket; made = [socket.socket() for _ in range(%d)]\r" % count)
        term.read_until(rb">>> ")
        term.send("print('fds', *[s.fileno() for s in made])\r")
        out = term.read_until(rb"fds[ \d]+\n")
        return [int(number) for number in re.search(rb"fds([ \d]+)\n", out).group(1).split()]
    finally:
        term.close()


def test_fds_of_sockets_at_the_prompt_are_the_ones_python_gives():
    expected = python_prompt_filenos(3)
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("socket a; socket b; socket c")
        out = term.command("echo fds $a.fd $b.fd $c.fd")
        numbers = [int(number) for number in re.search(rb"fds([ \d]+)\n", out).group(1).split()]
        assert numbers == expected, (numbers, expected)
    finally:
        term.close()


def test_fds_of_sockshell_itself_stay_above_the_sockets():
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        term.command("socket a")
        own = {}
        for name in os.listdir(f"/proc/{term.pid}/fd"):
            target = os.readlink(f"/proc/{term.pid}/fd/{name}")
            if int(name) > 2 and not target.startswith("socket:"):
                own[int(name)] = target
        # What any program started the same way inherits from this test.
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp("sleep", ["sleep", "5"])
        try:
            time.sleep(0.2)
            inherited = set(int(name) for name in os.listdir(f"/proc/{pid}/fd"))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        low = {number: target for number, target in own.items() if number < 20 and number not in inherited}
        assert not low, f"sockshell's own descriptors below 20: {low}"
    finally:
        term.close()


def test_fds_in_lesson_02_typed_at_the_prompt_are_the_ones_it_shows():
    lesson = os.path.join(HERE, "..", "..", "lessons", "02-tcp-client-server.md")
    with open(lesson) as text:
        lines = text.read().splitlines()
    commands = [(index, line[len("sock> "):]) for index, line in enumerate(lines) if line.startswith("sock> ")]
    term = Terminal(ENV)
    try:
        term.read_until(rb"sock> ")
        checked = 0
        for index, command in commands:
            out = term.command(command).decode(errors="replace")
            expected = lines[index + 1] if index + 1 < len(lines) else ""
            for shown in re.findall(r"<socket (\w+) fd=(\d+)", expected):
                assert f"<socket {shown[0]} fd={shown[1]}" in out, (command, expected, out)
                checked += 1
        assert checked == 2, checked
    finally:
        term.close()
