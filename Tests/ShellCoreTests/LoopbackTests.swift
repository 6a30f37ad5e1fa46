import XCTest
import Glibc
import SocketCore
@testable import ShellCore

/// Every socket command against real sockets on loopback.
final class LoopbackTests: XCTestCase {
    func testTCPServerAndClientInOneSession() {
        let shell = Shell()
        XCTAssertEqual(shell("socket srv; setsockopt srv SOL_SOCKET SO_REUSEADDR 1; bind srv 127.0.0.1 0; listen srv 5"), [])
        XCTAssertEqual(shell.one("getsockopt srv SOL_SOCKET SO_REUSEADDR"), "1")
        XCTAssertEqual(shell("socket c; connect c 127.0.0.1 $srv.port"), [])
        let accepted = shell.one("accept srv conn")
        XCTAssertTrue(accepted.hasPrefix("(<socket conn fd="), accepted)
        XCTAssertTrue(accepted.contains("family=AF_INET, type=SOCK_STREAM, proto=0, laddr=('127.0.0.1', "), accepted)
        let clientAddress = shell.one("getsockname c")
        XCTAssertTrue(accepted.hasSuffix(", raddr=\(clientAddress)>, \(clientAddress))"), "\(accepted) vs \(clientAddress)")
        XCTAssertEqual(shell("sendall conn 'welcome\\n'"), [])
        XCTAssertEqual(shell.one("recvline c"), #"b'welcome\n'"#)
        XCTAssertEqual(shell.one("send c b'hello'"), "5")
        XCTAssertEqual(shell.one("recv conn 1024"), "b'hello'")
        XCTAssertEqual(shell.one("getpeername conn"), shell.one("getsockname c"))
        XCTAssertEqual(shell("shutdown c wr"), [])
        XCTAssertEqual(shell.one("recv conn"), "b''")
        XCTAssertEqual(shell("close conn"), [])
        XCTAssertEqual(shell.one("recv c"), "b''")
        XCTAssertEqual(shell.one("recv conn"), "NameError: name 'conn' is not defined")
    }

    func testPeerFieldsAreTheOtherEndsAddress() {
        let shell = Shell()
        shell("create_server srv 127.0.0.1 0")
        shell("create_connection c 127.0.0.1 $srv.port")
        shell("accept srv conn")
        let clientPort = shell.one("echo $c.port")
        XCTAssertEqual(shell.one("echo $conn.peer.port"), clientPort)
        XCTAssertEqual(shell.one("echo $conn.peer.host"), "127.0.0.1")
        XCTAssertEqual(shell.one("echo $conn.peer"), "('127.0.0.1', \(clientPort))")
        XCTAssertEqual(shell.one("echo $c.peer.port"), shell.one("echo $srv.port"))
        shell("socket u udp")
        XCTAssertEqual(shell.one("echo $u.peer"), "OSError: [Errno 107] Transport endpoint is not connected")
    }

    func testAcceptNamesDefaultToListenerUnderscoreN() {
        let shell = Shell()
        shell("create_server srv 127.0.0.1 0; socket a; connect a 127.0.0.1 $srv.port; socket b; connect b 127.0.0.1 $srv.port")
        XCTAssertTrue(shell.one("accept srv").hasPrefix("(<socket srv_1 fd="))
        XCTAssertTrue(shell.one("accept srv").hasPrefix("(<socket srv_2 fd="))
        XCTAssertEqual(shell.session.entries.map(\.name), ["srv", "a", "b", "srv_1", "srv_2"])
    }

    func testRecvlineAndRecvuntilKeepWhatFollowsTheDelimiter() {
        let shell = Shell()
        shell("socketpair a b")
        shell("sendall a b'one\\ntwo\\r\\n\\r\\nrest'")
        XCTAssertEqual(shell.one("recvline b"), #"b'one\n'"#)
        XCTAssertEqual(shell.one("recvuntil b b'\\r\\n\\r\\n'"), #"b'two\r\n\r\n'"#)
        XCTAssertEqual(shell.one("recv b 2 MSG_PEEK"), "b're'")
        XCTAssertEqual(shell.one("recv b 2"), "b're'")
        XCTAssertEqual(shell.one("recv b"), "b'st'")
        shell("sendall a 'tail without newline'; shutdown a wr")
        XCTAssertEqual(shell.one("recvline b"), "b'tail without newline'")
        XCTAssertEqual(shell.one("recvline b"), "b''")
    }

    func testRecvlineLimitKeepsTheData() {
        let shell = Shell()
        shell("socketpair a b; set maxline 8")
        shell("sendall a b'0123456789abcdef\\n'")
        XCTAssertEqual(shell.one("recvline b"),
                       #"ValueError: no b'\n' within maxline (8 bytes); what was read stays buffered (set maxline to raise the limit)"#)
        shell("set maxline 100")
        XCTAssertEqual(shell.one("recvline b"), #"b'0123456789abcdef\n'"#)
    }

    func testRecvallPrintsWhatArrivedBeforeATimeout() {
        let shell = Shell()
        shell("socketpair a b; settimeout b 0.1; sendall a 'partial'")
        XCTAssertEqual(shell("recvall b"), ["b'partial'", "TimeoutError: timed out"])
    }

    func testRecvallStreamsToAFile() throws {
        let path = "/tmp/sockshell-test-\(getpid()).out"
        defer { unlink(path) }
        let shell = Shell()
        shell("socketpair a b; sendall a b'\\x00\\x01 binary\\xff'; shutdown a wr")
        XCTAssertEqual(shell("recvall b > \(path)"), [])
        XCTAssertEqual(try Files.read(path), [0, 1] + Array(" binary".utf8) + [0xFF])
        XCTAssertEqual(shell("getsockname a >> \(path)"), [])
        XCTAssertEqual(try Files.read(path).suffix(3), Array("''\n".utf8))
        // TCP goes through splice(2); `>>` (which splice cannot write) through recv.
        shell("create_server srv 127.0.0.1 0; create_connection c 127.0.0.1 $srv.port; accept srv conn")
        shell("sendall conn b'spliced\\x00'; close conn")
        XCTAssertEqual(shell("recvall c > \(path)"), [])
        XCTAssertEqual(try Files.read(path), Array("spliced\u{0}".utf8))
        shell("create_connection d 127.0.0.1 $srv.port; accept srv conn2; sendall conn2 b'+appended'; close conn2")
        XCTAssertEqual(shell("recvall d >> \(path)"), [])
        XCTAssertEqual(try Files.read(path), Array("spliced\u{0}+appended".utf8))
    }

    func testUDPBetweenTwoNamedSockets() {
        let shell = Shell()
        shell("socket u udp; bind u 127.0.0.1 0; socket v udp; bind v 127.0.0.1 0")
        XCTAssertEqual(shell.one("sendto u b'ping' 127.0.0.1 $v.port"), "4")
        let port = shell.one("getsockname u").split(separator: " ")[1].dropLast()
        XCTAssertEqual(shell.one("recvfrom v"), "(b'ping', ('127.0.0.1', \(port)))")
        XCTAssertEqual(shell.one("sendto v b'pong' ('127.0.0.1', $u.port)"), "4")
        XCTAssertEqual(shell.one("recv u"), "b'pong'")
        XCTAssertEqual(shell.one("listen u"), "OSError: [Errno 95] Operation not supported")
    }

    func testUnixSocketsServerAndClient() {
        let path = "/tmp/sockshell-test-\(getpid()).sock"
        unlink(path)
        defer { unlink(path) }
        let shell = Shell()
        XCTAssertEqual(shell("socket srv unix; bind srv \(path); listen srv; socket c unix; connect c \(path)"), [])
        XCTAssertEqual(shell.one("getsockname srv"), "'\(path)'")
        let accepted = shell.one("accept srv conn")
        XCTAssertTrue(accepted.hasPrefix("(<socket conn fd="), accepted)
        XCTAssertTrue(accepted.hasSuffix(", family=AF_UNIX, type=SOCK_STREAM, proto=0, laddr=\(path)>, '')"), accepted)
        shell("sendline c 'over unix'")
        XCTAssertEqual(shell.one("recvline conn"), #"b'over unix\n'"#)
        XCTAssertEqual(shell.one("socket x unix; bind x \(path)"), "OSError: [Errno 98] Address already in use")
        XCTAssertEqual(shell("socket abstract unix; bind abstract '\\0sockshell-test'"), [])
        XCTAssertEqual(shell.one("getsockname abstract"), #"b'\x00sockshell-test'"#)
    }

    func testIPv6Loopback() {
        let shell = Shell()
        shell("socket srv tcp6; bind srv ::1 0; listen srv; socket c tcp6; connect c ::1 $srv.port")
        XCTAssertTrue(shell.one("getsockname srv").hasPrefix("('::1', "))
        XCTAssertTrue(shell.one("getsockname srv").hasSuffix(", 0, 0)"))
        XCTAssertTrue(shell.one("accept srv conn").contains("family=AF_INET6"))
        XCTAssertEqual(shell("sendall c b'six'"), [])
        XCTAssertEqual(shell.one("recv conn"), "b'six'")
        XCTAssertEqual(shell.one("connect_ex c ::1 $srv.port"), "106")
    }

    func testTimeoutsAndBlocking() {
        let shell = Shell()
        shell("socketpair a b")
        XCTAssertEqual(shell("gettimeout a"), [], "None prints nothing, as at the Python prompt")
        XCTAssertEqual(shell.one("getblocking a"), "True")
        shell("settimeout a 0.05")
        XCTAssertEqual(shell.one("gettimeout a"), "0.05")
        XCTAssertEqual(shell.one("recv a"), "TimeoutError: timed out")
        shell("setblocking a False")
        XCTAssertEqual(shell.one("gettimeout a"), "0.0")
        XCTAssertEqual(shell.one("getblocking a"), "False")
        XCTAssertEqual(shell.one("recv a"), "BlockingIOError: [Errno 11] Resource temporarily unavailable")
        XCTAssertEqual(shell.one("settimeout a -1"), "ValueError: Timeout value out of range")
        shell("setdefaulttimeout 2.5; socket s")
        XCTAssertEqual(shell.one("gettimeout s"), "2.5")
        XCTAssertEqual(shell.one("getdefaulttimeout"), "2.5")
    }

    func testSelectReportsReadyNames() {
        let shell = Shell()
        shell("socketpair a b; socketpair c d")
        XCTAssertEqual(shell.one("select [a, c] [] 0"), "([], [])")
        shell("send b x")
        XCTAssertEqual(shell.one("select [a, c] [d] 1"), "([a], [d])")
        shell("recv a")
        shell("sendall b 'line\\nmore'")
        shell("recvline a")
        XCTAssertEqual(shell.one("select [a, c] [] 0"), "([a], [])", "buffered bytes count as readable")
        XCTAssertEqual(shell.one("select [a, nope]"), "NameError: name 'nope' is not defined")
    }

    func testConnectionRefusedAndAddressInUse() {
        let shell = Shell()
        shell("socket holder; bind holder 127.0.0.1 0; listen holder")
        shell("socket closed; bind closed 127.0.0.1 0")
        let closedPort = shell.one("getsockname closed").split(separator: " ")[1].dropLast()
        shell("close closed; socket c")
        XCTAssertEqual(shell.one("connect c 127.0.0.1 \(closedPort)"), "ConnectionRefusedError: [Errno 111] Connection refused")
        XCTAssertEqual(shell.one("socket e; connect_ex e 127.0.0.1 \(closedPort)"), "111")
        shell("socket d")
        XCTAssertEqual(shell.one("bind d 127.0.0.1 $holder.port"), "OSError: [Errno 98] Address already in use")
        XCTAssertEqual(shell.one("connect d 127.0.0.1 70000"), "OverflowError: connect(): port must be 0-65535.")
        XCTAssertEqual(shell.one("create_server srv2 127.0.0.1 $holder.port"),
                       "OSError: [Errno 98] Address already in use (while attempting to bind on address ('127.0.0.1', \(shell.one("getsockname holder").split(separator: " ")[1].dropLast())))")
    }

    func testFailingCommandsLeaveEverySocketAsItWas() {
        let shell = Shell()
        shell("socketpair a b; send a 'kept'")
        let before = shell("sockets")
        XCTAssertEqual(shell.one("connect a"), "TypeError: usage: connect NAME HOST PORT")
        XCTAssertEqual(shell.one("recv a 10 20 30"), "TypeError: usage: recv NAME [BUFSIZE] [FLAGS]")
        XCTAssertEqual(shell.one("recv a lots"), "TypeError: BUFSIZE must be an integer, not lots (usage: recv NAME [BUFSIZE] [FLAGS])")
        XCTAssertEqual(shell.one("recv ghost"), "NameError: name 'ghost' is not defined")
        XCTAssertEqual(shell.one("socket a"), "ValueError: name 'a' is already an open socket; close it first")
        XCTAssertEqual(shell.one("recv b 'unterminated"), "SyntaxError: unterminated string literal (column 8)")
        XCTAssertEqual(shell.one("recvv b"), "NameError: name 'recvv' is not defined. Did you mean: 'recv'?")
        XCTAssertEqual(shell("sockets"), before)
        XCTAssertEqual(shell.one("recv b"), "b'kept'")
    }

    func testCommandsOnALineRunOnUnlessStopOnError() {
        let shell = Shell()
        XCTAssertEqual(shell("echo one; recv nobody; echo two"), ["one", "NameError: name 'nobody' is not defined", "two"])
        shell.runner.stopOnError = true
        XCTAssertEqual(shell("echo one; recv nobody; echo two"), ["one", "NameError: name 'nobody' is not defined"])
    }

    /// The options column: what setsockopt and create_server set, and what
    /// an accepted socket got from its listener as the kernel reports it.
    func testSocketsTableShowsOptionsSetAndInherited() {
        let shell = Shell()
        shell("create_server srv 127.0.0.1 0; setsockopt srv tcp TCP_NODELAY 1; setsockopt srv SOL_SOCKET SO_RCVBUF 65536")
        shell("socket c; connect c 127.0.0.1 $srv.port; accept srv conn")
        let table = shell("sockets")
        func options(_ name: String) -> String? {
            table.first { $0.hasPrefix(name + " ") }?.split(separator: " ").last.map(String.init)
        }
        XCTAssertEqual(options("srv"), "SO_REUSEADDR=1,TCP_NODELAY=1,SO_RCVBUF=65536", "\(table)")
        XCTAssertEqual(options("c"), "-", "\(table)")
        let inherited = ["SO_REUSEADDR": "getsockopt conn SOL_SOCKET SO_REUSEADDR",
                         "TCP_NODELAY": "getsockopt conn tcp TCP_NODELAY",
                         "SO_RCVBUF": "getsockopt conn SOL_SOCKET SO_RCVBUF"]
            .map { "\($0.key)=\(shell.one($0.value))" }
        XCTAssertEqual(options("conn").map { Set($0.split(separator: ",").map(String.init)) }, Set(inherited), "\(table)")
    }
}
