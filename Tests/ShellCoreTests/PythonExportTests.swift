import XCTest
import Glibc
import SocketCore
@testable import ShellCore

/// `set python on` statements for each command, and exported scripts run by
/// python3 against the same session run by sockshell.
final class PythonExportTests: XCTestCase {
    // MARK: Statements, command by command

    private func python(_ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) -> [String]? {
        guard let commands = try? Lexer.parse(line), commands.count == 1 else {
            XCTFail("\(line) is not one command", file: file, line: lineNumber)
            return nil
        }
        return PythonExport.statements(for: commands[0])
    }

    private func check(_ cases: [(String, [String])], file: StaticString = #filePath, line: UInt = #line) {
        for (command, expected) in cases {
            XCTAssertEqual(python(command, file: file, lineNumber: line), expected, command, file: file, line: line)
        }
    }

    func testSocketCommands() {
        check([
            ("socket srv", ["srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)"]),
            ("socket s tcp", ["s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)"]),
            ("socket s tcp6", ["s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)"]),
            ("socket u udp", ["u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"]),
            ("socket u udp6", ["u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)"]),
            ("socket s inet6", ["s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)"]),
            ("socket s unix dgram", ["s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"]),
            ("socket s socket.AF_INET SOCK_DGRAM udp",
             ["s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)"]),
            ("socket s 2 1", ["s = socket.socket(2, 1)"]),
            ("socketpair a b", ["a, b = socket.socketpair()"]),
            ("socketpair a b unix dgram", ["a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)"]),
            ("create_connection c localhost 80", ["c = socket.create_connection(('localhost', 80))"]),
            ("create_connection c ('localhost', 80) 2.5", ["c = socket.create_connection(('localhost', 80), 2.5)"]),
            ("create_server srv 127.0.0.1 0", ["srv = socket.create_server(('127.0.0.1', 0))"]),
            ("create_server srv * 8080 inet6 5",
             ["srv = socket.create_server(('', 8080), family=socket.AF_INET6, backlog=5)"]),
            ("bind srv 127.0.0.1 0", ["srv.bind(('127.0.0.1', 0))"]),
            ("bind srv * 8080", ["srv.bind(('', 8080))"]),
            ("bind srv '' 0x1F90", ["srv.bind(('', 0x1F90))"]),
            ("bind s ('::1', 0, 0, 0)", ["s.bind(('::1', 0, 0, 0))"]),
            ("bind u /tmp/sock", ["u.bind('/tmp/sock')"]),
            ("bind u '\\0abstract'", ["u.bind('\\x00abstract')"]),
            ("listen srv", ["srv.listen()"]),
            ("listen srv 5", ["srv.listen(5)"]),
            ("accept srv conn", ["conn, addr = srv.accept()"]),
            ("accept srv", ["srv_1, addr = srv.accept()"]),
            ("connect c 127.0.0.1 $srv.port", ["c.connect(('127.0.0.1', srv.getsockname()[1]))"]),
            ("connect c ($srv.host, $srv.port)", ["c.connect((srv.getsockname()[0], srv.getsockname()[1]))"]),
            ("connect_ex c localhost 9", ["c.connect_ex(('localhost', 9))"]),
            ("shutdown c wr", ["c.shutdown(socket.SHUT_WR)"]),
            ("shutdown c SHUT_RDWR", ["c.shutdown(socket.SHUT_RDWR)"]),
            ("close c", ["c.close()"]),
            ("getsockname c", ["c.getsockname()"]),
            ("getpeername c", ["c.getpeername()"]),
            ("fileno c", ["c.fileno()"]),
            ("select [a, b] [c] 1.5", ["select.select([a, b], [c], [], 1.5)"]),
            ("select [srv] [] None", ["select.select([srv], [], [], None)"]),
            ("select a", ["select.select([a], [], [])"]),
        ])
    }

