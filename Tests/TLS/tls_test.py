#!/usr/bin/env python3
"""Tests of TLS (issue 15) against peers no one here wrote: `openssl s_server`
for `tls`, `openssl s_client`, Python's ssl client and curl for `tls_server`,
tshark reading the key log. Each error is produced by a real misconfigured
peer and compared with what python3 prints for the same call; `why`
explains each.

usage: python3 Tests/TLS/tls_test.py PATH_TO_SOCKSHELL [-k NAME]

Every peer listens on 127.0.0.1 and is stopped by the test that started it.
"""
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import suite  # noqa: E402 - Tests/suite.py, the runner the loopback suites share

BINARY = os.path.abspath(sys.argv[1])
WORK = tempfile.mkdtemp(prefix="sockshell-tls-")
TIMEOUT = 60
TESTS = []
# sockshell's messages name the lines of CPython 3.11.7's _ssl.c; another
# python3 build may differ in those numbers only.
SAME_BUILD = sys.version_info[:3] == (3, 11, 7)


def test(function):
    TESTS.append(function)
    return function


def path(name):
    return os.path.join(WORK, name)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def sockshell(commands, timeout=TIMEOUT, env=None):
    """Runs `-c COMMANDS` in WORK; returns (stdout, stderr)."""
    result = subprocess.run([BINARY, "-c", commands], capture_output=True, text=True, timeout=timeout, cwd=WORK,
                            env=env)
    return result.stdout, result.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, deadline=10):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def openssl_certificate(name, host="localhost", ca=None, extensions=()):
    """A certificate and key made by openssl's command line: self-signed, or signed by `ca` (its name)."""
    cert, key = path(name + ".pem"), path(name + ".key")
    if ca is None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "30", "-subj", "/CN=" + host + "/O=Test Org/C=DE", "-addext", f"subjectAltName=DNS:{host}",
                        *[word for extension in extensions for word in ("-addext", extension)]],
                       check=True, capture_output=True)
    else:
        request = path(name + ".csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
                        "-subj", "/CN=" + host], check=True, capture_output=True)
        extensions = path(name + ".ext")
        with open(extensions, "w") as out:
            out.write(f"subjectAltName=DNS:{host}\n")
        subprocess.run(["openssl", "x509", "-req", "-in", request, "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
                        "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", extensions],
                       check=True, capture_output=True)
    return cert, key


class Peer:
    """A server process on 127.0.0.1, stopped on leaving the block."""

    def __init__(self, argv, port, stdin=subprocess.DEVNULL):
        self.port = port
        self.process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=WORK)

    def __enter__(self):
        wait_listening(self.port)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def s_server(cert, key, *extra):
    port = free_port()
    return Peer(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key, "-www",
                 "-quiet", *extra], port)


class ThreadPeer:
    """A server in this process: `serve(connection)` runs for each client, once per `accept`."""

    def __init__(self, serve, clients=1):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.serve = serve
        self.thread = threading.Thread(target=self.run, args=(clients,), daemon=True)
        self.thread.start()

    def run(self, clients):
        for _ in range(clients):
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            try:
                self.serve(connection)
            except OSError:
                pass
            finally:
                connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self.thread.join(10)


def against_each(serve, commands, code):
    """sockshell's COMMANDS(port), then python3's CODE(port), each against a
    fresh ThreadPeer(serve): (sockshell's error lines, its stdout, python3's last line)."""
    with ThreadPeer(serve) as peer:
        out, err = sockshell(commands(peer.port))
    with ThreadPeer(serve) as peer:
        python = python_last_line(code(peer.port))
    return error_lines(err), out, python


def python_last_line(code):
    """What python3 prints last for CODE: its traceback's final line, or its own last line."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=WORK)
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else ""


def error_lines(stderr):
    """sockshell's error lines without their `<command>:N: ` place."""
    return [re.sub(r"^<command>:\d+: ", "", line) for line in stderr.splitlines() if line.startswith("<command>:")]


def same_error(ours, python):
    if not SAME_BUILD:
        ours, python = (re.sub(r"_ssl\.c:\d+", "_ssl.c:N", text) for text in (ours, python))
    return ours == python


PYTHON_CLIENT = """
import socket, ssl
ctx = ssl.create_default_context({cafile})
{settings}
s = socket.create_connection(('127.0.0.1', {port}){timeout})
s = ctx.wrap_socket(s, server_hostname={host!r})
{after}
"""


