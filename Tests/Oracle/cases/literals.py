# Issue 10's table rows for literals and integers beyond C's types: number
# literals, OverflowError texts for each C type a call converts to, timeouts
# kept as whole nanoseconds, string escapes. Each asked of python3 at test
# time (see ../oracle.py). `echo (X,)` shows X's repr, as Python's prompt does.

import os
import re

BIG = str(2 ** 200)

# Every name alias sockshell's table holds, each looked up by both sides.
_ALIASES_SWIFT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                              "Sources", "ShellCore", "UnicodeNameAliases.swift")
ALIASES = re.findall(r'^    "([^"]+)": 0x', open(_ALIASES_SWIFT).read(), re.M)
ALIAS_TUPLE = "(" + ", ".join("'\\N{%s}'" % name for name in ALIASES) + ")"
HUGE = str(10 ** 20)

CASES = [
    # ------------------------------------------------------ number literals
    call("literal 0x_1", "echo (0x_1,)", "(0x_1,)"),
    call("literal 0b_1 and -0x_1", "echo (0b_1, -0x_1, 0o_7)", "(0b_1, -0x_1, 0o_7)"),
    call("literal 1_000.5", "echo (1_000.5,)", "(1_000.5,)"),
    call("literal 1e1_0", "echo (1e1_0,)", "(1e1_0,)"),
    call("literal 1_0e-1_0", "echo (1_0e-1_0,)", "(1_0e-1_0,)"),
    call("literal Int.min", "echo (-9223372036854775808,)", "(-9223372036854775808,)"),
    call("literal past Int.max", "echo (9223372036854775808,)", "(9223372036854775808,)"),
    call("literal 2**200", f"echo ({BIG},)", f"({BIG},)"),
    call("literal 0x 2**64", "echo (0x1_0000_0000_0000_0000, -0o7777777777777777777777777)",
         "(0x1_0000_0000_0000_0000, -0o7777777777777777777777777)"),
    # CPython turns no int of more than 4,300 digits into text
    call("literal 4300 digits", "echo (%s,)" % ("7" * 4300), "(%s,)" % ("7" * 4300)),
    call("hex literal just under 4300 digits", "echo (0x%s,)" % ("f" * 3571), "(0x%s,)" % ("f" * 3571)),
    call("hex literal past 4300 digits", "echo 0x%s" % ("f" * 3572), "print(0x%s)" % ("f" * 3572)),
    call("binary literal past 4300 digits in a tuple", "echo (1, 0b%s)" % ("1" * 20000), "print((1, 0b%s))" % ("1" * 20000)),
    call("htons of a hex literal past 4300 digits", "htons 0x%s" % ("f" * 5000), "socket.htons(0x%s)" % ("f" * 5000)),
    # ------------------------------------- integers beyond the call's C type
    Case("recv 2**200", f"socketpair a b\nrecv a {BIG}", f"a, b = socket.socketpair()\na.recv({BIG})"),
    Case("recv 10**20", f"socketpair a b\nrecv a {HUGE}", f"a, b = socket.socketpair()\na.recv({HUGE})"),
    Case("recv -10**20", f"socketpair a b\nrecv a -{HUGE}", f"a, b = socket.socketpair()\na.recv(-{HUGE})"),
    Case("recvfrom 10**20", f"socket u udp\nrecvfrom u {HUGE}",
         f"u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.recvfrom({HUGE})"),
    Case("settimeout 10**20", f"socket s\nsettimeout s {HUGE}", f"s = socket.socket()\ns.settimeout({HUGE})"),
    Case("settimeout -10**20", f"socket s\nsettimeout s -{HUGE}", f"s = socket.socket()\ns.settimeout(-{HUGE})"),
    Case("settimeout Int.min", "socket s\nsettimeout s -9223372036854775808",
         "s = socket.socket()\ns.settimeout(-9223372036854775808)"),
    call("htons 2**200", f"htons {BIG}", f"socket.htons({BIG})"),
    call("htons -10**20", f"htons -{HUGE}", f"socket.htons(-{HUGE})"),
    call("htonl 10**20", f"htonl {HUGE}", f"socket.htonl({HUGE})"),
    call("htonl -10**20", f"htonl -{HUGE}", f"socket.htonl(-{HUGE})"),
    call("ntohl 2**64", f"ntohl {2 ** 64}", f"socket.ntohl({2 ** 64})"),
    call("htonl 2**40", f"htonl {2 ** 40}", f"socket.htonl({2 ** 40})"),
    Case("listen 2**40", f"socket s\nlisten s {2 ** 40}", f"s = socket.socket()\ns.listen({2 ** 40})"),
    Case("listen -2**40", f"socket s\nlisten s -{2 ** 40}", f"s = socket.socket()\ns.listen(-{2 ** 40})"),
    Case("listen 10**20", f"socket s\nlisten s {HUGE}", f"s = socket.socket()\ns.listen({HUGE})"),
    call("create_server backlog 2**40", f"create_server v 127.0.0.1 0 AF_INET {2 ** 40}",
         f"socket.create_server(('127.0.0.1', 0), family=socket.AF_INET, backlog={2 ** 40})"),
    call("getaddrinfo port 2**200", f"getaddrinfo 127.0.0.1 {BIG}", f"socket.getaddrinfo('127.0.0.1', {BIG})"),
    call("getservbyport 10**20", f"getservbyport {HUGE}", f"socket.getservbyport({HUGE})"),
    # ---------------------------------------- timeouts in whole nanoseconds
    Case("timeout 1e-10", "socket s\nsettimeout s 1e-10\ngettimeout s",
         "s = socket.socket()\ns.settimeout(1e-10)\ns.gettimeout()"),
    Case("timeout 1.0000000001", "socket s\nsettimeout s 1.0000000001\ngettimeout s",
         "s = socket.socket()\ns.settimeout(1.0000000001)\ns.gettimeout()"),
    Case("timeout 0.1", "socket s\nsettimeout s 0.1\ngettimeout s", "s = socket.socket()\ns.settimeout(0.1)\ns.gettimeout()"),
    Case("timeout 3", "socket s\nsettimeout s 3\ngettimeout s", "s = socket.socket()\ns.settimeout(3)\ns.gettimeout()"),
    Case("default timeout 1e-10", "setdefaulttimeout 1e-10\ngetdefaulttimeout",
         "socket.setdefaulttimeout(1e-10)\nsocket.getdefaulttimeout()"),
    # -------------------------------------------------------- string escapes
    call("escape \\400", "echo ('\\400', '\\777', b'\\400')", "('\\400', '\\777', b'\\400')"),
    call("escape \\N{BULLET}", "echo ('\\N{BULLET}', '\\N{bullet}')", "('\\N{BULLET}', '\\N{bullet}')"),
    call("escape \\N{name with spaces}", "echo ('\\N{LATIN SMALL LETTER E WITH ACUTE}x',)",
         "('\\N{LATIN SMALL LETTER E WITH ACUTE}x',)"),
    call("escape \\N{LINE FEED} alias", "echo ('\\N{LINE FEED}', '\\N{NULL}')", "('\\N{LINE FEED}', '\\N{NULL}')"),
    # A lone surrogate is a str Python accepts; nothing can encode it.
    call("escape \\ud800 in a tuple", "echo ('\\ud800', 'x\\udfff\\'y\"', \"it's\\ud83d\\ude00\")",
         "('\\ud800', 'x\\udfff\\'y\"', \"it's\\ud83d\\ude00\")"),
    call("escape \\U0000dc00", "echo ('\\U0000dc00',)", "('\\U0000dc00',)"),
    call("print of a lone surrogate", "echo 'a\\ud800'", "print('a\\ud800')"),
    Case("send a lone surrogate", "socketpair a b\nsendall a 'q\\udc00'",
         "a, b = socket.socketpair()\na.sendall('q\\udc00'.encode())"),
    call("every \\N{alias} (%d)" % len(ALIASES), "echo " + ALIAS_TUPLE, ALIAS_TUPLE),
    call("\\N{} of names made from the code point",
         "echo ('\\N{CJK UNIFIED IDEOGRAPH-4E00}', '\\N{CJK UNIFIED IDEOGRAPH-2A6DF}', '\\N{HANGUL SYLLABLE GA}', "
         "'\\N{tangut component-001}', '\\N{nushu character-1b170}', '\\N{CJK COMPATIBILITY IDEOGRAPH-2F800}')",
         "('\\N{CJK UNIFIED IDEOGRAPH-4E00}', '\\N{CJK UNIFIED IDEOGRAPH-2A6DF}', '\\N{HANGUL SYLLABLE GA}', "
         "'\\N{tangut component-001}', '\\N{nushu character-1b170}', '\\N{CJK COMPATIBILITY IDEOGRAPH-2F800}')"),
    call("escape \\N in bytes stays", "echo (b'\\N{BULLET}',)", "(b'\\N{BULLET}',)"),
]