    func testDataCommands() {
        check([
            ("send c b'GET / HTTP/1.0\\r\\n\\r\\n'", ["c.send(b'GET / HTTP/1.0\\r\\n\\r\\n')"]),
            ("send c 'hi' MSG_DONTWAIT", ["c.send(b'hi', socket.MSG_DONTWAIT)"]),
            ("sendall conn 'welcome\\n'", ["conn.sendall(b'welcome\\n')"]),
            ("sendall conn word", ["conn.sendall(b'word')"]),
            ("sendall c 'héllo'", ["c.sendall('héllo'.encode())"]),
            ("sendall c @/etc/hosts", ["c.sendall(open('/etc/hosts', 'rb').read())"]),
            ("sendline c 'hello'", ["c.sendall(b'hello\\n')"]),
            ("sendline c b'\\x00'", ["c.sendall(b'\\x00\\n')"]),
            ("sendline c @data.txt", ["c.sendall(open('data.txt', 'rb').read() + b'\\n')"]),
            ("sendto u b'ping' 127.0.0.1 $v.port", ["u.sendto(b'ping', ('127.0.0.1', v.getsockname()[1]))"]),
            ("sendto u 'x' ('<broadcast>', 9)", ["u.sendto(b'x', ('<broadcast>', 9))"]),
            ("sendfile c /etc/hosts", ["c.sendfile(open('/etc/hosts', 'rb'))"]),
            ("recv c", ["c.recv(4096)"]),
            ("recv c 1024", ["c.recv(1024)"]),
            ("recv c 100 MSG_PEEK|MSG_DONTWAIT", ["c.recv(100, socket.MSG_PEEK | socket.MSG_DONTWAIT)"]),
            ("recvfrom u", ["u.recvfrom(4096)"]),
            ("recvline c", ["recvline(c)"]),
            ("recvuntil c b'\\r\\n\\r\\n'", ["recvuntil(c, b'\\r\\n\\r\\n')"]),
            ("recvall c", ["b''.join(iter(lambda: c.recv(65536), b''))"]),
            ("recvall c 1024", ["b''.join(iter(lambda: c.recv(1024), b''))"]),
        ])
    }

    func testOptionCommands() {
        check([
            ("setsockopt srv SOL_SOCKET SO_REUSEADDR 1", ["srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)"]),
            ("setsockopt c tcp TCP_NODELAY True", ["c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)"]),
            ("setsockopt c socket SO_LINGER b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
             ["c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')"]),
            ("getsockopt c IPPROTO_TCP TCP_NODELAY", ["c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)"]),
            ("getsockopt c SOL_SOCKET SO_LINGER 8", ["c.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)"]),
            ("settimeout c 2.5", ["c.settimeout(2.5)"]),
            ("settimeout c None", ["c.settimeout(None)"]),
            ("gettimeout c", ["c.gettimeout()"]),
            ("setblocking c False", ["c.setblocking(False)"]),
            ("setblocking c on", ["c.setblocking(True)"]),
            ("getblocking c", ["c.getblocking()"]),
            ("tcpinfo c", ["c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)"]),
        ])
    }

    func testResolverCommands() {
        check([
            ("gethostname", ["socket.gethostname()"]),
            ("gethostbyname localhost", ["socket.gethostbyname('localhost')"]),
            ("gethostbyname_ex localhost", ["socket.gethostbyname_ex('localhost')"]),
            ("gethostbyaddr 127.0.0.1", ["socket.gethostbyaddr('127.0.0.1')"]),
            ("getfqdn", ["socket.getfqdn()"]),
            ("getfqdn localhost", ["socket.getfqdn('localhost')"]),
            ("getservbyname http tcp", ["socket.getservbyname('http', 'tcp')"]),
            ("getservbyname http", ["socket.getservbyname('http')"]),
            ("getservbyport 53 udp", ["socket.getservbyport(53, 'udp')"]),
            ("getprotobyname tcp", ["socket.getprotobyname('tcp')"]),
            ("getaddrinfo localhost 80 inet stream",
             ["socket.getaddrinfo('localhost', 80, socket.AF_INET, socket.SOCK_STREAM)"]),
            ("getaddrinfo None 8080 inet stream 0 AI_PASSIVE",
             ["socket.getaddrinfo(None, 8080, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)"]),
            ("getaddrinfo localhost http", ["socket.getaddrinfo('localhost', 'http')"]),
            ("getaddrinfo ::1 80 inet6 stream tcp",
             ["socket.getaddrinfo('::1', 80, socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP)"]),
            ("getnameinfo 127.0.0.1 80 NI_NUMERICHOST|NI_NUMERICSERV",
             ["socket.getnameinfo(('127.0.0.1', 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)"]),
            ("getnameinfo ('::1', 80) 0", ["socket.getnameinfo(('::1', 80), 0)"]),
            ("inet_aton 127.1", ["socket.inet_aton('127.1')"]),
            ("inet_ntoa b'\\x7f\\x00\\x00\\x01'", ["socket.inet_ntoa(b'\\x7f\\x00\\x00\\x01')"]),
            ("inet_pton inet6 ::1", ["socket.inet_pton(socket.AF_INET6, '::1')"]),
            ("inet_ntop AF_INET b'\\xc0\\xa8\\x00\\x01'", ["socket.inet_ntop(socket.AF_INET, b'\\xc0\\xa8\\x00\\x01')"]),
            ("htons 1", ["socket.htons(1)"]),
            ("ntohl 0xdeadbeef", ["socket.ntohl(0xdeadbeef)"]),
            ("htonl 1_000", ["socket.htonl(1000)"]),
            ("if_nameindex", ["socket.if_nameindex()"]),
            ("getdefaulttimeout", ["socket.getdefaulttimeout()"]),
            ("setdefaulttimeout 3", ["socket.setdefaulttimeout(3)"]),
            ("setdefaulttimeout None", ["socket.setdefaulttimeout(None)"]),
        ])
    }