def python_client(port, host="localhost", cafile=None, settings="", timeout=None, after=""):
    return PYTHON_CLIENT.format(cafile=f"cafile={cafile!r}" if cafile else "", settings=settings, port=port,
                                timeout=f", timeout={timeout}" if timeout else "", host=host, after=after)


@test
def test_client_against_openssl_s_server_tls13_tls12_and_alpn_as_python_sees_them():
    # The extensions a public CA's certificate carries, which getpeercert() shows.
    cert, key = openssl_certificate("server", extensions=(
        "authorityInfoAccess=OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://ca.example.com/ca.crt",
        "crlDistributionPoints=URI:http://crl.example.com/one.crl,URI:http://crl.example.com/two.crl"))
    with s_server(cert, key, "-alpn", "h2,http/1.1") as peer:
        for version, alpn in ((None, "h2,http/1.1"), ("TLSv1_2", "http/1.1"), ("TLSv1_3", None)):
            options = f"cafile={cert}" + (f" version={version}" if version else "") + (f" alpn={alpn}" if alpn else "")
            out, err = sockshell(f"create_connection c localhost {peer.port}; tls c {options}; tlsinfo c; "
                                 "sendall c b'GET /hello HTTP/1.0\\r\\n\\r\\n'; recvline c; sockets")
            check(err == "", f"{options}: {err}")
            settings = ""
            if version:
                settings += f"ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.{version}\n"
            if alpn:
                settings += f"ctx.set_alpn_protocols({alpn.split(',')!r})\n"
            code = python_client(peer.port, cafile=cert, settings=settings, after=(
                "print('version: ' + repr(s.version()))\nprint('cipher: ' + repr(s.cipher()))\n"
                "print('selected_alpn_protocol: ' + repr(s.selected_alpn_protocol()))\n"
                "print('session_reused: ' + repr(s.session_reused))\nprint('getpeercert: ' + repr(s.getpeercert()))"))
            python = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT).stdout
            ours = out.splitlines()
            check(ours[:5] == python.splitlines(), f"{options}: tlsinfo\n{out}\nis not what Python says:\n{python}")
            check(ours[5] == repr(b"HTTP/1.0 200 ok\r\n"), f"the page's first line over TLS: {ours[5]}")
            expected_version = {"TLSv1_2": "TLSv1.2"}.get(version, "TLSv1.3")
            check(f"version: '{expected_version}'" == ours[0], ours[0])
            row = next(line for line in ours if line.startswith("c "))
            check(f"tls={expected_version}/" in row, f"sockets shows no tls= for c: {row}")
        check(f"selected_alpn_protocol: 'h2'" in sockshell(f"create_connection c localhost {peer.port}; "
                                                            f"tls c cafile={cert} alpn=h2,http/1.1; tlsinfo c")[0],
              "ALPN h2 was not selected")


@test
def test_getpeercert_shows_every_kind_of_alternative_name_as_python_does():
    # Names a certificate can hold besides DNS: addresses, email, URI, a
    # Registered ID (known and unknown), a directory name, other names.
    config = path("names.cnf")
    with open(config, "w") as out:
        out.write("[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n[dn]\nCN = localhost\n[ext]\n"
                  "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1, email:a@example.com, URI:http://example.com/, "
                  "RID:1.2.3.4, RID:1.3.6.1.5.5.7.3.1, dirName:directory, "
                  "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com, otherName:1.2.3.4.5;UTF8:some\n"
                  "[directory]\nC = DE\nO = Test Org\nCN = Directory Name\n")
    cert, key = path("names.pem"), path("names.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "30",
                    "-config", config], check=True, capture_output=True)
    with s_server(cert, key) as peer:
        out, err = sockshell(f"create_connection c localhost {peer.port}; tls c cafile={cert}; tlsinfo c")
        check(err == "", err)
        code = python_client(peer.port, cafile=cert, after="print('getpeercert: ' + repr(s.getpeercert()))")
        python = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT).stdout
        ours = next(line for line in out.splitlines() if line.startswith("getpeercert: "))
        check("('DirName', ((('countryName', 'DE'),)" in ours and "('Registered ID', '1.2.3.4')" in ours, ours)
        check(ours == python.strip(), f"tlsinfo's\n{ours}\nis not what Python says:\n{python}")


