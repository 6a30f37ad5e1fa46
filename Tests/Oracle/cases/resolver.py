# Issue 10's table rows for names and addresses: a NUL inside a host, service
# or name; socket's -1 defaults; an IPv6 host with a %scope; a UNIX path with
# a NUL in it. Each asked of python3 at test time (see ../oracle.py).
# Non-UTF-8 names in /etc/hosts and link-local traffic need a private mount
# or network namespace: Tests/Reliability/topics/signals.py compares those.

NUL = "'a\\0b'"  # the same literal in both languages

CASES = [
    # ------------------------------------------------- a NUL inside a name
    call("NUL gethostbyname", f"gethostbyname {NUL}", f"socket.gethostbyname({NUL})"),
    call("NUL gethostbyname numeric", "gethostbyname '127.0.0.1\\0x'", "socket.gethostbyname('127.0.0.1\\0x')"),
    call("NUL gethostbyname_ex", f"gethostbyname_ex {NUL}", f"socket.gethostbyname_ex({NUL})"),
    call("NUL gethostbyaddr", f"gethostbyaddr {NUL}", f"socket.gethostbyaddr({NUL})"),
    call("NUL getfqdn", f"getfqdn {NUL}", f"socket.getfqdn({NUL})"),
    call("NUL getservbyname service", f"getservbyname {NUL}", f"socket.getservbyname({NUL})"),
    call("NUL getservbyname proto", "getservbyname http 't\\0cp'", "socket.getservbyname('http', 't\\0cp')"),
    call("NUL getservbyport proto", "getservbyport 80 't\\0cp'", "socket.getservbyport(80, 't\\0cp')"),
    call("NUL getprotobyname", "getprotobyname 't\\0cp'", "socket.getprotobyname('t\\0cp')"),
    call("NUL getaddrinfo host", f"getaddrinfo {NUL} 80", f"socket.getaddrinfo({NUL}, 80)"),
    call("NUL getaddrinfo host after a name", "getaddrinfo 'localhost\\0junk' 80 inet stream",
         "socket.getaddrinfo('localhost\\0junk', 80, socket.AF_INET, socket.SOCK_STREAM)"),
    call("NUL getaddrinfo port", "getaddrinfo 127.0.0.1 'http\\0x' inet stream",
         "socket.getaddrinfo('127.0.0.1', 'http\\0x', socket.AF_INET, socket.SOCK_STREAM)"),
    call("NUL getnameinfo host", f"getnameinfo {NUL} 80 0", f"socket.getnameinfo(({NUL}, 80), 0)"),
    call("NUL inet_aton", "inet_aton '127.0.0.1\\0'", "socket.inet_aton('127.0.0.1\\0')"),
    call("NUL inet_pton inet", "inet_pton inet '127.0.0.1\\0'", "socket.inet_pton(socket.AF_INET, '127.0.0.1\\0')"),
    call("NUL inet_pton inet6", "inet_pton inet6 '::1\\0'", "socket.inet_pton(socket.AF_INET6, '::1\\0')"),
    Case("NUL connect host", f"socket s\nconnect s {NUL} 80", f"s = socket.socket()\ns.connect(({NUL}, 80))"),
    Case("NUL connect numeric host", "socket s\nconnect s '127.0.0.1\\0x' @CLOSED@",
         "s = socket.socket()\ns.connect(('127.0.0.1\\0x', @CLOSED@))"),
    Case("NUL connect inet6 host", "socket s inet6\nconnect s '::1\\0' 80",
         "s = socket.socket(socket.AF_INET6)\ns.connect(('::1\\0', 80))"),
    Case("NUL connect_ex host", f"socket s\nconnect_ex s {NUL} 80", f"s = socket.socket()\ns.connect_ex(({NUL}, 80))"),
    Case("NUL bind host", f"socket s\nbind s {NUL} 0", f"s = socket.socket()\ns.bind(({NUL}, 0))"),
    Case("NUL sendto host", f"socket u udp\nsendto u b'x' ({NUL}, 9)",
         f"u = socket.socket(type=socket.SOCK_DGRAM)\nu.sendto(b'x', ({NUL}, 9))"),
    Case("NUL create_server host", f"create_server s ({NUL}, 0)", f"socket.create_server(({NUL}, 0))"),
    Case("NUL create_connection host", "create_connection c 'localhost\\0junk' @CLOSED@",
         "socket.create_connection(('localhost\\0junk', @CLOSED@))"),
    # A UNIX path may hold a NUL: the kernel reads a filesystem path up to it.
    Case("NUL unix bind path", "socket u unix\nbind u 'nul-@RAND@\\0rest'\ngetsockname u",
         "u = socket.socket(socket.AF_UNIX)\nu.bind('nul-@RAND@\\0rest')\nu.getsockname()"),

    # ------------------------------------------ socket's -1 means the default
    Case("socket proto -1", "socket x inet stream -1\ngetsockopt x SOL_SOCKET SO_PROTOCOL",
         "x = socket.socket(socket.AF_INET, socket.SOCK_STREAM, -1)\nx.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)"),
    Case("socket family -1", "socket x -1 -1 -1\ngetsockopt x SOL_SOCKET SO_DOMAIN",
         "x = socket.socket(-1, -1, -1)\nx.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)"),
    Case("socket type -1", "socket x inet6 -1\ngetsockopt x SOL_SOCKET SO_TYPE",
         "x = socket.socket(socket.AF_INET6, -1)\nx.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)"),
    Case("socket proto -2", "socket x inet stream -2", "socket.socket(socket.AF_INET, socket.SOCK_STREAM, -2)"),

    # ------------------------- an IPv6 %scope: the address tuple's SCOPEID wins
    Case("scope connect fe80::1%lo", "socket s inet6\nconnect s fe80::1%lo 80",
         "s = socket.socket(socket.AF_INET6)\ns.connect(('fe80::1%lo', 80))"),
    Case("scope connect_ex fe80::1%lo", "socket s inet6\nconnect_ex s fe80::1%lo 80",
         "s = socket.socket(socket.AF_INET6)\ns.connect_ex(('fe80::1%lo', 80))"),
    Case("scope bind fe80::1%lo", "socket s inet6\nbind s fe80::1%lo 0",
         "s = socket.socket(socket.AF_INET6)\ns.bind(('fe80::1%lo', 0))"),
    Case("scope bind unknown interface", "socket s inet6\nbind s fe80::1%nosuch0 0",
         "s = socket.socket(socket.AF_INET6)\ns.bind(('fe80::1%nosuch0', 0))"),
    Case("scope bind ::1%lo", "socket s inet6\nbind s ::1%lo 0",
         "s = socket.socket(socket.AF_INET6)\ns.bind(('::1%lo', 0))"),
    call("scope getaddrinfo keeps it", "getaddrinfo fe80::1%lo 80 inet6 stream",
         "socket.getaddrinfo('fe80::1%lo', 80, socket.AF_INET6, socket.SOCK_STREAM)"),
    call("scope getnameinfo drops it", f"getnameinfo fe80::1%lo 80 {NI_NUMERIC}",
         "socket.getnameinfo(('fe80::1%lo', 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)"),
    call("scope getnameinfo tuple", f"getnameinfo ('fe80::1%lo', 80, 0, 1) {NI_NUMERIC}",
         "socket.getnameinfo(('fe80::1%lo', 80, 0, 1), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)"),
    call("scope gethostbyname", "gethostbyname fe80::1%lo", "socket.gethostbyname('fe80::1%lo')"),
    Case("create_server flowinfo out of range", "create_server s ('::1', 0, -1, 0) inet6",
         "socket.create_server(('::1', 0, -1, 0), family=socket.AF_INET6)"),
    Case("create_server flowinfo too large", "create_server s ('::1', 0, 1048576, 0) inet6",
         "socket.create_server(('::1', 0, 1048576, 0), family=socket.AF_INET6)"),
]
