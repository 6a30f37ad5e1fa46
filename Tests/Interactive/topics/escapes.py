# Tab completion never writes a control character to the terminal (issue 10
# item 13): an /etc/hosts name holding U+009B (CSI) is not offered. The hosts
# file is bind-mounted in a private mount namespace; the machine's is untouched.


def private_hosts_terminal(hosts, unshare_flag):
    """A Terminal whose sockshell sees `hosts` as /etc/hosts: BINARY run through a wrapper."""
    global BINARY
    wrapper = os.path.join(os.path.dirname(hosts), "sockshell-private-hosts")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec unshare {unshare_flag} sh -c 'mount --bind \"$0\" /etc/hosts && exec \"$@\"' "
                f"'{hosts}' '{BINARY}' \"$@\"\n")
    os.chmod(wrapper, 0o755)
    real, BINARY = BINARY, wrapper
    try:
        return Terminal()
    finally:
        BINARY = real


def test_escapes_completion_never_offers_a_hosts_name_with_a_c1_control():
    folder = tempfile.mkdtemp(prefix="sockshell-escapes-")
    hosts = os.path.join(folder, "hosts")
    with open(hosts, "w", encoding="utf-8") as f:
        f.write("127.0.0.1 localhost\n127.0.0.9 evil\u009b2J.example evilgood.example\n")
    flag = "-m" if os.getuid() == 0 else "-rm"
    probe = subprocess.run(["unshare", flag, "sh", "-c",
                            'mount --bind "$0" /etc/hosts', hosts], capture_output=True)
    if shutil.which("unshare") is None or probe.returncode != 0:
        print("skip: cannot bind-mount a hosts file in a private mount namespace")
        return
    term = private_hosts_terminal(hosts, flag)
    try:
        term.read_until(rb"sock> ")
        start = len(term.screen)
        term.send("gethostbyname evil\t\t")
        term.read_until(rb"evilgood\.example")
        time.sleep(0.3)
        term.send("\x15")   # Ctrl-U: leave the line empty
        term.command("echo done", expect=rb"'?done'?\r?\n")
        shown = term.screen[start:]
        assert "\u009b".encode() not in shown, f"U+009B reached the terminal raw: {shown!r}"
    finally:
        term.close()