@test
def test_every_error_as_python_prints_it_from_a_real_misconfigured_peer():
    cert, key = openssl_certificate("good")
    # An expired certificate, made by sockshell itself, served by openssl.
    out, err = sockshell("certificate make expired.pem expired.key localhost days=-1")
    check(err == "", err)
    openssl_certificate("ca", host="Test CA")
    signed, signed_key = openssl_certificate("signed", ca="ca")
    why = {}
    cases = []
    with s_server(path("good.pem"), key) as good, s_server(path("expired.pem"), path("expired.key")) as expired, \
            s_server(signed, signed_key) as private_ca:
        cases = [
            ("self-signed", good.port, "", python_client(good.port), "self-signed certificate"),
            ("wrong host", good.port, f"cafile={cert} server_hostname=wrong.example",
             python_client(good.port, host="wrong.example", cafile=cert), "Hostname mismatch"),
            ("expired", expired.port, "cafile=expired.pem", python_client(expired.port, cafile="expired.pem"),
             "certificate has expired"),
            ("unknown CA", private_ca.port, "", python_client(private_ca.port), "unable to get local issuer certificate"),
        ]
        for name, port, options, code, words in cases:
            out, err = sockshell(f"create_connection c localhost {port}; tls c {options}; why; getpeername c")
            ours = error_lines(err)
            python = python_last_line(code)
            check(len(ours) == 2 and same_error(ours[0], python), f"{name}: sockshell said {ours}, python3 {python!r}")
            check(words in ours[0], f"{name}: {ours[0]}")
            # As Python's wrap_socket closes the socket, the name is gone.
            check(ours[1] == "NameError: name 'c' is not defined", f"{name}: after the failed handshake: {ours[1]}")
            why[name] = out

    # A plain HTTP server where TLS was expected.
    port = free_port()
    with Peer([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], port):
        out, err = sockshell(f"create_connection c localhost {port}; tls c; why")
        python = python_last_line(python_client(port))
        check(same_error(error_lines(err)[0], python), f"plain server: {err!r} vs {python!r}")
        check("WRONG_VERSION_NUMBER" in python, python)
        why["plain"] = out

    # A peer that reads the ClientHello and closes.
    def close_mid_handshake(connection):
        connection.recv(65536)
        connection.shutdown(socket.SHUT_RDWR)
        time.sleep(0.2)
    ours, why["eof"], python = against_each(close_mid_handshake, lambda port: f"create_connection c localhost {port}; tls c; why",
                                            lambda port: python_client(port))
    check(same_error(ours[0], python) and ours[0].startswith("ssl.SSLEOFError: "), f"closed mid-handshake: {ours!r} vs {python!r}")

    # A peer that accepts and never answers: the handshake times out.
    ours, why["timeout"], python = against_each(lambda connection: time.sleep(2),
                                                lambda port: f"create_connection c localhost {port} 0.5; tls c; why",
                                                lambda port: python_client(port, timeout=0.5))
    check(same_error(ours[0], python) and "The handshake operation timed out" in ours[0], f"timeout: {ours!r} vs {python!r}")

    # SSLZeroReturnError: our unwrap times out, then the peer's close_notify comes.
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)

    def late_close(connection):
        tls = server_context.wrap_socket(connection, server_side=True)
        time.sleep(1.0)
        tls.unwrap()
        time.sleep(1.0)
    for who in ("sockshell", "python"):
        with ThreadPeer(late_close) as peer:
            if who == "sockshell":
                out, err = sockshell(f"create_connection c localhost {peer.port}; tls c cafile={cert}; settimeout c 0.3; "
                                     "unwrap c; sleep 1.2; recv c; why")
                ours = error_lines(err)
                why["zero"] = out
            else:
                python = subprocess.run([sys.executable, "-c", python_client(peer.port, cafile=cert, after=(
                    "import time\ns.settimeout(0.3)\n"
                    "try:\n    s.unwrap()\nexcept Exception as e:\n    print(type(e).__qualname__ + ': ' + str(e))\n"
                    "time.sleep(1.2)\ns.recv(4096)"))], capture_output=True, text=True, timeout=TIMEOUT)
                python_lines = [python.stdout.strip(), python.stderr.strip().splitlines()[-1]]
    check(len(ours) == 2 and ours[0] == python_lines[0] and same_error(ours[1], python_lines[1])
          and ours[1].startswith("ssl.SSLZeroReturnError: "), f"zero return: {ours} vs {python_lines}")

    explained = {"self-signed": "signs itself", "wrong host": "names other hosts", "expired": "valid for",
                 "unknown CA": "certificate authority", "plain": "not a TLS record", "eof": "close_notify",
                 "timeout": "did not answer the ClientHello", "zero": "close_notify"}
    for name, words in explained.items():
        check(words in why[name], f"why after the {name} error does not explain it:\n{why[name]}")


