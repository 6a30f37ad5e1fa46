# Deep and long input (issue 10 items 1 and 14): nesting stops where CPython's
# parser stops, with its SyntaxError, and no line is quadratic in time or
# memory. Sizes are chosen so that the quadratic code this replaced would pass
# the subprocess timeout or the 2 GiB address-space limit every run has, while
# the linear code takes a fraction of a second.


def py_nesting_error(opener):
    try:
        compile(opener * 201, "<line>", "eval")
    except SyntaxError as exc:
        return exc.msg, exc.offset
    raise AssertionError("python3 accepted 201 nested brackets")


@test
def test_7_depth_nesting_past_200_is_cpythons_syntax_error():
    # 'echo ' is five columns; CPython's offset counts from the first bracket.
    lines = ["echo " + "[" * 60000, "echo " + "(" * 50000 + ")" * 50000,
             "echo " + "[" * 201 + "]" * 201, "socket s " + "(" * 300]
    result = run([script("deep.sock", "\n".join(lines) + "\necho " + "(" * 200 + "1" + ")" * 200 + "\necho alive\n")])
    message, offset = py_nesting_error("[")
    check(py_nesting_error("(") == (message, offset), "python3 treats ( and [ differently")
    expected = [f"{WORK}/deep.sock:{n}: SyntaxError: {message} (column {offset + len(prefix)})"
                for n, prefix in ((1, "echo "), (2, "echo "), (3, "echo "), (4, "socket s "))]
    # 200 levels are still a value; sockshell's tuples keep one item without a comma.
    expect(result, out=["(" * 200 + "1" + ",)" * 200, "alive"], err=expected, rc=1)


@test
def test_7_depth_two_hundred_levels_around_a_long_line_are_not_quadratic():
    # Each level once copied its whole text and resolved its whole subtree:
    # 200 levels around 100,000 words took 3.4 s and 190 MB, so 400,000 words
    # would take about 55 s, past the 20-second timeout.
    words = " ".join(["abcdefgh"] * 400_000)
    result = run([script("deep-wide.sock", "echo " + "(" * 200 + words + ")" * 200 + "\n")])
    expect(result, err=[], rc=0)
    check(len(result.out_lines) == 1 and result.out_lines[0].count("'abcdefgh'") == 400_000,
          "the value lost words\n" + result.describe(300))
    # With a non-ASCII character each level counted its column from the
    # line's start once its items were read (found by scripts/fuzz-runner):
    # a 38 KB line took 19 s, so 900 KB would take hours.
    words = " ".join(["abcdefgh"] * 100_000)
    result = run([script("deep-wide-2.sock", "echo é " + "(" * 200 + words + ")" * 201 + "\n")])
    expect(result, out=[], rc=1, err=[f"{WORK}/deep-wide-2.sock:1: SyntaxError: unmatched ')' "
                                      f"(column {len('echo é ') + 400 + len(words) + 1})"])


@test
def test_7_depth_huge_integer_literals_stop_at_cpythons_4300_digits():
    # Converting a 3 MB hex literal to decimal digits is quadratic (hours);
    # CPython converts no int of more than 4,300 digits to text, so neither
    # does sockshell: a decimal literal past it is a SyntaxError, a hex one
    # prints as print() fails, and a call that takes an int overflows.
    hex_digits = "f" * 3_000_000
    lines = ["echo " + "1" * 5000, "echo 0x" + hex_digits, "htons 0x" + hex_digits, "echo alive"]
    result = run([script("big-int.sock", "\n".join(lines) + "\n")])
    try:
        compile("1" * 5000, "<line>", "eval")
        raise AssertionError("python3 accepted a 5000-digit literal")
    except SyntaxError as exc:
        syntax = exc.msg
    try:
        str(int(hex_digits[:5000], 16))
        raise AssertionError("python3 printed a 6000-digit int")
    except ValueError as exc:
        value_error = str(exc)
    expect(result, out=["alive"], rc=1, err=[
        f"{WORK}/big-int.sock:1: SyntaxError: {syntax} (column 6)",
        f"{WORK}/big-int.sock:2: ValueError: {value_error}",
        f"{WORK}/big-int.sock:3: OverflowError: Python int too large to convert to C long"])


@test
def test_7_depth_one_wide_character_does_not_make_a_line_quadratic():
    # The column of each argument was counted from the start of the line once
    # the line held a non-ASCII character: 160,000 arguments took 22.7 s.
    words = " ".join(["ab"] * 400_000)
    result = run([script("wide.sock", "echo é " + words + " )\n")])
    expect(result, out=[], rc=1,
           err=[f"{WORK}/wide.sock:1: SyntaxError: unmatched ')' (column {len('echo é ') + len(words) + 2})"])


@test
def test_7_depth_a_megabyte_name_gets_its_name_error_at_once():
    # "Did you mean" compared the whole word with every command: 6.4 s a megabyte.
    word = "x" * 4_000_000
    result = run([script("long-name.sock", word + "\necho alive\n")])
    expect(result, out=["alive"], err=[f"{WORK}/long-name.sock:1: NameError: name '{word}' is not defined"], rc=1)
    # Short typos still get their suggestion.
    result = run(["-c", "hlep; sokcet s"])
    expect(result, out=[], rc=1, err=["<command>:1: NameError: name 'hlep' is not defined. Did you mean: 'help'?",
                                      "<command>:2: NameError: name 'sokcet' is not defined. Did you mean: 'socket'?"])


@test
def test_7_depth_a_hex_dump_of_many_megabytes_streams():
    # `set display hex` built the whole dump as one string and then its
    # lines: 23 bytes of memory a byte received (5.8 GB for 256 MiB). Under
    # a 512 MiB address-space limit, 24 MiB must dump, and be hexdump -C's.
    if SANITIZED:
        raise Skip("the address-space limit does not fit a sanitized binary")
    if not shutil.which("hexdump") or not shutil.which("prlimit"):
        raise Skip("hexdump or prlimit is not installed")
    data = bytes(range(256)) * (24 * 4096) + b"\0" * 4096 + b"tail"
    path = os.path.join(WORK, "dump.bin")
    with open(path, "wb") as f:
        f.write(data)
    peer = Peer(lambda conn: conn.sendall(data))
    argv = ["prlimit", "--as=" + str(512 << 20), "--", BINARY, "-c",
            f"create_connection c 127.0.0.1 {peer.port}; set display hex; recvall c"]
    proc = subprocess.run(argv, capture_output=True, timeout=120, env=base_env(), cwd=WORK)
    peer.finish()
    expected = subprocess.run(["hexdump", "-C", path], capture_output=True, check=True).stdout
    check(proc.returncode == 0 and proc.stdout == expected,
          f"exit {proc.returncode}, {len(proc.stdout)} bytes of dump, {len(expected)} expected; "
          f"stderr {proc.stderr[-400:]!r}")