    func testShellCommands() {
        check([
            ("echo hello world", ["print('hello world')"]),
            ("echo", ["print()"]),
            ("echo port $srv.port", ["print('port', srv.getsockname()[1])"]),
            ("echo b'\\x00' 2.50 None", ["print(\"b'\\\\x00' 2.5 None\")"]),
            ("echo 'bell\\a'", ["print('bell\\\\x07')"]),
            ("sleep 0.5", ["time.sleep(0.5)"]),
            ("quit", ["sys.exit(0)"]),
            ("exit 3", ["sys.exit(3)"]),
        ])
        for line in ["sockets", "ls", "help", "help connect", "history", "history 5", "set", "set display hex",
                     "set maxline 10", "set python on", "source x.sock", "why", "record off", "export python x.py"] {
            XCTAssertNil(python(line), line)
        }
    }

    func testRedirectsWriteTheValueAsSockshellDoes() {
        check([
            ("recv c > page.bin", ["with open('page.bin', 'wb') as out:", "    out.write(c.recv(4096))"]),
            ("getsockname c >> log.txt", ["with open('log.txt', 'a') as out:", "    print(repr(c.getsockname()), file=out)"]),
            ("recvall c > page.html", ["with open('page.html', 'wb') as out:",
                                       "    for chunk in iter(lambda: c.recv(1048576), b''):",
                                       "        out.write(chunk)"]),
            ("echo hi > note.txt", ["with open('note.txt', 'w') as out:", "    print('hi', file=out)"]),
            // A call that returns None writes no file.
            ("sendall c x > ignored.txt", ["c.sendall(b'x')"]),
        ])
    }

    func testNamesPythonReservesGetAnUnderscore() {
        check([
            ("socket if", ["if_ = socket.socket(socket.AF_INET, socket.SOCK_STREAM)"]),
            ("recv socket", ["socket_.recv(4096)"]),
            ("accept srv addr", ["addr_, addr = srv.accept()"]),
            ("connect c 127.0.0.1 $type.port", ["c.connect(('127.0.0.1', type_.getsockname()[1]))"]),
        ])
    }

    func testArgumentsSockshellRefusesHaveNoStatements() {
        for line in ["connect c", "recv c abc", "socket 1x", "socketpair p p", "bind s 127.0.0.1 0 extra",
                     "send c 123", "shutdown c sideways", "set display bogus", "getaddrinfo localhost 1.5"] {
            XCTAssertNil(python(line), line)
        }
    }