def run_server_script(commands):
    """sockshell running COMMANDS in the background; returns the process."""
    return subprocess.Popen([BINARY, "-c", commands], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=WORK)


@test
def test_tls_server_against_openssl_s_client_and_python_client_tls13_and_tls12():
    out, err = sockshell("certificate make made.pem made.key localhost")
    check(err == "", err)
    for client_flag, expected in (("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2")):
        port = free_port()
        server = run_server_script(f"create_server srv 127.0.0.1 {port}; accept srv; tls_server srv_1 made.pem made.key; "
                                   "tlsinfo srv_1; recvline srv_1; sendall srv_1 b'pong\\n'; unwrap srv_1")
        wait_listening_after(server, port)
        client = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                                 "-CAfile", path("made.pem"), "-verify_return_error", "-ign_eof", client_flag],
                                input="ping\n", capture_output=True, text=True, timeout=TIMEOUT)
        out, err = server.communicate(timeout=TIMEOUT)
        check(err == "", f"tls_server: {err}")
        check(f"version: '{expected}'" in out and repr(b"ping\n") in out, f"tls_server saw:\n{out}")
        check("pong" in client.stdout and "Verify return code: 0 (ok)" in client.stdout,
              f"openssl s_client:\n{client.stdout}\n{client.stderr}")

    # Python's ssl client, with ALPN: the server chooses the first of its own the client offers.
    port = free_port()
    server = run_server_script(f"create_server srv 127.0.0.1 {port}; accept srv; "
                               "tls_server srv_1 made.pem made.key alpn=http/1.1,h2; tlsinfo srv_1; recv srv_1; "
                               "sendall srv_1 b'hello from sockshell'; close srv_1")
    wait_listening_after(server, port)
    code = python_client(port, cafile="made.pem", settings="ctx.set_alpn_protocols(['h2', 'http/1.1'])", after=(
        "s.sendall(b'hi')\nprint(s.selected_alpn_protocol(), s.recv(100), s.getpeercert()['subject'])"))
    python = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=WORK)
    out, err = server.communicate(timeout=TIMEOUT)
    check(err == "", err)
    check(python.stdout.strip() == "http/1.1 b'hello from sockshell' ((('commonName', 'localhost'),),)",
          f"python's client: {python.stdout} {python.stderr}")
    check("selected_alpn_protocol: 'http/1.1'" in out and "getpeercert: None" in out and repr(b"hi") in out, out)


