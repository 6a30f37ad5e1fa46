import XCTest
import SocketCore
@testable import ShellCore

final class ExplanationTests: XCTestCase {
    private func failure(_ line: String?, _ error: ShellError) throws -> Failure {
        Failure(command: try line.map { try Lexer.parse($0)[0] }, error: error)
    }

    private func explained(_ line: String?, errno number: Int32) throws -> String {
        explain(try failure(line, ShellError(Errno(rawValue: number))))
    }

    private func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: false)[0])
    }

    /// Every explanation has the same shape, so transcripts can check it.
    private func assertShape(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertFalse(text.hasSuffix("\n"), "trailing newline", file: file, line: line)
        XCTAssertGreaterThanOrEqual(lines.count, 6, text, file: file, line: line)
        guard lines.count >= 6 else { return }
        XCTAssertTrue(lines[1].hasPrefix("What happened: "), text, file: file, line: line)
        XCTAssertEqual(lines[2], "Likely causes:", text, file: file, line: line)
        guard let tryIndex = lines.firstIndex(of: "Try:") else {
            return XCTFail("no Try: line\n\(text)", file: file, line: line)
        }
        XCTAssertGreaterThan(tryIndex, 3, "no cause\n\(text)", file: file, line: line)
        XCTAssertLessThan(tryIndex, lines.count - 1, "nothing to try\n\(text)", file: file, line: line)
        for item in lines[3...].filter({ $0 != "Try:" }) {
            XCTAssertTrue(item.hasPrefix("  - "), "bad item \(item)", file: file, line: line)
            XCTAssertFalse(item.contains("\n"), file: file, line: line)
        }
    }

    func testFirstLineOfEveryErrno() throws {
        let expected: [(Int32, String, String)] = [
            (1, "EPERM", "Operation not permitted"),
            (2, "ENOENT", "No such file or directory"),
            (4, "EINTR", "Interrupted system call"),
            (9, "EBADF", "Bad file descriptor"),
            (11, "EAGAIN", "Resource temporarily unavailable"),
            (12, "ENOMEM", "Cannot allocate memory"),
            (13, "EACCES", "Permission denied"),
            (14, "EFAULT", "Bad address"),
            (19, "ENODEV", "No such device"),
            (20, "ENOTDIR", "Not a directory"),
            (21, "EISDIR", "Is a directory"),
            (22, "EINVAL", "Invalid argument"),
            (23, "ENFILE", "Too many open files in system"),
            (24, "EMFILE", "Too many open files"),
            (32, "EPIPE", "Broken pipe"),
            (36, "ENAMETOOLONG", "File name too long"),
            (88, "ENOTSOCK", "Socket operation on non-socket"),
            (89, "EDESTADDRREQ", "Destination address required"),
            (90, "EMSGSIZE", "Message too long"),
            (91, "EPROTOTYPE", "Protocol wrong type for socket"),
            (92, "ENOPROTOOPT", "Protocol not available"),
            (93, "EPROTONOSUPPORT", "Protocol not supported"),
            (94, "ESOCKTNOSUPPORT", "Socket type not supported"),
            (95, "EOPNOTSUPP", "Operation not supported"),
            (97, "EAFNOSUPPORT", "Address family not supported by protocol"),
            (98, "EADDRINUSE", "Address already in use"),
            (99, "EADDRNOTAVAIL", "Cannot assign requested address"),
            (100, "ENETDOWN", "Network is down"),
            (101, "ENETUNREACH", "Network is unreachable"),
            (103, "ECONNABORTED", "Software caused connection abort"),
            (104, "ECONNRESET", "Connection reset by peer"),
            (105, "ENOBUFS", "No buffer space available"),
            (106, "EISCONN", "Transport endpoint is already connected"),
            (107, "ENOTCONN", "Transport endpoint is not connected"),
            (108, "ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
            (110, "ETIMEDOUT", "Connection timed out"),
            (111, "ECONNREFUSED", "Connection refused"),
            (112, "EHOSTDOWN", "Host is down"),
            (113, "EHOSTUNREACH", "No route to host"),
            (114, "EALREADY", "Operation already in progress"),
            (115, "EINPROGRESS", "Operation now in progress"),
        ]
        XCTAssertGreaterThanOrEqual(expected.count, 30)
        // Each under a command it can come from, and with no command at all.
        let lines = ["connect c 127.0.0.1 80", "bind s 127.0.0.1 80", "recv c", "send c b'x'", "accept srv",
                     "listen u", "setsockopt s tcp TCP_NODELAY 1", "socket s inet stream 17", "connect u /tmp/x.sock",
                     "sendfile c /tmp/missing", "sendto u b'x' '<broadcast>' 9", "shutdown c wr", "getpeername c", nil]
        for (number, symbol, message) in expected {
            for line in lines {
                let text = try explained(line, errno: number)
                XCTAssertEqual(firstLine(text), "\(symbol) (errno \(number)): \(message)", "\(line ?? "nil")")
                assertShape(text)
            }
        }
    }

    func testFirstLineOfEveryResolverCode() throws {
        let expected: [(Int32, String, String)] = [
            (-1, "EAI_BADFLAGS", "Bad value for ai_flags"),
            (-2, "EAI_NONAME", "Name or service not known"),
            (-3, "EAI_AGAIN", "Temporary failure in name resolution"),
            (-4, "EAI_FAIL", "Non-recoverable failure in name resolution"),
            (-5, "EAI_NODATA", "No address associated with hostname"),
            (-6, "EAI_FAMILY", "ai_family not supported"),
            (-7, "EAI_SOCKTYPE", "ai_socktype not supported"),
            (-8, "EAI_SERVICE", "Servname not supported for ai_socktype"),
            (-9, "EAI_ADDRFAMILY", "Address family for hostname not supported"),
            (-10, "EAI_MEMORY", "Memory allocation failure"),
            (-11, "EAI_SYSTEM", "System error"),
            (-12, "EAI_OVERFLOW", "Unknown error"),  // glibc has no text for it
        ]
        for (code, symbol, message) in expected {
            for line in ["getaddrinfo example.org 80", "connect c ::1 80", "gethostbyname nosuch.invalid",
                         "getnameinfo ('192.0.2.1', 80) NI_NAMEREQD", nil] {
                let text = explain(try failure(line, ShellError(ResolverError(code: code))))
                XCTAssertEqual(firstLine(text), "\(symbol) (\(code)): \(message)", "\(line ?? "nil")")
                assertShape(text)
            }
        }
    }

    func testFirstLineOfHostErrors() throws {
        let expected: [(Int32, String, String)] = [
            (1, "HOST_NOT_FOUND", "Unknown host"),
            (2, "TRY_AGAIN", "Host name lookup failure"),
            (3, "NO_RECOVERY", "Unknown server error"),
            (4, "NO_DATA", "No address associated with name"),
        ]
        for (code, symbol, message) in expected {
            for line in ["gethostbyaddr 192.0.2.1", "gethostbyname_ex nosuch.invalid", nil] {
                let text = explain(try failure(line, ShellError(HostError(code: code))))
                XCTAssertEqual(firstLine(text), "\(symbol) (h_errno \(code)): \(message)")
                assertShape(text)
            }
        }
    }

    func testHerrorUnknownHostOffersTheNumericForm() throws {
        let text = explain(try failure("gethostbyaddr 192.0.2.1", ShellError(HostError(code: 1))))
        XCTAssertTrue(text.contains("PTR"), text)
        XCTAssertTrue(text.contains("`getnameinfo ('192.0.2.1', 0) 0`"), text)
    }

    func testUnknownNumbersFallBack() throws {
        let text = try explained("connect c 127.0.0.1 80", errno: 5)
        XCTAssertEqual(firstLine(text), "EIO (errno 5): Input/output error")
        XCTAssertTrue(text.contains("`man 2 connect`"), text)
        assertShape(text)
        let resolver = explain(try failure("getaddrinfo x 80", ShellError(ResolverError(code: -100))))
        XCTAssertEqual(firstLine(resolver), "EAI_??? (-100): Processing request in progress")
        XCTAssertTrue(resolver.contains("`man 3 getaddrinfo`"), resolver)
        assertShape(resolver)
        assertShape(try explained(nil, errno: 5))
    }

    func testAddressInUseOnBind() throws {
        let text = try explained("bind srv 127.0.0.1 8080", errno: 98)
        XCTAssertEqual(firstLine(text), "EADDRINUSE (errno 98): Address already in use")
        XCTAssertTrue(text.contains("127.0.0.1 port 8080"), text)
        XCTAssertTrue(text.contains("TIME_WAIT"), text)
        XCTAssertTrue(text.contains("60 seconds"), text)
        XCTAssertTrue(text.contains("`setsockopt srv SOL_SOCKET SO_REUSEADDR 1` before bind"), text)
        XCTAssertTrue(text.contains("`sockets`"), text)
        XCTAssertTrue(text.contains("`ss -tuanp 'sport = :8080'`"), text)
        XCTAssertTrue(text.contains("never a port a socket is listening on"), text)
        assertShape(text)
    }

    func testAddressInUseVariants() throws {
        let unix = try explained("bind srv /tmp/srv.sock", errno: 98)
        XCTAssertTrue(unix.contains("does not remove its file"), unix)
        XCTAssertTrue(unix.contains("`rm /tmp/srv.sock`"), unix)
        XCTAssertFalse(unix.contains("TIME_WAIT"), unix)
        let server = try explained("create_server srv '' 8080", errno: 98)
        XCTAssertTrue(server.contains("create_server already sets SO_REUSEADDR"), server)
        XCTAssertTrue(server.contains("port 8080 on every local address"), server)
        let listen = try explained("listen srv", errno: 98)
        XCTAssertTrue(listen.contains("SO_REUSEPORT"), listen)
        let tuple = try explained("bind srv ('127.0.0.1', 9000)", errno: 98)
        XCTAssertTrue(tuple.contains("127.0.0.1 port 9000"), tuple)
    }

    func testPermissionDeniedOnLowPort() throws {
        let text = try explained("bind web '' 80", errno: 13)
        XCTAssertEqual(firstLine(text), "EACCES (errno 13): Permission denied")
        XCTAssertTrue(text.contains("port 80 is below 1024"), text)
        XCTAssertTrue(text.contains("CAP_NET_BIND_SERVICE"), text)
        XCTAssertTrue(text.contains("/proc/sys/net/ipv4/ip_unprivileged_port_start"), text)
        XCTAssertTrue(text.contains("`bind web '' 8080`"), text)
        XCTAssertTrue(text.contains("net.ipv4.ip_unprivileged_port_start=80"), text)
        assertShape(text)
    }

    func testPermissionDeniedOnBroadcast() throws {
        let text = try explained("sendto u b'hi' '<broadcast>' 9999", errno: 13)
        XCTAssertTrue(text.contains("SO_BROADCAST"), text)
        XCTAssertTrue(text.contains("`setsockopt u SOL_SOCKET SO_BROADCAST 1`"), text)
        XCTAssertFalse(text.contains("1024"), text)
    }

    func testConnectionRefusedNamesHostAndPort() throws {
        let text = try explained("connect c 127.0.0.1 1", errno: 111)
        XCTAssertEqual(firstLine(text), "ECONNREFUSED (errno 111): Connection refused")
        XCTAssertTrue(text.contains("127.0.0.1 port 1"), text)
        XCTAssertTrue(text.contains("SYN"), text)
        XCTAssertTrue(text.contains("RST"), text)
        XCTAssertTrue(text.contains("`listen srv`"), text)
        XCTAssertTrue(text.contains("`sockets`"), text)
        assertShape(text)

        let reference = try explained("connect c 127.0.0.1 $srv.port", errno: 111)
        XCTAssertTrue(reference.contains("127.0.0.1 port $srv.port"), reference)
        let tuple = try explained("create_connection c ('localhost', 8080)", errno: 111)
        XCTAssertTrue(tuple.contains("localhost port 8080"), tuple)
        let remote = try explained("connect c 192.0.2.7 8080", errno: 111)
        XCTAssertTrue(remote.contains("192.0.2.7 port 8080"), remote)
        XCTAssertTrue(remote.contains("runs on 192.0.2.7"), remote)
        XCTAssertFalse(remote.contains("bind srv 192.0.2.7"), remote)
        let unix = try explained("connect c /tmp/app.sock", errno: 111)
        XCTAssertTrue(unix.contains("/tmp/app.sock"), unix)
        XCTAssertTrue(unix.contains("stays behind after close"), unix)
    }

    func testSituationalAdviceForOtherErrnos() throws {
        let notConnected = try explained("recv srv", errno: 107)
        XCTAssertTrue(notConnected.contains("`accept srv`"), notConnected)
        XCTAssertTrue(notConnected.contains("UDP"), notConnected)
        let invalid = try explained("accept c", errno: 22)
        XCTAssertTrue(invalid.contains("`listen c`"), invalid)
        let bindTwice = try explained("bind s 127.0.0.1 0", errno: 22)
        XCTAssertTrue(bindTwice.contains("bound once"), bindTwice)
        let udpListen = try explained("listen u", errno: 95)
        XCTAssertTrue(udpListen.contains("datagram"), udpListen)
        let pipe = try explained("send c b'x'", errno: 32)
        XCTAssertTrue(pipe.contains("RST"), pipe)
        XCTAssertTrue(pipe.contains("`shutdown c wr`"), pipe)
        let reset = try explained("recv c", errno: 104)
        XCTAssertTrue(reset.contains("SO_LINGER"), reset)
        XCTAssertTrue(reset.contains("unread"), reset)
        let timedOut = try explained("connect c 10.255.255.1 80", errno: 110)
        XCTAssertTrue(timedOut.contains("127 seconds"), timedOut)
        XCTAssertTrue(timedOut.contains("`settimeout c 5`"), timedOut)
        let files = try explained("accept srv", errno: 24)
        XCTAssertTrue(files.contains("ulimit -n"), files)
        let again = try explained("recv c", errno: 11)
        XCTAssertTrue(again.contains("`select [c] [] 5`"), again)
        let option = try explained("setsockopt s SOL_SOCKET TCP_NODELAY 1", errno: 92)
        XCTAssertTrue(option.contains("`setsockopt s IPPROTO_TCP TCP_NODELAY 1`"), option)
        let notAvailable = try explained("bind s 192.0.2.1 0", errno: 99)
        XCTAssertTrue(notAvailable.contains("192.0.2.1"), notAvailable)
        let tooBig = try explained("sendto u b'x' 127.0.0.1 9", errno: 90)
        XCTAssertTrue(tooBig.contains("65,507"), tooBig)
        let missing = try explained("connect c /tmp/nosuch.sock", errno: 2)
        XCTAssertTrue(missing.contains("`bind srv /tmp/nosuch.sock`"), missing)
        let missingFile = try explained("sendfile c /tmp/nosuch.bin", errno: 2)
        XCTAssertTrue(missingFile.contains("the file /tmp/nosuch.bin"), missingFile)
        let family = explain(try failure("connect c ::1 80", ShellError(ResolverError(code: -9))))
        XCTAssertTrue(family.contains("inet6"), family)
    }

    func testNameNotKnown() throws {
        let text = explain(try failure("gethostbyname nosuch.invalid", ShellError(ResolverError(code: -2))))
        XCTAssertEqual(firstLine(text), "EAI_NONAME (-2): Name or service not known")
        XCTAssertTrue(text.contains("nosuch.invalid"), text)
        XCTAssertTrue(text.contains("RFC 6761"), text)
        XCTAssertTrue(text.contains("/etc/hosts"), text)
        assertShape(text)
        let temporary = explain(try failure("getaddrinfo example.org 80", ShellError(ResolverError(code: -3))))
        XCTAssertTrue(temporary.contains("temporary"), temporary)
        XCTAssertTrue(temporary.contains("/etc/resolv.conf"), temporary)
    }

    func testTimeout() throws {
        let text = explain(try failure("recv c", ShellError("TimeoutError", "timed out")))
        XCTAssertEqual(firstLine(text), "TimeoutError: timed out")
        XCTAssertTrue(text.contains("No data arrived on c"), text)
        XCTAssertTrue(text.contains("`gettimeout c`"), text)
        XCTAssertTrue(text.contains("`settimeout c None`"), text)
        assertShape(text)
        let connect = explain(try failure("connect c 10.255.255.1 80", ShellError("TimeoutError", "timed out")))
        XCTAssertTrue(connect.contains("10.255.255.1 port 80"), connect)
        XCTAssertTrue(connect.contains("ETIMEDOUT"), connect)
        let line = explain(try failure("recvline c", ShellError("TimeoutError", "timed out")))
        XCTAssertTrue(line.contains("without a newline"), line)
    }

    func testNameErrors() throws {
        let socket = explain(try failure("recv x", ShellError.name("x")))
        XCTAssertEqual(firstLine(socket), "NameError: name 'x' is not defined")
        XCTAssertTrue(socket.contains("No open socket is called x"), socket)
        XCTAssertTrue(socket.contains("`sockets` lists the open sockets"), socket)
        XCTAssertTrue(socket.contains("srv_1"), socket)
        assertShape(socket)

        let command = explain(try failure("conect c 127.0.0.1 80",
                                          ShellError("NameError", "name 'conect' is not defined. Did you mean: 'connect'?")))
        XCTAssertTrue(command.contains("no command called conect"), command)
        XCTAssertTrue(command.contains("`help connect`"), command)
        XCTAssertTrue(command.contains("`help` lists every command"), command)
        assertShape(command)
    }

    func testShellErrors() throws {
        let usage = explain(try failure("connect c", ShellError.type("usage: connect NAME HOST PORT")))
        XCTAssertEqual(firstLine(usage), "TypeError: usage: connect NAME HOST PORT")
        XCTAssertTrue(usage.contains("`help connect`"), usage)
        assertShape(usage)

        var syntax: ShellError?
        do { _ = try Lexer.parse("send c 'abc") } catch { syntax = ShellError(error) }
        let parsed = try XCTUnwrap(syntax)
        let text = explain(Failure(command: nil, error: parsed))
        XCTAssertEqual(firstLine(text), parsed.line)
        XCTAssertTrue(text.contains("column 8"), text)
        XCTAssertTrue(text.contains("quote"), text)
        assertShape(text)

        let overflow = explain(try failure("bind s 127.0.0.1 70000", ShellError.overflow("bind(): port must be 0-65535.")))
        XCTAssertTrue(overflow.contains("0-65535"), overflow)
        assertShape(overflow)

        let value = explain(try failure("socket s", ShellError.value("name 's' is already an open socket; close it first")))
        XCTAssertTrue(value.contains("`close s`"), value)
        assertShape(value)

        let interrupt = explain(try failure("accept srv", ShellError("KeyboardInterrupt", "")))
        XCTAssertEqual(firstLine(interrupt), "KeyboardInterrupt")
        XCTAssertTrue(interrupt.contains("as they were"), interrupt)
        assertShape(interrupt)

        let service = explain(try failure("getservbyname nosuch tcp", ShellError.osMessage("service/proto not found")))
        XCTAssertTrue(service.contains("/etc/services"), service)
        assertShape(service)
        assertShape(explain(Failure(command: nil, error: ShellError("RecursionError", "source nested more than 32 deep"))))
        assertShape(explain(Failure(command: nil, error: ShellError("WeirdError", "something"))))
    }

    /// connect_ex returns its errno instead of raising: `why` explains that
    /// errno next, with the command's own host and port, and `set explain on`
    /// explains it at once. A connect_ex that succeeds leaves `why` alone.
    func testWhyExplainsTheErrnoConnectExReturned() {
        let shell = Shell()
        shell("socket closed; bind closed 127.0.0.1 0")
        let port = shell.one("echo $closed.port")
        shell("close closed; socket c")
        XCTAssertEqual(shell.one("why"), "No command has failed yet.")
        XCTAssertEqual(shell.one("connect_ex c 127.0.0.1 \(port)"), "111")
        let why = shell("why")
        XCTAssertEqual(why.first, "ECONNREFUSED (errno 111): Connection refused")
        XCTAssertTrue(why.contains { $0.contains("port \(port) of 127.0.0.1") }, "\(why)")
        assertShape(why.joined(separator: "\n"))

        shell("socket srv; bind srv 127.0.0.1 0; listen srv; socket ok")
        XCTAssertEqual(shell.one("connect_ex ok 127.0.0.1 $srv.port"), "0")
        XCTAssertEqual(shell("why").first, "ECONNREFUSED (errno 111): Connection refused")

        shell("set explain on; socket n; setblocking n False")
        let explained = shell("connect_ex n 127.0.0.1 $srv.port")
        XCTAssertEqual(explained.first, "115")
        XCTAssertEqual(explained.dropFirst().first, "EINPROGRESS (errno 115): Operation now in progress")
        XCTAssertTrue(explained.contains { $0.contains("connect_ex returns 115 for it") }, "\(explained)")
    }
}