    /// Export reads the arguments through the binder that runs the command,
    /// so an argument sockshell refuses raises, in the script, the very
    /// error sockshell printed for it.
    func testARefusedArgumentRaisesWhatSockshellPrinted() {
        let lines = ["connect a", "recv a abc", "bind s 127.0.0.1 0 extra", "send a 123", "shutdown a sideways",
                     "getaddrinfo localhost 1.5", "getaddrinfo (1, 2) 80", "sleep abc", "create_server x 127.0.0.1 abc",
                     "create_connection x 127.0.0.1", "socket t AF_BOGUS", "socket t tcp 6 7", "listen s abc",
                     "setsockopt s SOL_SOCKET SO_REUSEADDR abc", "getsockopt s SOL_SOCKET", "settimeout s abc",
                     "select [a] [b] x", "select 5", "sendto u b'x' 127.0.0.1", "connect s (1, 2)", "set display",
                     "set display bogus", "set maxline 0", "socketpair p p", "quit x", "setblocking s maybe",
                     "gethostbyname", "getservbyname http tcp extra", "recvuntil a 5", "sendfile a"]
        let shell = Shell()
        shell("socketpair a b; socket s; socket u udp")
        let text = script(["socketpair a b", "socket s", "socket u udp"] + lines)
        for line in lines {
            let printed = shell(line)
            guard printed.count == 1, let colon = printed[0].range(of: ": ") else {
                XCTFail("\(line): sockshell printed \(printed)")
                continue
            }
            let type = printed[0][..<colon.lowerBound], message = String(printed[0][colon.upperBound...])
            let block = text.components(separatedBy: "# sock> \(line)\n").dropFirst().first ?? ""
            let raise = "raise \(type)(\(pythonStringRepr(message)))"
            XCTAssertTrue(block.prefix(while: { $0 != "#" }).contains(raise), "\(line): \(raise) not in \(block.prefix(300))")
        }
    }

    func testShortWordsNameTheConstantsSockshellReads() {
        for kind in [ConstantKind.family, .type, .level, .shutdown] {
            XCTAssertEqual(Set(pythonConstantShortNames(kind).keys), Set(kind.shortWords.keys))
            for (word, name) in pythonConstantShortNames(kind) {
                XCTAssertEqual(PythonConstants.byName[name], kind.shortWords[word].map(Int.init), "\(word) -> \(name)")
            }
        }
    }

    func testStatementsInASessionNameTheNextAcceptedSocket() throws {
        let shell = Shell()
        shell("create_server srv 127.0.0.1 0; socket a; connect a 127.0.0.1 $srv.port; accept srv")
        let command = try Lexer.parse("accept srv")[0]
        XCTAssertEqual(PythonExport.statements(for: command, in: shell.session), ["srv_2, addr = srv.accept()"])
        XCTAssertEqual(PythonExport.statements(for: command), ["srv_1, addr = srv.accept()"])
    }

    // MARK: Scripts

    private func script(_ lines: [String]) -> String {
        PythonExport.script(for: lines.flatMap { (try? Lexer.parse($0)) ?? [] })
    }

    func testScriptWrapsEachCommandAndAddsOnlyTheHelpersItUses() {
        let text = script(["socket s", "getservbyname http tcp", "connect s"])
        XCTAssertTrue(text.hasPrefix("#!/usr/bin/env python3\n"))
        XCTAssertTrue(text.contains("""
            # sock> getservbyname http tcp
            try:
                show(socket.getservbyname('http', 'tcp'))
            except Exception as e:
                show_error(e)
            """))
        // A usage error raises what sockshell printed, after looking the socket up as sockshell does.
        XCTAssertTrue(text.contains("""
            try:
                s
                raise TypeError('usage: connect NAME HOST PORT')
            """))
        XCTAssertTrue(text.hasSuffix("sys.exit(1 if failed else 0)\n"))
        for helper in ["def recvuntil", "def accepted", "def select_names", "def save", "def hexdump", "buffers = {}",
                       "import select", "import time", "RENAMED"] {
            XCTAssertFalse(text.contains(helper), helper)
        }
        let busy = script(["socketpair a b", "recvline b", "recv b", "select [a] [] 0", "recv a > f", "set display hex"])
        for helper in ["def recvuntil", "def recv(", "def select_names", "def save", "def hexdump", "import select",
                       "show(recv(b, 4096))", "DISPLAY = 'hex'"] {
            XCTAssertTrue(busy.contains(helper), helper)
        }
    }

    func testScriptReusesNoOpenNameAndFreesClosedOnes() {
        let text = script(["socket s", "socket s", "close s", "socket s"])
        XCTAssertEqual(text.ranges(of: "if 's' in globals():").count, 1)
        XCTAssertTrue(text.contains("    s.close()\n    del s\n"))
    }

    func testScriptLeavesOutShellCommandsWithAComment() {
        let text = script(["help", "sockets", "source other.sock"])
        XCTAssertTrue(text.contains("# sock> help\n# (a sockshell command with no Python counterpart"))
        XCTAssertTrue(text.contains("# sock> source other.sock\n# (the commands of the file follow"))
    }

