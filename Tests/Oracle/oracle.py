#!/usr/bin/env python3
"""Python oracle for sockshell.

Usage: python3 Tests/Oracle/oracle.py PATH_TO_SOCKSHELL

Every case runs the same socket call twice on this machine, at test time:
once in sockshell (a small script file run as `sockshell FILE`) and once in a
fresh `python3 -c` subprocess.  The line sockshell prints for the case's final
command must equal what Python prints for the final expression: `repr(value)`,
or for an exception the last line of its traceback
(`traceback.format_exception_only(type(e), e)[-1].rstrip()`).  No expected text
is written down here: Python produces it every run.

A case is
  name   -- short identifier, printed when the case fails
  sh     -- sockshell lines; the last one is the command under test
  py     -- Python lines; the last one is the expression under test, the lines
            before it set up exactly the situation the sockshell lines set up
  ports  -- socket names (the same in both) whose ephemeral local ports occur
            in the value; each side replaces its own actual port numbers by
            `<port NAME>` before comparing
  setup_may_fail -- a setup line is expected to fail (both sides); its error
            is not reported
  uncaught -- the final expression raises, and the line compared is the
            last line python3 itself prints for the uncaught exception (the
            interpreter adds CPython's "Did you mean" suggestions, which
            3.11's traceback module leaves out)

`@CLOSED@` in sh or py is replaced, in both, by a loopback TCP port that was
free a moment ago (found by binding a socket to port 0 and closing it).
`@RAND@` is replaced, in both, by a fresh token (for AF_UNIX abstract names).
A sockshell command that prints nothing counts as `None` (SPEC section 4).

Only loopback traffic; each subprocess has a 10 s timeout; every socket lives
in a subprocess that exits before the next case starts.
"""

import concurrent.futures
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

TIMEOUT = 10  # seconds, per subprocess
JOBS = 4      # cases run at once

MARK = "__ORACLE_FINAL__"
PORT_MARK = "__ORACLE_PORT__"


class Case:
    def __init__(self, name, sh, py, ports=(), setup_may_fail=False, uncaught=False):
        self.name = name
        self.uncaught = uncaught
        self.setup_may_fail = setup_may_fail
        self.sh = [l.strip() for l in textwrap.dedent(sh).strip().splitlines() if l.strip()]
        self.py = [l.rstrip() for l in textwrap.dedent(py).strip().splitlines() if l.strip()]
        self.ports = tuple(ports)


def call(name, sh, py):
    """A one-line case: a module function call with no setup."""
    return Case(name, sh, py)


# Integer constants that sockshell receives as plain numbers (computed here,
# from this Python, never hard-coded).
NI_NUMERIC = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV

LINGER_ON_0 = "b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'"  # struct.pack('ii', 1, 0)

# A connected TCP pair c <-> p with listener srv, built identically on both sides.
SH_PAIR = textwrap.dedent("""
    socket srv
    bind srv 127.0.0.1 0
    listen srv
    socket c
    connect c 127.0.0.1 $srv.port
    accept srv p
""").lstrip()
PY_PAIR = textwrap.dedent("""
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen()
    c = socket.socket()
    c.connect(('127.0.0.1', srv.getsockname()[1]))
    p, _ = srv.accept()
""").lstrip()

