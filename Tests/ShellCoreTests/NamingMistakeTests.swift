import XCTest
@testable import ShellCore

/// Lines that carry Python's `s = socket.socket(...)` over to the command
/// language, or put a type where the family goes, would make a socket other
/// than the one asked for, with nothing printed. Each is an error that shows
/// the line meant, nothing is made, and that line then works.
final class NamingMistakeTests: XCTestCase {
    private let mistakes: [(line: String, error: String, meant: String)] = [
        ("s = socket AF_INET SOCK_STREAM",
         "TypeError: socket names its new socket itself and returns None: socket s AF_INET SOCK_STREAM",
         "socket s AF_INET SOCK_STREAM"),
        ("s = socket", "TypeError: socket names its new socket itself and returns None: socket s", "socket s"),
        ("srv = create_server 127.0.0.1 0",
         "TypeError: create_server names its new socket itself and returns None: create_server srv 127.0.0.1 0",
         "create_server srv 127.0.0.1 0"),
        ("x = socketpair a b", "TypeError: socketpair names its new sockets itself and returns None: socketpair a b",
         "socketpair a b"),
        ("socket AF_INET SOCK_STREAM",
         "TypeError: AF_INET is a constant, not a name for the new socket: socket NAME [FAMILY] [TYPE] [PROTO], "
            + "as socket s AF_INET SOCK_STREAM",
         "socket s AF_INET SOCK_STREAM"),
        ("socket udp", "TypeError: udp names a kind of socket, not the new socket: socket NAME [FAMILY] [TYPE] [PROTO], as socket s udp",
         "socket s udp"),
        ("socket s SOCK_DGRAM",
         "TypeError: SOCK_DGRAM is a type, not a family: socket NAME [FAMILY] [TYPE] [PROTO], as socket s AF_INET SOCK_DGRAM",
         "socket s AF_INET SOCK_DGRAM"),
        ("socketpair a b socket.SOCK_DGRAM",
         "TypeError: socket.SOCK_DGRAM is a type, not a family: socketpair A B [FAMILY] [TYPE], as socketpair a b AF_UNIX socket.SOCK_DGRAM",
         "socketpair a b AF_UNIX socket.SOCK_DGRAM"),
    ]

    func testEachMistakeMakesNothingAndShowsALineThatWorks() {
        for mistake in mistakes {
            let shell = Shell()
            XCTAssertEqual(shell.one(mistake.line), mistake.error)
            XCTAssertEqual(shell.one("sockets"), "(no open sockets)", mistake.line)
            XCTAssertEqual(shell(mistake.meant), [], mistake.line)
            XCTAssertNotEqual(shell.one("sockets"), "(no open sockets)", mistake.meant)
        }
    }

    func testTheMeantSocketsAreTheKindsTheMessagesName() {
        let shell = Shell()
        shell("socket s AF_INET SOCK_DGRAM")
        XCTAssertEqual(shell.one("getsockopt s SOL_SOCKET SO_TYPE"), "2")
        shell("socket u udp")
        XCTAssertEqual(shell.one("getsockopt u SOL_SOCKET SO_TYPE"), "2")
    }

    func testNamesThatOnlyLookLikeKindsStayNames() {
        // A name with a family after it, and a name kept from a call that
        // returns one, are what they say.
        let shell = Shell()
        XCTAssertEqual(shell("socket unix AF_UNIX"), [])
        XCTAssertEqual(shell("socket tcp tcp"), [])
        XCTAssertEqual(shell("port = getservbyname http tcp"), [])
        XCTAssertEqual(shell.one("echo $port"), "80")
    }

    func testPythonSyntaxTakesTheIntegersAsPythonDoes() {
        // socket.socket(socket.SOCK_DGRAM) is family 2, AF_INET, and a TCP
        // socket in Python; the Python front end keeps that.
        let shell = Shell()
        shell("import socket")
        XCTAssertEqual(shell("s = socket.socket(socket.SOCK_DGRAM)"), [])
        XCTAssertEqual(shell.one("s.type"), "<SocketKind.SOCK_STREAM: 1>")
    }

    func testFewerArgumentsThanTheNewNameStandsAtAreTheUsage() {
        // accept's NEWNAME is its second parameter: with no argument at all
        // the check has nothing to look at (it once made an empty range).
        let shell = Shell()
        XCTAssertEqual(shell.one("accept"), "TypeError: usage: accept NAME [NEWNAME]")
        XCTAssertEqual(shell.one("socketpair"), "TypeError: usage: socketpair A B [FAMILY] [TYPE]")
        XCTAssertEqual(shell.one("x = accept"), "TypeError: usage: accept NAME [NEWNAME]")
    }

    func testWhyExplainsTheNamingRule() {
        let shell = Shell()
        shell("socket AF_INET SOCK_STREAM")
        let lines = shell("why")
        XCTAssertTrue(lines.contains { $0.contains("A command names its new socket with its first word") }, "\(lines)")
    }
}
