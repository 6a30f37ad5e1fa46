# Python syntax at the prompt (SPEC section 8): each case gives the SAME
# Python lines to both sides. sockshell runs them as the commands their
# declarations name; python3 runs them as Python. The last line is compared
# (see ../oracle.py), so a case ending in a statement ends in a name instead.


def same(name, lines, ports=(), uncaught=False):
    """A case whose sockshell lines and Python lines are one text."""
    text = "import socket\n" + lines.strip("\n")
    return Case(name, text, text, ports=ports, uncaught=uncaught)


# A loopback server and a connected client, written as a textbook writes it.
SERVER = """
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(5)
c = socket.socket()
c.connect(srv.getsockname())
conn, addr = srv.accept()
"""

PAIR = """
a, b = socket.socketpair()
"""

CASES = [
    # ------------------------------------------------------ module functions
    same("py gethostbyname", "socket.gethostbyname('localhost')"),
    same("py gethostbyname unknown", "socket.gethostbyname('nosuch.invalid')"),
    same("py getservbyname", "socket.getservbyname('http', 'tcp')"),
    same("py getservbyport", "socket.getservbyport(80)"),
    same("py getprotobyname", "socket.getprotobyname('tcp')"),
    same("py getaddrinfo", "socket.getaddrinfo('127.0.0.1', 80, socket.AF_INET, socket.SOCK_STREAM)"),
    same("py inet_aton", "socket.inet_aton('127.0.0.1')"),
    same("py inet_aton bad", "socket.inet_aton('300.1.2.3.4')"),
    same("py inet_ntoa", "socket.inet_ntoa(b'\\x7f\\x00\\x00\\x01')"),
    same("py inet_pton", "socket.inet_pton(socket.AF_INET6, '::1')"),
    same("py htons", "socket.htons(1)"),
    same("py htonl hex", "socket.htonl(0x01020304)"),
    same("py ntohs too large", "socket.ntohs(65536)"),
    same("py getdefaulttimeout", "socket.getdefaulttimeout()"),
    same("py setdefaulttimeout kept", "socket.setdefaulttimeout(2.5)\nsocket.getdefaulttimeout()"),
    same("py constant AF_INET", "socket.AF_INET"),
    same("py constant SOCK_DGRAM", "socket.SOCK_DGRAM"),
    same("py constant SOL_SOCKET", "socket.SOL_SOCKET"),
    same("py value kept and shown", "port = socket.getservbyname('http')\nport"),
    same("py tuple unpacked", "name, aliases, addresses = socket.gethostbyname_ex('127.0.0.1')\naddresses"),
    same("py from socket import star", "from socket import *\ngethostbyname('127.0.0.1')"),
    same("py from socket import star constant", "from socket import *\nAF_INET6"),
    same("py import socket, sys", "import socket, sys\nsocket.htons(2)"),

    # ------------------------------------------------------------- errors
    same("py AttributeError method Did you mean", "s = socket.socket()\ns.conect(('127.0.0.1', 1))", uncaught=True),
    same("py AttributeError method reciv", "s = socket.socket()\ns.reciv(10)", uncaught=True),
    same("py AttributeError module", "socket.nosuch('x')"),
    same("py AttributeError module Did you mean", "socket.gethostbynam('localhost')", uncaught=True),
    same("py NameError", "nosuchname"),
    same("py NameError in an argument", "socket.gethostbyname(nosuchname)"),
    same("py TypeError send str", PAIR + "a.send('text')"),
    same("py TypeError sendall str", PAIR + "a.sendall('text')"),
    same("py IndexError", "t = socket.gethostbyname_ex('127.0.0.1')\nt[5]"),

    # ------------------------------------------------- a socketpair session
    same("py socketpair send", PAIR + "a.send(b'hello')"),
    same("py socketpair sendall then recv", PAIR + "a.sendall(b'hello')\nb.recv(1024)"),
    same("py socketpair recv kept", PAIR + "a.sendall(b'xyz')\ndata = b.recv(2)\ndata"),
    same("py socketpair family", PAIR + "a.getsockname()"),
    same("py socketpair settimeout", PAIR + "a.settimeout(5)\na.gettimeout()"),
    same("py socketpair settimeout None", PAIR + "a.settimeout(None)\na.gettimeout()"),
    same("py socketpair setblocking", PAIR + "a.setblocking(False)\na.gettimeout()"),
    same("py socketpair nonblocking recv", PAIR + "a.setblocking(False)\na.recv(10)"),
    same("py socketpair timeout recv", PAIR + "a.settimeout(0.05)\na.recv(10)"),
    same("py socketpair shutdown then recv", PAIR + "a.shutdown(socket.SHUT_WR)\nb.recv(10)"),
    same("py socketpair getblocking", PAIR + "a.getblocking()"),
    same("py socketpair recv after close", PAIR + "a.close()\nb.recv(10)"),

    # ------------------------------------------- a TCP server and client
    same("py tcp getpeername", SERVER + "c.getpeername()", ports=("srv",)),
    same("py tcp addr kept", SERVER + "addr[0]"),
    same("py tcp server port by index", SERVER + "port = srv.getsockname()[1]\nport", ports=("srv",)),
    same("py tcp sendall recv", SERVER + "conn.sendall(b'welcome\\n')\nc.recv(1024)"),
    same("py tcp send returns count", SERVER + "c.send(b'hello')"),
    same("py tcp recv by server", SERVER + "c.sendall(b'ping')\nconn.recv(4)"),
    same("py tcp shutdown SHUT_WR then recv", SERVER + "c.shutdown(socket.SHUT_WR)\nconn.recv(10)"),
    same("py tcp getsockopt", SERVER + "srv.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)"),
    same("py tcp connect_ex refused", "s = socket.socket()\ns.connect_ex(('127.0.0.1', @CLOSED@))"),
    same("py tcp connect refused", "s = socket.socket()\ns.connect(('127.0.0.1', @CLOSED@))"),
    same("py tcp bind twice", "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.bind(('127.0.0.1', 0))"),
    same("py tcp listen then peer", "s = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\ns.getpeername()"),
    same("py udp sendto recvfrom", "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind(('127.0.0.1', 0))\n"
         "u.sendto(b'dgram', u.getsockname())\nu.recv(100)"),
    same("py udp getsockname", "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind(('127.0.0.1', 0))\n"
         "u.getsockname()", ports=("u",)),
    # ------------------------------------------------------------- more calls
    same("py socket with int family and type", "u = socket.socket(2, 2)\nu.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)"),
    same("py getnameinfo", "socket.getnameinfo(('127.0.0.1', 80), 0)"),
    same("py getfqdn", "socket.getfqdn('localhost')"),
    same("py inet_ntop", "socket.inet_ntop(socket.AF_INET, b'\\x7f\\x00\\x00\\x01')"),
    same("py gettimeout default", "s = socket.socket()\ns.gettimeout()"),
    same("py TCP_NODELAY default", "s = socket.socket()\ns.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)"),
    same("py TCP_NODELAY set True", "s = socket.socket()\ns.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)\n"
         "s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)"),
    same("py send a kept value", PAIR + "x = b'abc'\na.sendall(x)\nb.recv(10)"),
    same("py send empty", PAIR + "a.send(b'')"),
    same("py bind port too large", "s = socket.socket()\ns.bind(('127.0.0.1', 70000))"),
    same("py connect one-item tuple", "s = socket.socket()\ns.connect(('127.0.0.1',))"),
    same("py connect str address", "s = socket.socket()\ns.connect('127.0.0.1')"),
    same("py bind list address", "s = socket.socket()\ns.bind(['127.0.0.1', 0])"),
    same("py connect_ex five-item address", "s = socket.socket(socket.AF_INET6)\ns.connect_ex(('::1', 1, 0, 0, 0))"),
    same("py sendto str address", "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.sendto(b'x', 'host')"),
    same("py listen unbound", "s = socket.socket()\ns.listen()"),
    same("py negative index", "t = socket.gethostbyname_ex('127.0.0.1')\nt[-1]"),
    same("py recv negative", PAIR + "a.recv(-1)"),
    same("py settimeout negative", PAIR + "a.settimeout(-1)"),
    same("py getaddrinfo kept then indexed", "infos = socket.getaddrinfo('127.0.0.1', 80, socket.AF_INET, socket.SOCK_STREAM)\ninfos[0][4]"),
    same("py sendto on a tcp socket kept", "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.sendto(b'x', ('127.0.0.1', @CLOSED@))"),
]