    func testEveryCommandTranslatesToPythonThatCompiles() throws {
        try requirePython()
        var lines: [String] = []
        for command in CommandTable.all {
            lines.append(command.name + " " + (command.usage.isEmpty ? "" : "x"))
        }
        lines += ["socket srv", "bind srv 127.0.0.1 0", "accept srv", "accept srv", "recvall c > f", "echo a $s.port",
                  "select [a] [b] 1", "tcpinfo c", "socket if", "recvfrom b", "recvline b", "recvfrom b", "quit 2"]
        let result = runPython(script(lines), arguments: "-m py_compile")
        XCTAssertEqual(result.status, 0, result.errors.joined(separator: "\n"))
    }

    // MARK: End to end: python3 prints what sockshell printed

    func testScriptPrintsWhatSockshellPrintedForAServerAndAClient() throws {
        try requirePython()
        let session = [
            "socket srv",
            "setsockopt srv SOL_SOCKET SO_REUSEADDR 1",
            "bind srv 127.0.0.1 0",
            "listen srv 5",
            "socket c",
            "connect c 127.0.0.1 $srv.port",
            "accept srv conn",
            "sendall conn 'welcome\\nto the server\\n'",
            "recvline c",
            "sendline c 'hello'",
            "recv conn",
            "recv c",
            "getpeername conn",
            "send c b'bye'",
            "recv conn 1024",
            "shutdown c wr",
            "recv conn",
            "close conn",
            "recv conn",
            "socket u udp",
            "bind u 127.0.0.1 0",
            "socket v udp",
            "sendto v b'ping' 127.0.0.1 $u.port",
            "recvfrom u",
            "select [u, c] [v] 0.2",
            "getservbyname http tcp",
            "getservbyname nosuchservice tcp",
            "inet_aton 127.1",
            "inet_aton 300.1.2.3.4",
            "gethostbyname nosuch.invalid",
            "socket other",
            "connect other 127.0.0.1 1",
            "connect other",
            "socket c",
            "getaddrinfo 127.0.0.1 53 AF_INET SOCK_DGRAM",
            "htons 0x1234",
            "echo done",
        ]
        let (sockshell, python) = try compare(session)
        XCTAssertTrue(sockshell.values.contains("b'welcome\\n'"), "\(sockshell.values)")
        XCTAssertTrue(sockshell.values.contains("b'to the server\\n'"), "\(sockshell.values)")
        XCTAssertTrue(sockshell.values.contains("(b'ping', ('127.0.0.1', ...))"), "\(sockshell.values)")
        XCTAssertTrue(sockshell.values.contains { $0.hasPrefix("(<socket conn fd=N, family=AF_INET, type=SOCK_STREAM") })
        XCTAssertEqual(sockshell.errors.count, 7, "\(sockshell.errors)")
        guard sockshell.errors.count == 7 else { return }
        XCTAssertEqual(sockshell.errors[0], "NameError: name 'conn' is not defined")
        XCTAssertEqual(sockshell.errors[1], "OSError: service/proto not found")
        XCTAssertEqual(sockshell.errors[2], "OSError: illegal IP address string passed to inet_aton")
        // The resolver's own words: "Name or service not known", or a temporary failure without DNS.
        XCTAssertTrue(sockshell.errors[3].hasPrefix("socket.gaierror: [Errno -"), sockshell.errors[3])
        XCTAssertEqual(Array(sockshell.errors[4...]), [
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "TypeError: usage: connect NAME HOST PORT",
            "ValueError: name 'c' is already an open socket; close it first",
        ])
        XCTAssertEqual(python.status, 1)
    }