CASES = [
    # ---------------------------------------------------------------- resolver
    call("gethostbyname localhost", "gethostbyname localhost", "socket.gethostbyname('localhost')"),
    call("gethostbyname 127.0.0.1", "gethostbyname 127.0.0.1", "socket.gethostbyname('127.0.0.1')"),
    call("gethostbyname ::1", "gethostbyname ::1", "socket.gethostbyname('::1')"),
    call("gethostbyname unknown", "gethostbyname nosuch.invalid", "socket.gethostbyname('nosuch.invalid')"),
    call("gethostbyname empty", "gethostbyname ''", "socket.gethostbyname('')"),
    call("gethostbyname <broadcast>", "gethostbyname '<broadcast>'", "socket.gethostbyname('<broadcast>')"),
    call("gethostbyname_ex localhost", "gethostbyname_ex localhost", "socket.gethostbyname_ex('localhost')"),
    call("gethostbyname_ex 127.0.0.1", "gethostbyname_ex 127.0.0.1", "socket.gethostbyname_ex('127.0.0.1')"),
    call("gethostbyname_ex ::1", "gethostbyname_ex ::1", "socket.gethostbyname_ex('::1')"),
    call("gethostbyname_ex unknown", "gethostbyname_ex nosuch.invalid", "socket.gethostbyname_ex('nosuch.invalid')"),
    call("gethostbyaddr 127.0.0.1", "gethostbyaddr 127.0.0.1", "socket.gethostbyaddr('127.0.0.1')"),
    call("gethostbyaddr localhost", "gethostbyaddr localhost", "socket.gethostbyaddr('localhost')"),
    call("gethostbyaddr ::1", "gethostbyaddr ::1", "socket.gethostbyaddr('::1')"),
    call("gethostbyaddr unknown", "gethostbyaddr nosuch.invalid", "socket.gethostbyaddr('nosuch.invalid')"),
    call("getaddrinfo localhost 80", "getaddrinfo localhost 80", "socket.getaddrinfo('localhost', 80)"),
    call("getaddrinfo localhost 80 inet stream", "getaddrinfo localhost 80 inet stream",
         "socket.getaddrinfo('localhost', 80, socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo 127.0.0.1 53 AF_INET SOCK_DGRAM", "getaddrinfo 127.0.0.1 53 AF_INET SOCK_DGRAM",
         "socket.getaddrinfo('127.0.0.1', 53, socket.AF_INET, socket.SOCK_DGRAM)"),
    call("getaddrinfo ::1 80", "getaddrinfo ::1 80", "socket.getaddrinfo('::1', 80)"),
    call("getaddrinfo ::1 80 inet6 stream", "getaddrinfo ::1 80 inet6 stream",
         "socket.getaddrinfo('::1', 80, socket.AF_INET6, socket.SOCK_STREAM)"),
    call("getaddrinfo ::1 80 inet (family mismatch)", "getaddrinfo ::1 80 inet",
         "socket.getaddrinfo('::1', 80, socket.AF_INET)"),
    call("getaddrinfo localhost http (service name)", "getaddrinfo localhost http inet stream",
         "socket.getaddrinfo('localhost', 'http', socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo None passive", "getaddrinfo None 8080 inet stream 0 AI_PASSIVE",
         "socket.getaddrinfo(None, 8080, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)"),
    call("getaddrinfo localhost AI_NUMERICHOST", "getaddrinfo localhost 80 0 0 0 AI_NUMERICHOST",
         "socket.getaddrinfo('localhost', 80, 0, 0, 0, socket.AI_NUMERICHOST)"),
    call("getaddrinfo unknown name", "getaddrinfo nosuch.invalid 80",
         "socket.getaddrinfo('nosuch.invalid', 80)"),
    call("getaddrinfo unknown service", "getaddrinfo 127.0.0.1 nosuchservice",
         "socket.getaddrinfo('127.0.0.1', 'nosuchservice')"),
    call("getnameinfo 127.0.0.1 80", "getnameinfo 127.0.0.1 80 0",
         "socket.getnameinfo(('127.0.0.1', 80), 0)"),
    call("getnameinfo tuple numeric", f"getnameinfo ('127.0.0.1', 80) {NI_NUMERIC}",
         "socket.getnameinfo(('127.0.0.1', 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)"),
    call("getnameinfo ::1 80", "getnameinfo ::1 80 0", "socket.getnameinfo(('::1', 80), 0)"),
    call("getnameinfo host name (not numeric)", "getnameinfo localhost 80 0",
         "socket.getnameinfo(('localhost', 80), 0)"),
    call("getnameinfo port out of range", "getnameinfo 127.0.0.1 70000 0",
         "socket.getnameinfo(('127.0.0.1', 70000), 0)"),
    call("gethostname", "gethostname", "socket.gethostname()"),
    call("getfqdn localhost", "getfqdn localhost", "socket.getfqdn('localhost')"),

    # ------------------------------------------------------ services, protocols
    call("getservbyname http tcp", "getservbyname http tcp", "socket.getservbyname('http', 'tcp')"),
    call("getservbyname http", "getservbyname http", "socket.getservbyname('http')"),
    call("getservbyname domain udp", "getservbyname domain udp", "socket.getservbyname('domain', 'udp')"),
    call("getservbyname miss", "getservbyname nosuchservice tcp",
         "socket.getservbyname('nosuchservice', 'tcp')"),
    call("getservbyport 80", "getservbyport 80", "socket.getservbyport(80)"),
    call("getservbyport 53 udp", "getservbyport 53 udp", "socket.getservbyport(53, 'udp')"),
    call("getservbyport miss", "getservbyport 65000 tcp", "socket.getservbyport(65000, 'tcp')"),
    call("getservbyport too large", "getservbyport 70000", "socket.getservbyport(70000)"),
    call("getservbyport negative", "getservbyport -1 tcp", "socket.getservbyport(-1, 'tcp')"),
    call("getprotobyname tcp", "getprotobyname tcp", "socket.getprotobyname('tcp')"),
    call("getprotobyname udp", "getprotobyname udp", "socket.getprotobyname('udp')"),
    call("getprotobyname miss", "getprotobyname nosuchproto", "socket.getprotobyname('nosuchproto')"),

    # ------------------------------------------------------------ inet_* calls
    call("inet_aton good", "inet_aton 127.0.0.1", "socket.inet_aton('127.0.0.1')"),
    call("inet_aton short form", "inet_aton 127.1", "socket.inet_aton('127.1')"),
    call("inet_aton bad", "inet_aton 300.1.2.3.4", "socket.inet_aton('300.1.2.3.4')"),
    call("inet_ntoa good", "inet_ntoa b'\\x7f\\x00\\x00\\x01'", "socket.inet_ntoa(b'\\x7f\\x00\\x00\\x01')"),
    call("inet_ntoa bad length", "inet_ntoa b'\\x01\\x02'", "socket.inet_ntoa(b'\\x01\\x02')"),
    call("inet_pton inet good", "inet_pton AF_INET 10.0.0.1", "socket.inet_pton(socket.AF_INET, '10.0.0.1')"),
    call("inet_pton inet6 good", "inet_pton AF_INET6 ::1", "socket.inet_pton(socket.AF_INET6, '::1')"),
    call("inet_pton inet6 mapped", "inet_pton AF_INET6 ::ffff:127.0.0.1",
         "socket.inet_pton(socket.AF_INET6, '::ffff:127.0.0.1')"),
    call("inet_pton inet bad", "inet_pton AF_INET 127.1", "socket.inet_pton(socket.AF_INET, '127.1')"),
    call("inet_pton inet6 bad", "inet_pton AF_INET6 1:::2", "socket.inet_pton(socket.AF_INET6, '1:::2')"),
    call("inet_ntop inet good", "inet_ntop AF_INET b'\\xc0\\xa8\\x00\\x01'",
         "socket.inet_ntop(socket.AF_INET, b'\\xc0\\xa8\\x00\\x01')"),
    call("inet_ntop inet6 good",
         "inet_ntop AF_INET6 b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\x7f\\x00\\x00\\x01'",
         "socket.inet_ntop(socket.AF_INET6, b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\x7f\\x00\\x00\\x01')"),
    call("inet_ntop bad length", "inet_ntop AF_INET b'\\x01'", "socket.inet_ntop(socket.AF_INET, b'\\x01')"),

    # --------------------------------------------------------- byte order calls
    call("htons 1", "htons 1", "socket.htons(1)"),
    call("htons negative", "htons -1", "socket.htons(-1)"),
    call("htons too large", "htons 65536", "socket.htons(65536)"),
    call("ntohs 0x1234", "ntohs 0x1234", "socket.ntohs(0x1234)"),
    call("ntohs too large", "ntohs 65536", "socket.ntohs(65536)"),
    call("htonl 1", "htonl 1", "socket.htonl(1)"),
    call("htonl negative", "htonl -1", "socket.htonl(-1)"),
    call("htonl too large", "htonl 0x100000000", "socket.htonl(0x100000000)"),
    call("ntohl 0xdeadbeef", "ntohl 0xdeadbeef", "socket.ntohl(0xdeadbeef)"),
    call("ntohl negative", "ntohl -5", "socket.ntohl(-5)"),

    # ---------------------------------------------------------- default timeout
    call("getdefaulttimeout", "getdefaulttimeout", "socket.getdefaulttimeout()"),
    Case("setdefaulttimeout then getdefaulttimeout",
         "setdefaulttimeout 3\ngetdefaulttimeout",
         "socket.setdefaulttimeout(3)\nsocket.getdefaulttimeout()"),
    Case("setdefaulttimeout applies to new socket",
         "setdefaulttimeout 1.5\nsocket s\ngettimeout s",
         "socket.setdefaulttimeout(1.5)\ns = socket.socket()\ns.gettimeout()"),
    call("setdefaulttimeout negative", "setdefaulttimeout -1", "socket.setdefaulttimeout(-1)"),

    # ------------------------------------------------ timeouts and blocking flag
    Case("settimeout then gettimeout", "socket s\nsettimeout s 2.5\ngettimeout s",
         "s = socket.socket()\ns.settimeout(2.5)\ns.gettimeout()"),
    Case("settimeout None then gettimeout", "socket s\nsettimeout s 2\nsettimeout s None\ngettimeout s",
         "s = socket.socket()\ns.settimeout(2)\ns.settimeout(None)\ns.gettimeout()"),
    Case("settimeout negative", "socket s\nsettimeout s -1",
         "s = socket.socket()\ns.settimeout(-1)"),
    Case("setblocking False then gettimeout", "socket s\nsetblocking s False\ngettimeout s",
         "s = socket.socket()\ns.setblocking(False)\ns.gettimeout()"),
    Case("setblocking False then getblocking", "socket s\nsetblocking s False\ngetblocking s",
         "s = socket.socket()\ns.setblocking(False)\ns.getblocking()"),
    Case("settimeout then getblocking", "socket s\nsettimeout s 0.5\ngetblocking s",
         "s = socket.socket()\ns.settimeout(0.5)\ns.getblocking()"),
    Case("settimeout 0 then getblocking", "socket s\nsettimeout s 0\ngetblocking s",
         "s = socket.socket()\ns.settimeout(0)\ns.getblocking()"),

    # ------------------------------------------------------------ socket options
    Case("getsockopt SO_REUSEADDR after setting",
         "socket s\nsetsockopt s SOL_SOCKET SO_REUSEADDR 1\ngetsockopt s SOL_SOCKET SO_REUSEADDR",
         "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)"),
    Case("getsockopt SO_REUSEADDR default", "socket s\ngetsockopt s SOL_SOCKET SO_REUSEADDR",
         "s = socket.socket()\ns.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)"),
    Case("getsockopt SO_TYPE tcp", "socket s\ngetsockopt s SOL_SOCKET SO_TYPE",
         "s = socket.socket()\ns.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)"),
    Case("getsockopt SO_TYPE udp", "socket u udp\ngetsockopt u SOL_SOCKET SO_TYPE",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)"),
    Case("getsockopt TCP_NODELAY after setting",
         "socket s\nsetsockopt s IPPROTO_TCP TCP_NODELAY 1\ngetsockopt s IPPROTO_TCP TCP_NODELAY",
         "s = socket.socket()\ns.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
         "s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)"),
    Case("getsockopt SO_LINGER as bytes",
         f"socket s\nsetsockopt s SOL_SOCKET SO_LINGER {LINGER_ON_0}\ngetsockopt s SOL_SOCKET SO_LINGER 8",
         "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
         "s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)"),
    Case("setsockopt unknown option", "socket s\nsetsockopt s SOL_SOCKET 9999 1",
         "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, 9999, 1)"),

    # --------------------------------------------------------- addresses, ports
    Case("getsockname after bind", "socket s\nbind s 127.0.0.1 0\ngetsockname s",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.getsockname()", ports=["s"]),
    Case("getsockname unbound", "socket s\ngetsockname s",
         "s = socket.socket()\ns.getsockname()"),
    Case("getsockname tcp6 after bind ::1", "socket s tcp6\nbind s ::1 0\ngetsockname s",
         "s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)\ns.bind(('::1', 0))\ns.getsockname()",
         ports=["s"]),
    Case("getpeername after connect", SH_PAIR + "getpeername c",
         PY_PAIR + "c.getpeername()", ports=["srv"]),
    Case("getpeername unconnected", "socket s\ngetpeername s",
         "s = socket.socket()\ns.getpeername()"),
    Case("connect port out of range", "socket s\nconnect s 127.0.0.1 70000",
         "s = socket.socket()\ns.connect(('127.0.0.1', 70000))"),
    Case("bind port negative", "socket s\nbind s 127.0.0.1 -1",
         "s = socket.socket()\ns.bind(('127.0.0.1', -1))"),
    Case("sendto port out of range", "socket u udp\nsendto u b'x' 127.0.0.1 65536",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.sendto(b'x', ('127.0.0.1', 65536))"),
    Case("connect unknown host", "socket s\nconnect s nosuch.invalid 80",
         "s = socket.socket()\ns.connect(('nosuch.invalid', 80))"),

    # -------------------------------------------------------- connection errors
    Case("connect closed port", "socket s\nconnect s 127.0.0.1 @CLOSED@",
         "s = socket.socket()\ns.connect(('127.0.0.1', @CLOSED@))"),
    Case("connect_ex closed port", "socket s\nconnect_ex s 127.0.0.1 @CLOSED@",
         "s = socket.socket()\ns.connect_ex(('127.0.0.1', @CLOSED@))"),
    Case("create_connection closed port", "create_connection s 127.0.0.1 @CLOSED@",
         "socket.create_connection(('127.0.0.1', @CLOSED@))"),
    Case("bind port in use",
         "socket srv\nbind srv 127.0.0.1 0\nlisten srv\nsocket s\nbind s 127.0.0.1 $srv.port",
         "srv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen()\ns = socket.socket()\n"
         "s.bind(('127.0.0.1', srv.getsockname()[1]))"),
    Case("bind twice", "socket s\nbind s 127.0.0.1 0\nbind s 127.0.0.1 0",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.bind(('127.0.0.1', 0))"),
    Case("listen on UDP socket", "socket u udp\nlisten u",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.listen()"),
    Case("accept on non-listening socket", "socket s\nbind s 127.0.0.1 0\naccept s",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.accept()"),
    Case("recv on unconnected TCP socket", "socket s\nrecv s",
         "s = socket.socket()\ns.recv(4096)"),
    Case("send on unconnected UDP socket", "socket u udp\nsend u b'x'",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.send(b'x')"),
    Case("connected UDP to closed port: recv after ICMP",
         "socket u udp\nconnect u 127.0.0.1 @CLOSED@\nsend u b'x'\nsleep 0.05\nrecv u",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.connect(('127.0.0.1', @CLOSED@))\n"
         "u.send(b'x')\ntime.sleep(0.05)\nu.recv(4096)"),

    # ------------------------------------------------------------- data on TCP
    Case("send returns byte count", SH_PAIR + "send c b'hello'", PY_PAIR + "c.send(b'hello')"),
    Case("recv data", SH_PAIR + "sendall c b'hi\\r\\n\\x00\\xff'\nrecv p",
         PY_PAIR + "c.sendall(b'hi\\r\\n\\x00\\xff')\np.recv(4096)"),
    Case("recv after peer closed", SH_PAIR + "close p\nrecv c",
         PY_PAIR + "p.close()\nc.recv(4096)"),
    Case("send after peer reset",
         SH_PAIR + f"setsockopt p SOL_SOCKET SO_LINGER {LINGER_ON_0}\nclose p\nsleep 0.1\nsend c b'x'",
         PY_PAIR + "p.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
         "p.close()\ntime.sleep(0.1)\nc.send(b'x')"),
    Case("second send after peer reset",
         SH_PAIR + f"setsockopt p SOL_SOCKET SO_LINGER {LINGER_ON_0}\nclose p\nsleep 0.1\n"
         "send c b'x'\nsend c b'x'",
         PY_PAIR + "p.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
         "p.close()\ntime.sleep(0.1)\ntry: c.send(b'x')\nexcept OSError: pass\nc.send(b'x')",
         setup_may_fail=True),
    Case("recv after peer reset",
         SH_PAIR + f"setsockopt p SOL_SOCKET SO_LINGER {LINGER_ON_0}\nclose p\nsleep 0.1\nrecv c",
         PY_PAIR + "p.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
         "p.close()\ntime.sleep(0.1)\nc.recv(4096)"),
    Case("send after shutdown wr", SH_PAIR + "shutdown c SHUT_WR\nsend c b'x'",
         PY_PAIR + "c.shutdown(socket.SHUT_WR)\nc.send(b'x')"),
    Case("recv timeout", SH_PAIR + "settimeout c 0.2\nrecv c",
         PY_PAIR + "c.settimeout(0.2)\nc.recv(4096)"),
    Case("non-blocking recv", SH_PAIR + "setblocking c False\nrecv c",
         PY_PAIR + "c.setblocking(False)\nc.recv(4096)"),
    Case("recv MSG_PEEK", SH_PAIR + "sendall c b'peek'\nsleep 0.05\nrecv p 2 MSG_PEEK",
         PY_PAIR + "c.sendall(b'peek')\ntime.sleep(0.05)\np.recv(2, socket.MSG_PEEK)"),

    # -------------------------------------------------------------- socketpair
    Case("socketpair send", "socketpair a b\nsend a b'hello'",
         "a, b = socket.socketpair()\na.send(b'hello')"),
    Case("socketpair recv", "socketpair a b\nsendall a b'hello'\nrecv b",
         "a, b = socket.socketpair()\na.sendall(b'hello')\nb.recv(4096)"),
    Case("socketpair getsockname", "socketpair a b\ngetsockname a",
         "a, b = socket.socketpair()\na.getsockname()"),

    # --------------------------------------------------------------------- UDP
    Case("UDP sendto returns count",
         "socket u udp\nsocket v udp\nbind v 127.0.0.1 0\nsendto u b'ping' 127.0.0.1 $v.port",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "v.bind(('127.0.0.1', 0))\nu.sendto(b'ping', ('127.0.0.1', v.getsockname()[1]))"),
    Case("UDP recvfrom",
         "socket u udp\nbind u 127.0.0.1 0\nsocket v udp\nbind v 127.0.0.1 0\n"
         "sendto u b'ping' 127.0.0.1 $v.port\nrecvfrom v",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind(('127.0.0.1', 0))\n"
         "v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nv.bind(('127.0.0.1', 0))\n"
         "u.sendto(b'ping', ('127.0.0.1', v.getsockname()[1]))\nv.recvfrom(4096)",
         ports=["u", "v"]),
    Case("UDP recvfrom tuple address",
         "socket u udp\nbind u 127.0.0.1 0\nsocket v udp\nbind v 127.0.0.1 0\n"
         "sendto u b'\\x00pong\\n' ('127.0.0.1', $v.port)\nrecvfrom v 3",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind(('127.0.0.1', 0))\n"
         "v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nv.bind(('127.0.0.1', 0))\n"
         "u.sendto(b'\\x00pong\\n', ('127.0.0.1', v.getsockname()[1]))\nv.recvfrom(3)",
         ports=["u", "v"]),
    Case("UDP6 recvfrom",
         "socket u udp6\nbind u ::1 0\nsocket v udp6\nbind v ::1 0\n"
         "sendto u b'six' ::1 $v.port\nrecvfrom v",
         "u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\nu.bind(('::1', 0))\n"
         "v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\nv.bind(('::1', 0))\n"
         "u.sendto(b'six', ('::1', v.getsockname()[1]))\nv.recvfrom(4096)",
         ports=["u", "v"]),
    # ------------------------------------------------------- more edge cases
    call("getaddrinfo port too large", "getaddrinfo localhost 70000 inet stream",
         "socket.getaddrinfo('localhost', 70000, socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo port negative", "getaddrinfo localhost -1 inet stream",
         "socket.getaddrinfo('localhost', -1, socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo empty host", "getaddrinfo '' 80 inet stream",
         "socket.getaddrinfo('', 80, socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo port None", "getaddrinfo localhost None inet stream",
         "socket.getaddrinfo('localhost', None, socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo port as string", "getaddrinfo localhost '80' inet stream",
         "socket.getaddrinfo('localhost', '80', socket.AF_INET, socket.SOCK_STREAM)"),
    call("getaddrinfo bad family", "getaddrinfo localhost 80 9999",
         "socket.getaddrinfo('localhost', 80, 9999)"),
    call("getaddrinfo AI_CANONNAME", "getaddrinfo localhost 80 inet stream 0 AI_CANONNAME",
         "socket.getaddrinfo('localhost', 80, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)"),
    call("getaddrinfo proto only", "getaddrinfo localhost 80 0 0 IPPROTO_UDP",
         "socket.getaddrinfo('localhost', 80, 0, 0, socket.IPPROTO_UDP)"),
    call("getnameinfo port negative", "getnameinfo 127.0.0.1 -1 0",
         "socket.getnameinfo(('127.0.0.1', -1), 0)"),
    call("getnameinfo IPv4 4-tuple", "getnameinfo ('127.0.0.1', 80, 0, 0) 0",
         "socket.getnameinfo(('127.0.0.1', 80, 0, 0), 0)"),
    call("getnameinfo ::1 4-tuple NI_NUMERICHOST", "getnameinfo ('::1', 80, 0, 0) NI_NUMERICHOST",
         "socket.getnameinfo(('::1', 80, 0, 0), socket.NI_NUMERICHOST)"),
    call("gethostbyname short form", "gethostbyname 127.1", "socket.gethostbyname('127.1')"),
    call("gethostbyname bad dotted", "gethostbyname 256.1.1.1", "socket.gethostbyname('256.1.1.1')"),
    call("gethostbyname_ex empty", "gethostbyname_ex ''", "socket.gethostbyname_ex('')"),
    call("gethostbyaddr empty", "gethostbyaddr ''", "socket.gethostbyaddr('')"),
    call("getfqdn no argument", "getfqdn", "socket.getfqdn()"),
    call("getfqdn 127.0.0.1", "getfqdn 127.0.0.1", "socket.getfqdn('127.0.0.1')"),
    call("getfqdn unknown", "getfqdn nosuch.invalid", "socket.getfqdn('nosuch.invalid')"),
    call("getservbyname bad proto", "getservbyname http xyz", "socket.getservbyname('http', 'xyz')"),
    call("getservbyport 0", "getservbyport 0", "socket.getservbyport(0)"),
    call("getprotobyname alias", "getprotobyname ICMP", "socket.getprotobyname('ICMP')"),
    call("inet_aton trailing junk", "inet_aton '1.2.3.4 abc'", "socket.inet_aton('1.2.3.4 abc')"),
    call("inet_aton hex part", "inet_aton 0x7f.1", "socket.inet_aton('0x7f.1')"),
    call("inet_aton one number", "inet_aton '4294967295'", "socket.inet_aton('4294967295')"),
    call("inet_aton one number too large", "inet_aton '4294967296'", "socket.inet_aton('4294967296')"),
    call("inet_aton empty", "inet_aton ''", "socket.inet_aton('')"),
    call("inet_pton bad family", "inet_pton AF_UNIX x", "socket.inet_pton(socket.AF_UNIX, 'x')"),
    call("inet_ntop bad family", "inet_ntop AF_UNIX b'x'", "socket.inet_ntop(socket.AF_UNIX, b'x')"),
    call("inet_ntop all zero", "inet_ntop AF_INET6 b'" + "\\x00" * 16 + "'",
         "socket.inet_ntop(socket.AF_INET6, bytes(16))"),
    call("htons max", "htons 65535", "socket.htons(65535)"),
    call("htonl 2**31", "htonl 0x80000000", "socket.htonl(0x80000000)"),
    call("ntohs negative", "ntohs -1", "socket.ntohs(-1)"),
    Case("setdefaulttimeout None", "setdefaulttimeout 2\nsetdefaulttimeout None\ngetdefaulttimeout",
         "socket.setdefaulttimeout(2)\nsocket.setdefaulttimeout(None)\nsocket.getdefaulttimeout()"),
    Case("setdefaulttimeout 0 then getblocking", "setdefaulttimeout 0\nsocket s\ngetblocking s",
         "socket.setdefaulttimeout(0)\ns = socket.socket()\ns.getblocking()"),
    Case("default socket getblocking", "socket s\ngetblocking s", "s = socket.socket()\ns.getblocking()"),
    Case("default socket gettimeout", "socket s\ngettimeout s", "s = socket.socket()\ns.gettimeout()"),
    Case("settimeout integer gives float", "socket s\nsettimeout s 3\ngettimeout s",
         "s = socket.socket()\ns.settimeout(3)\ns.gettimeout()"),
    Case("settimeout too large", "socket s\nsettimeout s 1e300",
         "s = socket.socket()\ns.settimeout(1e300)"),
    Case("getsockopt SO_SNDBUF after setting",
         "socket s\nsetsockopt s SOL_SOCKET SO_SNDBUF 8192\ngetsockopt s SOL_SOCKET SO_SNDBUF",
         "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)\n"
         "s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)"),
    Case("getsockopt SO_ERROR", "socket s\ngetsockopt s SOL_SOCKET SO_ERROR",
         "s = socket.socket()\ns.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)"),
    Case("getsockopt SO_ACCEPTCONN after listen",
         "socket s\nbind s 127.0.0.1 0\nlisten s\ngetsockopt s SOL_SOCKET SO_ACCEPTCONN",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n"
         "s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)"),
    Case("getsockopt SO_PROTOCOL udp", "socket u udp\ngetsockopt u SOL_SOCKET SO_PROTOCOL",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)"),
    Case("setsockopt bytes value then getsockopt int",
         "socket s\nsetsockopt s SOL_SOCKET SO_REUSEADDR b'\\x01\\x00\\x00\\x00'\ngetsockopt s SOL_SOCKET SO_REUSEADDR",
         "s = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, b'\\x01\\x00\\x00\\x00')\n"
         "s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)"),
    Case("getsockopt buflen out of range", "socket s\ngetsockopt s SOL_SOCKET SO_LINGER 2000",
         "s = socket.socket()\ns.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 2000)"),
    Case("getsockname UDP unbound", "socket u udp\ngetsockname u",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.getsockname()"),
    Case("getsockname tcp6 unbound", "socket s tcp6\ngetsockname s",
         "s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)\ns.getsockname()"),
    Case("getsockname after bind any", "socket s\nbind s '' 0\ngetsockname s",
         "s = socket.socket()\ns.bind(('', 0))\ns.getsockname()", ports=["s"]),
    Case("bind non-local address", "socket s\nbind s 192.0.2.1 0",
         "s = socket.socket()\ns.bind(('192.0.2.1', 0))"),
    Case("bind unknown host", "socket s\nbind s nosuch.invalid 0",
         "s = socket.socket()\ns.bind(('nosuch.invalid', 0))"),
    Case("bind inet socket to ::1", "socket s\nbind s ::1 0",
         "s = socket.socket()\ns.bind(('::1', 0))"),
    Case("bind inet6 socket to 127.0.0.1", "socket s tcp6\nbind s 127.0.0.1 0",
         "s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)\ns.bind(('127.0.0.1', 0))"),
    Case("socket bad family", "socket s 9999", "socket.socket(9999)"),
    Case("socket bad protocol", "socket s AF_INET SOCK_STREAM 17",
         "socket.socket(socket.AF_INET, socket.SOCK_STREAM, 17)"),
    Case("socketpair AF_INET", "socketpair a b AF_INET", "socket.socketpair(socket.AF_INET)"),
    Case("connect already connected", SH_PAIR + "connect c 127.0.0.1 $srv.port",
         PY_PAIR + "c.connect(('127.0.0.1', srv.getsockname()[1]))"),
    Case("listen on connected socket", SH_PAIR + "listen c", PY_PAIR + "c.listen()"),
    Case("shutdown unconnected", "socket s\nshutdown s SHUT_RDWR",
         "s = socket.socket()\ns.shutdown(socket.SHUT_RDWR)"),
    Case("shutdown bad how", SH_PAIR + "shutdown c 5", PY_PAIR + "c.shutdown(5)"),
    Case("accept timeout", "socket s\nbind s 127.0.0.1 0\nlisten s\nsettimeout s 0.1\naccept s",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\ns.settimeout(0.1)\ns.accept()"),
    Case("accept non-blocking", "socket s\nbind s 127.0.0.1 0\nlisten s\nsetblocking s False\naccept s",
         "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\ns.setblocking(False)\ns.accept()"),
    Case("recv negative bufsize", SH_PAIR + "recv c -1", PY_PAIR + "c.recv(-1)"),
    Case("recv zero bufsize", SH_PAIR + "recv c 0", PY_PAIR + "c.recv(0)"),
    Case("recvfrom negative bufsize", "socket u udp\nrecvfrom u -1",
         "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.recvfrom(-1)"),
    Case("socketpair recv after close", "socketpair a b\nclose a\nrecv b",
         "a, b = socket.socketpair()\na.close()\nb.recv(4096)"),
    Case("socketpair send after close", "socketpair a b\nclose a\nsend b b'x'",
         "a, b = socket.socketpair()\na.close()\nb.send(b'x')"),
    Case("socketpair getpeername", "socketpair a b\ngetpeername a",
         "a, b = socket.socketpair()\na.getpeername()"),
    Case("socketpair dgram recv", "socketpair a b AF_UNIX SOCK_DGRAM\nsend a b'one'\nsend a b'two'\nrecv b",
         "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\na.send(b'one')\na.send(b'two')\nb.recv(4096)"),
    Case("unix bind path getsockname", "socket s AF_UNIX\nbind s 'oracle.sock'\ngetsockname s",
         "s = socket.socket(socket.AF_UNIX)\ns.bind('oracle.sock')\ns.getsockname()"),
    Case("unix bind abstract getsockname",
         "socket s AF_UNIX\nbind s '\\0oracle-@RAND@'\ngetsockname s",
         "s = socket.socket(socket.AF_UNIX)\ns.bind('\\0oracle-@RAND@')\ns.getsockname()"),
    Case("unix connect missing path", "socket s AF_UNIX\nconnect s 'no-such-oracle.sock'",
         "s = socket.socket(socket.AF_UNIX)\ns.connect('no-such-oracle.sock')"),
    Case("unix bind path in use", "socket s AF_UNIX\nbind s 'oracle.sock'\nsocket t AF_UNIX\nbind t 'oracle.sock'",
         "s = socket.socket(socket.AF_UNIX)\ns.bind('oracle.sock')\nt = socket.socket(socket.AF_UNIX)\nt.bind('oracle.sock')"),
    Case("settimeout integer too large", "socket s\nsettimeout s 10000000000",
         "s = socket.socket()\ns.settimeout(10000000000)"),
    Case("setblocking True then gettimeout", "socket s\nsettimeout s 2\nsetblocking s True\ngettimeout s",
         "s = socket.socket()\ns.settimeout(2)\ns.setblocking(True)\ns.gettimeout()"),
    call("getaddrinfo localhost inet6", "getaddrinfo localhost 80 inet6 stream",
         "socket.getaddrinfo('localhost', 80, socket.AF_INET6, socket.SOCK_STREAM)"),
    Case("recvfrom on connected TCP", SH_PAIR + "sendall c b'tcp'\nsleep 0.05\nrecvfrom p",
         PY_PAIR + "c.sendall(b'tcp')\ntime.sleep(0.05)\np.recvfrom(4096)"),
    Case("recvfrom on socketpair", "socketpair a b\nsendall a b'unix'\nrecvfrom b",
         "a, b = socket.socketpair()\na.sendall(b'unix')\nb.recvfrom(4096)"),
    Case("connect_ex already connected", SH_PAIR + "connect_ex c 127.0.0.1 $srv.port",
         PY_PAIR + "c.connect_ex(('127.0.0.1', srv.getsockname()[1]))"),
    Case("connect_ex unknown host", "socket s\nconnect_ex s nosuch.invalid 80",
         "s = socket.socket()\ns.connect_ex(('nosuch.invalid', 80))"),
    Case("connect_ex port out of range", "socket s\nconnect_ex s 127.0.0.1 70000",
         "s = socket.socket()\ns.connect_ex(('127.0.0.1', 70000))"),
    Case("create_connection unknown host", "create_connection s nosuch.invalid 80",
         "socket.create_connection(('nosuch.invalid', 80))"),
    Case("create_server port in use",
         "socket srv\nbind srv 127.0.0.1 0\nlisten srv\ncreate_server s 127.0.0.1 $srv.port",
         "srv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen()\n"
         "socket.create_server(('127.0.0.1', srv.getsockname()[1]))", ports=["srv"]),
    Case("create_server then getsockopt SO_REUSEADDR",
         "create_server s 127.0.0.1 0\ngetsockopt s SOL_SOCKET SO_REUSEADDR",
         "s = socket.create_server(('127.0.0.1', 0))\ns.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)"),
    Case("UDP recvfrom non-blocking empty",
         "socket v udp\nbind v 127.0.0.1 0\nsetblocking v False\nrecvfrom v",
         "v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nv.bind(('127.0.0.1', 0))\n"
         "v.setblocking(False)\nv.recvfrom(4096)"),
]



def load_case_files():
    """Cases kept in Tests/Oracle/cases/*.py, one file a topic: each defines
    CASES with the same Case and call (and may use SH_PAIR, PY_PAIR)."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
    cases = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".py"):
            scope = {"Case": Case, "call": call, "SH_PAIR": SH_PAIR, "PY_PAIR": PY_PAIR,
                     "NI_NUMERIC": NI_NUMERIC, "socket": socket, "__file__": os.path.join(folder, name)}
            with open(os.path.join(folder, name)) as source:
                exec(compile(source.read(), os.path.join(folder, name), "exec"), scope)
            cases += scope["CASES"]
    return cases


CASES += load_case_files()


# ----------------------------------------------------------------- machinery

def closed_port():
    """A loopback TCP port nothing listens on: bind to port 0, then close."""
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


PY_TEMPLATE = """\
import socket, struct, time, sys, traceback
{setup}
{port_prints}
try:
    __oracle_value = ({expr})
    __oracle_line = repr(__oracle_value)
except BaseException as __oracle_e:
    __oracle_line = traceback.format_exception_only(type(__oracle_e), __oracle_e)[-1].rstrip()
print({mark!r})
print(__oracle_line)
"""


def normalize(line, ports):
    """Replace each named socket's actual port number by `<port NAME>`."""
    for name, port in ports.items():
        if port:
            line = re.sub(r"(?<!\d)%d(?!\d)" % port, "<port %s>" % name, line)
    return line


def parse_ports(lines):
    ports = {}
    for l in lines:
        if l.startswith(PORT_MARK):
            parts = l.split()
            if len(parts) == 3 and parts[2].isdigit():
                ports[parts[1]] = int(parts[2])
    return ports


def run_python(case, subst, rundir):
    """The Python line for the case: repr of the value or the exception line."""
    setup = "\n".join(subst(l) for l in case.py[:-1])
    expr = subst(case.py[-1])
    port_prints = "\n".join(
        "print(%r, %r, %s.getsockname()[1])" % (PORT_MARK, n, n) for n in case.ports)
    code = PY_TEMPLATE.format(setup=setup, port_prints=port_prints, expr=expr, mark=MARK)
    if case.uncaught:
        code = "import socket, struct, time, sys\n%s\n%s\nprint(%r)\n%s\n" % (setup, port_prints, MARK, expr)
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=TIMEOUT, cwd=rundir, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "python timed out after %d s" % TIMEOUT
    out = r.stdout.splitlines()
    if case.uncaught and MARK in out and r.returncode == 1:
        errs = [l for l in r.stderr.splitlines() if l.strip()]
        return normalize(errs[-1].rstrip(), parse_ports(out)), None if errs else "python printed no error"
    if r.returncode != 0 or MARK not in out:
        return None, "python setup failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1]
    after = out[out.index(MARK) + 1:]
    if not after:
        return None, "python printed nothing"
    return normalize(after[-1], parse_ports(out)), None


def run_sockshell(binary, case, subst, rundir):
    """The sockshell line for the case's final command (its `FILE:LINE: `
    prefix stripped).  The script prints a marker line just before the final
    command, so the value is what stdout shows after the marker and the error
    is the stderr line that carries the final command's line number."""
    lines = [subst(l) for l in case.sh]
    script = lines[:-1]
    script += ["echo %s %s $%s.port" % (PORT_MARK, n, n) for n in case.ports]
    script += ["echo " + MARK, lines[-1]]
    final_lineno = len(script)
    fname = "case.sock"
    with open(os.path.join(rundir, fname), "w") as f:
        f.write("\n".join(script) + "\n")
    env = dict(os.environ, NO_COLOR="1")
    r = None
    for attempt in range(3):
        try:
            r = subprocess.run([binary, "--no-color", fname], capture_output=True, text=True,
                               timeout=TIMEOUT, cwd=rundir, stdin=subprocess.DEVNULL, env=env)
            break
        except subprocess.TimeoutExpired:
            return None, "sockshell timed out after %d s" % TIMEOUT
        except OSError as e:  # e.g. ETXTBSY while the binary is being rebuilt
            err = e
            time.sleep(1)
    if r is None:
        return None, "cannot run sockshell: %s" % err
    out = r.stdout.splitlines()
    errs = r.stderr.splitlines()
    final_prefix = "%s:%d: " % (fname, final_lineno)
    final_errs = [l[len(final_prefix):] for l in errs if l.startswith(final_prefix)]
    other_errs = [l for l in errs if not l.startswith(final_prefix) and l.strip()]
    if other_errs and not case.setup_may_fail:
        return None, "sockshell setup error: %s" % " | ".join(other_errs)
    if MARK not in out:
        return None, "sockshell did not reach the final command (exit %d)" % r.returncode
    ports = parse_ports(out)
    after = out[out.index(MARK) + 1:]
    if final_errs:
        line = final_errs[-1]
        if after:
            line = "%s  [and on stdout: %s]" % (line, " | ".join(after))
    elif after:
        line = after[-1]
    else:
        # A call that returns None prints nothing (SPEC section 4).
        line = "None"
    return normalize(line.rstrip(), ports), None


def run_case(binary, case, workdir, index):
    port = closed_port() if any("@CLOSED@" in l for l in case.sh + case.py) else None
    token = "%d-%s" % (os.getpid(), secrets.token_hex(4))

    def subst(l):
        if port is not None:
            l = l.replace("@CLOSED@", str(port))
        return l.replace("@RAND@", token)

    py_dir = os.path.join(workdir, "%03d-py" % index)
    sh_dir = os.path.join(workdir, "%03d-sh" % index)
    os.mkdir(py_dir)
    os.mkdir(sh_dir)
    py_line, py_err = run_python(case, subst, py_dir)
    sh_line, sh_err = run_sockshell(binary, case, subst, sh_dir)
    ok = py_err is None and sh_err is None and py_line == sh_line
    report = None
    if not ok:
        report = "\n".join([
            "FAIL %s" % case.name,
            "  sockshell input:  %s" % "; ".join(subst(l) for l in case.sh),
            "  sockshell:        %s" % (sh_line if sh_err is None else "(" + sh_err + ")"),
            "  python:           %s" % (py_line if py_err is None else "(" + py_err + ")"),
        ])
    return ok, report


def main(argv):
    if len(argv) != 2:
        print("usage: python3 %s PATH_TO_SOCKSHELL" % argv[0], file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    if not os.access(binary, os.X_OK):
        print("not an executable: %s" % binary, file=sys.stderr)
        return 2
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="sockshell-oracle-") as workdir:
        # Cases are independent (ephemeral ports, own directories), so a few
        # run at once; reports are printed in case order.
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            results = list(pool.map(lambda ic: run_case(binary, ic[1], workdir, ic[0]),
                                    enumerate(CASES)))
    for ok, report in results:
        if ok:
            passed += 1
        else:
            failed += 1
            print(report)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