def wait_listening_after(process, port):
    """Waits until `process` has bound PORT, without connecting (its accept would take the probe)."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"sockshell did not listen: {process.communicate()}")


@test
def test_curl_fetches_from_a_sockshell_https_responder():
    out, err = sockshell("certificate make web.pem web.key localhost")
    check(err == "", err)
    port = free_port()
    server = run_server_script(f"create_server srv 127.0.0.1 {port}; accept srv; "
                               "tls_server srv_1 web.pem web.key; recvuntil srv_1 b'\\r\\n\\r\\n'; "
                               "sendall srv_1 b'HTTP/1.1 200 OK\\r\\nContent-Length: 12\\r\\nConnection: close\\r\\n\\r\\n"
                               "hello, curl\\n'; unwrap srv_1")
    wait_listening_after(server, port)
    curl = subprocess.run(["curl", "-sS", "--cacert", path("web.pem"), f"https://localhost:{port}/index.html"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    out, err = server.communicate(timeout=TIMEOUT)
    check(curl.stdout == "hello, curl\n", f"curl: {curl.stdout!r} {curl.stderr!r}")
    check("GET /index.html HTTP/1.1" in out and err == "", f"the responder saw: {out} {err}")


@test
def test_trace_shows_the_handshake_messages_openssl_s_client_shows():
    cert, key = openssl_certificate("traced")
    with s_server(cert, key) as peer:
        out, err = sockshell(f"create_connection c localhost {peer.port}; set trace on; tls c cafile={cert}")
        client = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{peer.port}", "-msg", "-CAfile", cert],
                                input="", capture_output=True, text=True, timeout=TIMEOUT)
    pattern = re.compile(r"^(>>>|<<<) (TLS 1\.[23]), (Handshake|Alert|ChangeCipherSpec) \[length [0-9a-f]{4}\](?:, (.+))?$")

    def messages(text):
        return [(m.group(1), m.group(3), m.group(4)) for m in map(pattern.match, text.splitlines())
                if m and m.group(3) == "Handshake"]
    # The trace goes where the error lines go, as strace's does.
    ours, theirs = messages(err), messages(client.stdout)
    check(out == "", out)
    for message in (">>>", "Handshake", "ClientHello"), ("<<<", "Handshake", "ServerHello"), \
            ("<<<", "Handshake", "Certificate"), ("<<<", "Handshake", "Finished"), (">>>", "Handshake", "Finished"):
        check(message in ours, f"{message} not in the trace:\n{err}")
    # The handshake up to the client's Finished is the one s_client reports.
    cut = lambda seq: seq[:seq.index((">>>", "Handshake", "Finished")) + 1]  # noqa: E731
    check(cut(ours) == cut(theirs), f"sockshell's messages {cut(ours)}\nare not openssl's {cut(theirs)}")


@test
def test_key_log_lets_tshark_decrypt_a_capture_of_the_session():
    capture_skip = None
    if shutil.which("tshark") is None or shutil.which("tcpdump") is None:
        capture_skip = "tshark or tcpdump is not installed (scripts/test installs both; apt-get failed here)"
    elif os.geteuid() != 0:
        capture_skip = "tcpdump needs root to capture on lo, and this test runs as an ordinary user"
    if capture_skip:
        print(f"    SKIP (the capture and tshark; the key log is still checked): {capture_skip}")
    cert, key = openssl_certificate("logged")
    for how in ("set-keylog", "SSLKEYLOGFILE"):
        keylog, capture = path(f"keys-{how}.log"), path(f"capture-{how}.pcap")
        with s_server(cert, key) as peer:
            dump = None
            if not capture_skip:
                dump = subprocess.Popen(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-w", capture, f"tcp port {peer.port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                # It captures once it says so.
                check("listening on" in dump.stderr.readline(), "tcpdump did not start")
            env = dict(os.environ)
            commands = f"create_connection c localhost {peer.port}; tls c cafile={cert}; " \
                       "sendall c b'GET /the-secret-path HTTP/1.0\\r\\n\\r\\n'; recvall c > page.html"
            if how == "SSLKEYLOGFILE":
                env["SSLKEYLOGFILE"] = keylog
            else:
                commands = f"set keylog {keylog!r}; " + commands
            out, err = sockshell(commands, env=env)
            if dump:
                time.sleep(1.0)
                dump.terminate()
                dump.wait(10)
        check(err == "", err)
        with open(keylog) as log:
            lines = log.read().splitlines()
        check(lines[0] == "# TLS secrets log file, generated by OpenSSL / Python", f"{how}: {lines[:1]}")
        labels = {line.split()[0] for line in lines[1:]}
        check({"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
               "SERVER_TRAFFIC_SECRET_0"} <= labels, f"{how}: the key log has {labels}")
        if capture_skip:
            continue
        # The port is no TLS port tshark knows: it is told.
        fields = ["tshark", "-r", capture, "-d", f"tcp.port=={peer.port},tls",
                  "-Y", "http.request", "-T", "fields", "-e", "http.request.uri"]
        decrypted = subprocess.run(fields + ["-o", f"tls.keylog_file:{keylog}"], capture_output=True, text=True,
                                   timeout=TIMEOUT)
        plain = subprocess.run(fields, capture_output=True, text=True, timeout=TIMEOUT)
        check(decrypted.stdout.strip() == "/the-secret-path", f"{how}: tshark with the key log: {decrypted.stdout!r} {decrypted.stderr}")
        check(plain.stdout.strip() == "", f"{how}: tshark read the request without the key log: {plain.stdout!r}")


@test
def test_interact_relays_stdin_over_tls_and_ends_with_close_notify_as_socat():
    cert, key = openssl_certificate("relayed")
    with s_server(cert, key) as peer:
        result = subprocess.run([BINARY, "-c", f"create_connection c localhost {peer.port}; tls c cafile={cert}; interact c"],
                                input="GET /relayed HTTP/1.0\r\n\r\n", capture_output=True, text=True, timeout=TIMEOUT, cwd=WORK)
    check(result.returncode == 0 and result.stderr == "", f"interact over TLS: {result.returncode} {result.stderr}")
    # s_server -www answers any request with its status page, decrypted here.
    check("HTTP/1.0 200 ok" in result.stdout and "Ciphers supported in s_server binary" in result.stdout,
          f"the page did not come back decrypted:\n{result.stdout[:500]}")


@test
def test_256_mib_each_way_over_tls_sha256():
    cert, key = openssl_certificate("bulk")
    data = path("bulk.bin")
    with open(data, "wb") as out:
        for _ in range(256):
            out.write(os.urandom(1 << 20))
    with open(data, "rb") as source:
        digest = hashlib.file_digest(source, "sha256").hexdigest()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    received = {}

    def sink(connection):
        tls = server_context.wrap_socket(connection, server_side=True)
        hasher, count = hashlib.sha256(), 0
        while True:
            chunk = tls.recv(1 << 20)
            if not chunk:
                break
            hasher.update(chunk)
            count += len(chunk)
        received["upload"] = (count, hasher.hexdigest())
        tls.unwrap()

    def source(connection):
        tls = server_context.wrap_socket(connection, server_side=True)
        with open(data, "rb") as file:
            while chunk := file.read(1 << 20):
                tls.sendall(chunk)
        tls.unwrap()

    with ThreadPeer(sink) as peer:
        out, err = sockshell(f"create_connection c localhost {peer.port}; tls c cafile={cert}; sendall c @bulk.bin; "
                             "unwrap c; sockets", timeout=300)
    check(err == "" and received.get("upload") == (256 << 20, digest), f"upload: {received} {err}")
    with ThreadPeer(source) as peer:
        out, err = sockshell(f"create_connection c localhost {peer.port}; tls c cafile={cert}; recvall c > down.bin",
                             timeout=300)
    with open(path("down.bin"), "rb") as got:
        down = hashlib.file_digest(got, "sha256").hexdigest()
    check(err == "" and down == digest and os.path.getsize(path("down.bin")) == 256 << 20, f"download: {err}")


@test
def test_export_python_of_a_tls_session_runs_and_prints_the_same():
    cert, key = openssl_certificate("exported")
    with s_server(cert, key, "-alpn", "http/1.1") as peer:
        # Wrapped once connected, and wrapped before connecting (the handshake comes with connect).
        for start in (f"create_connection c localhost {peer.port}; tls c cafile={cert} alpn=http/1.1",
                      f"socket c; tls c server_hostname=localhost cafile={cert} alpn=http/1.1; connect c 127.0.0.1 {peer.port}"):
            session = (f"{start}; tlsinfo c; sendall c b'GET / HTTP/1.0\\r\\n\\r\\n'; recvline c; unwrap c; "
                       "export python session.py")
            out, err = sockshell(session)
            check(err == "" and "version: 'TLSv1.3'" in out, err + out)
            script = subprocess.run([sys.executable, path("session.py")], capture_output=True, text=True, timeout=TIMEOUT,
                                    cwd=WORK)
            with open(path("session.py")) as exported:
                text = exported.read()
            check("import ssl" in text and "wrap_socket(c, server_hostname='localhost')" in text, text)
            check(script.returncode == 0 and script.stdout == out,
                  f"the script printed\n{script.stdout}{script.stderr}\nsockshell\n{out}")


@test
def test_data_commands_refuse_what_python_refuses_on_an_ssl_socket():
    cert, key = openssl_certificate("refusing")
    with s_server(cert, key) as peer:
        out, err = sockshell(f"create_connection c localhost {peer.port}; tls c cafile={cert}; send c b'x' MSG_OOB; "
                             "recv c 10 MSG_PEEK; recvfrom c; sendto c b'x' 127.0.0.1 9; tls c; unwrap c; unwrap c; "
                             "tlsinfo c")
    check(error_lines(err) == [
        "ValueError: non-zero flags not allowed in calls to send() on <class 'ssl.SSLSocket'>",
        "ValueError: non-zero flags not allowed in calls to recv() on <class 'ssl.SSLSocket'>",
        "ValueError: recvfrom not allowed on instances of <class 'ssl.SSLSocket'>",
        "ValueError: sendto not allowed on instances of <class 'ssl.SSLSocket'>",
        "ValueError: c already speaks TLS (unwrap c first)",
        "AttributeError: 'socket' object has no attribute 'unwrap'",
        "AttributeError: 'socket' object has no attribute 'version'",
    ], err)


if __name__ == "__main__":
    try:
        status = suite.run(TESTS, suite.only_argument())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(status)