    /// A session in Python syntax, as a textbook's reader types it, with
    /// sockshell commands among its lines: `export python` writes the Python
    /// lines as Python, read again when the script runs (the server's port is
    /// the one it gets then), and the script prints what sockshell printed,
    /// errors included: python3's own for what both run, sockshell's for the
    /// lines it refused.
    func testAPythonSessionExportsAsPythonThatPrintsTheSame() throws {
        try requirePython()
        let session = [
            ">>> import socket",
            "port = socket.getservbyname('http', 'tcp')",
            "print(port)",
            "srv = socket.create_server(('127.0.0.1', 0))",
            "host, p = srv.getsockname()",
            "c = socket.create_connection((host, p))",
            "conn, addr = srv.accept()",
            "c.sendall(b'hi ' + str(port).encode())",
            "conn.recv(100)",
            "print \"book\", port",
            "sendall c 'in both syntaxes'",
            "recv conn $port",
            "conn.getpeername() == c.getsockname()",
            "x = 1 +",
            "nosuch",
            "c.conect((host, p))",
            "while True:",
            "import os",
            "c.close()",
        ]
        let (shell, values, errors) = run(session)
        let path = "/tmp/sockshell-export-python-session-\(getpid()).py"
        defer { unlink(path) }
        XCTAssertEqual(shell("export python \(path)"), [])
        shell.session.closeAll()
        let script = String(decoding: (try? Files.read(path)) ?? [], as: UTF8.self)
        XCTAssertTrue(script.contains("# >>> c = socket.create_connection((host, p))"), script)
        let python = runPython(script)
        XCTAssertEqual(python.values, values)
        XCTAssertEqual(python.errors, errors)
        XCTAssertEqual(values, ["80", "b'hi 80'", "book 80", "b'in both syntaxes'", "True"])
        XCTAssertEqual(errors, [
            "SyntaxError: invalid syntax (column 8)",
            "NameError: name 'nosuch' is not defined",
            "AttributeError: 'socket' object has no attribute 'conect'. Did you mean: 'connect'?",
            "SyntaxError: sockshell runs one call a line; 'while' blocks are not supported (recvall reads until the peer closes)",
            "ModuleNotFoundError: No module named 'os' (sockshell knows socket, select and time)",
        ])
        XCTAssertEqual(python.status, 1)
    }

    /// A Python line Ctrl-C ended is left out of the export, as a command
    /// Ctrl-C ended is: run by python3, it would wait for ever.
    func testAPythonLineCtrlCEndedIsNotExported() throws {
        let (shell, _, _) = run(["import socket", "a, b = socket.socketpair()"])
        Interruption.interrupt(after: 0.2)
        shell("b.recv(10)")
        _ = Interruption.cancelTimer()
        Interruption.clear()
        XCTAssertEqual(shell.output.errors, ["KeyboardInterrupt"])
        shell("a.sendall(b'after')")
        shell("b.recv(10)")
        XCTAssertEqual(shell.output.values, ["b'after'"])
        XCTAssertEqual(shell.session.commandLog, [
            .python("import socket", refusal: nil), .python("a, b = socket.socketpair()", refusal: nil),
            .python("a.sendall(b'after')", refusal: nil), .python("b.recv(10)", refusal: nil),
        ])
        shell.session.closeAll()
    }

    func testScriptKeepsBufferedBytesNamesAndDisplayAsSockshellDoes() throws {
        try requirePython()
        let directory = "/tmp/sockshell-export-files-\(getpid())"
        let session = [
            "socketpair a b",
            "sendall a b'one\\ntwo\\r\\n\\r\\nrest'",
            "recvline b",
            "select [b] [a] 0",
            "recvuntil b b'\\r\\n\\r\\n'",
            "recv b 2 MSG_PEEK",
            "recvfrom b 2",
            "recvall b 0",
            "settimeout b 0.1",
            "recvall b",
            "sendall a 'to a file'",
            "recv b > \(directory)/one.bin",
            "getsockname a >> \(directory)/two.txt",
            "echo appended >> \(directory)/two.txt",
            "set maxline 4",
            "sendall a 'abcdefgh\\n'",
            "recvline b",
            "set maxline 100",
            "recvline b",
            "set display hex",
            "sendall a b'\\x00\\x01binary\\xff'",
            "recv b",
            "set display text",
            "sendall a 'h\\xe9llo\\x1b[2J\\ttab'",
            "recv b",
            "set display repr",
            "set display bogus",
            "socket if",
            "socket if",
            "close if",
            "recv if",
            "create_server srv 127.0.0.1 0",
            "settimeout srv 0.05",
            "accept srv",
            "create_connection c1 127.0.0.1 $srv.port",
            "create_connection c2 127.0.0.1 $srv.port",
            "accept srv",
            "accept srv",
            "getpeername srv_2 > /dev/null",
            "sendall c1 'ready'",
            "select [srv_1, srv_2] [] 1",
            "echo listening on ('127.0.0.1', $srv.port)",
            "recv nosuch",
            "bogus",
        ]
        _ = system("rm -rf \(directory) && mkdir -p \(directory)")
        defer { _ = system("rm -rf \(directory)") }
        let (sockshell, _) = try compare(session, between: {
            _ = system("mv \(directory)/one.bin \(directory)/one.sockshell; mv \(directory)/two.txt \(directory)/two.sockshell")
        })
        XCTAssertEqual(try Files.read("\(directory)/one.bin"), try Files.read("\(directory)/one.sockshell"))
        XCTAssertEqual(try Files.read("\(directory)/two.txt"), try Files.read("\(directory)/two.sockshell"))
        XCTAssertTrue(sockshell.values.contains("00000000  00 01 62 69 6e 61 72 79  ff                       |..binary.|"))
        XCTAssertTrue(sockshell.values.contains { $0.hasPrefix("(<socket srv_1 fd=") }, "\(sockshell.values)")
        XCTAssertTrue(sockshell.values.contains("([srv_1], [])"), "\(sockshell.values)")
        XCTAssertTrue(sockshell.errors.contains("NameError: name 'if' is not defined"), "\(sockshell.errors)")
        XCTAssertTrue(sockshell.errors.contains("NameError: name 'bogus' is not defined"), "\(sockshell.errors)")
    }

    // MARK: Helpers

    private struct Printed {
        var values: [String]
        var errors: [String]
        var status: Int32
    }

    private func requirePython() throws {
        if system("command -v python3 > /dev/null 2>&1") != 0 { throw XCTSkip("python3 is not installed") }
    }

    /// Runs `session` in sockshell and its exported script in python3, and
    /// checks that both printed the same lines (ports the kernel chose and
    /// file descriptors masked). `between` runs after sockshell, before python3.
    private func compare(_ session: [String], between: () -> Void = {},
                         file: StaticString = #filePath, line: UInt = #line) throws -> (Printed, Printed) {
        let (shell, values, errors) = run(session)
        let failed = shell.runner.anyFailed
        shell.session.closeAll()
        between()
        let python = runPython(script(session))
        let sockshell = Printed(values: values.map(masked), errors: errors.map(masked), status: failed ? 1 : 0)
        let fromPython = Printed(values: python.values.map(masked), errors: python.errors.map(masked), status: python.status)
        XCTAssertEqual(fromPython.values, sockshell.values, "stdout", file: file, line: line)
        XCTAssertEqual(fromPython.errors, sockshell.errors, "stderr", file: file, line: line)
        XCTAssertEqual(fromPython.status, sockshell.status, "exit status", file: file, line: line)
        return (sockshell, fromPython)
    }

    /// Runs `session` line by line in a fresh shell: what it printed, in order.
    private func run(_ session: [String]) -> (shell: Shell, values: [String], errors: [String]) {
        let shell = Shell()
        var values: [String] = []
        var errors: [String] = []
        for line in session {
            shell(line)
            values += shell.output.values
            errors += shell.output.errors
        }
        return (shell, values, errors)
    }

    private var runs = 0

    /// Writes `script` to /tmp and runs python3 on it.
    private func runPython(_ script: String, arguments: String = "") -> Printed {
        runs += 1
        let base = "/tmp/sockshell-export-test-\(getpid())-\(runs)"
        defer { for suffix in [".py", ".out", ".err"] { unlink(base + suffix) } }
        let fd = try! Files.openForWriting(base + ".py", append: false)
        try! Array(script.utf8).withUnsafeBytes { try Files.writeAll(fd, $0) }
        Files.close(fd)
        let status = system("timeout 30 python3 \(arguments) \(base).py > \(base).out 2> \(base).err")
        let lines = { (path: String) -> [String] in
            let text = String(decoding: (try? Files.read(path)) ?? [], as: UTF8.self)
            var result = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if result.last == "" { result.removeLast() }
            return result
        }
        return Printed(values: lines(base + ".out"), errors: lines(base + ".err"), status: (status >> 8) & 0xFF)
    }

    /// Ports the kernel chose become `...` (as `record` writes them) and
    /// `fd=N` loses its number, which differs between the test and python3.
    private func masked(_ line: String) -> String {
        var result = ""
        var rest = Substring(Recording.maskingEphemeralPorts(line))
        while let range = rest.firstRange(of: "fd=") {
            result += rest[..<range.upperBound] + "N"
            rest = rest[range.upperBound...].drop { $0.isNumber }
        }
        return result + rest
    }
}
