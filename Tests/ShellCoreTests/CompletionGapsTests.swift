import XCTest
@testable import ShellCore

/// Issue 11's completion gaps: `socket.` constants, `>FILE`, protocol and
/// flag positions, and `$NAME.field`.
final class CompletionGapsTests: XCTestCase {
    private func completion(_ line: String, _ shell: Shell = Shell()) -> Completion.Candidates {
        Completion.candidates(linePrefix: line, session: shell.session)
    }

    private func words(_ line: String, _ shell: Shell = Shell()) -> [String] {
        guard case .words(let words) = completion(line, shell) else {
            XCTFail("expected words for \(line)")
            return []
        }
        return words
    }

    func testConstantsWithThePythonPrefix() {
        XCTAssertEqual(words("socket x socket.AF_INE"), ["socket.AF_INET", "socket.AF_INET6"])
        XCTAssertEqual(words("socket x AF_INET socket.SOCK_DG"), ["socket.SOCK_DGRAM"])
        XCTAssertEqual(words("setsockopt s socket.SOL_SOCKET socket.SO_REUSEA"), ["socket.SO_REUSEADDR"])
        XCTAssertEqual(words("recv s 10 socket.MSG_PE"), ["socket.MSG_PEEK"])
    }

    func testARedirectWithoutASpaceIsAPath() {
        XCTAssertEqual(completion("recv c >/tmp/fi"), .paths)
        XCTAssertEqual(completion("recvall c >>/tmp/fi"), .paths)
    }

    func testProtocolFamilyTypeAndFlagPositions() {
        XCTAssertTrue(Set(words("getservbyname https ")).isSuperset(of: ["tcp", "udp"]))
        XCTAssertTrue(Set(words("getservbyport 443 ")).isSuperset(of: ["tcp", "udp"]))
        XCTAssertTrue(words("getprotobyname ud").contains("udp"))
        XCTAssertEqual(words("socket s inet dgram IPPROTO_UD"), ["IPPROTO_UDP", "IPPROTO_UDPLITE"])
        XCTAssertEqual(words("getaddrinfo localhost 80 inet stream IPPROTO_TC"), ["IPPROTO_TCP"])
        XCTAssertTrue(words("getaddrinfo localhost 80 inet stream tcp AI_").contains("AI_CANONNAME"))
        XCTAssertTrue(words("getnameinfo 127.0.0.1 80 NI_").contains("NI_NUMERICHOST"))
        XCTAssertEqual(words("inet_pton AF_INET"), ["AF_INET", "AF_INET6"])
    }

    func testSocketFieldsAfterADollar() {
        let shell = Shell()
        shell("socket srv; socket c")
        XCTAssertEqual(words("connect c 127.0.0.1 $", shell),
                       ["$c.fd", "$c.host", "$c.port", "$srv.fd", "$srv.host", "$srv.port"])
        XCTAssertEqual(words("connect c 127.0.0.1 $srv.p", shell), ["$srv.port"])
        XCTAssertEqual(words("echo $s", shell), ["$srv.fd", "$srv.host", "$srv.port"])
        // After `NAME =` the command completes as it would alone.
        XCTAssertEqual(words("port = getservbyname http t", shell), words("getservbyname http t", shell))
        XCTAssertTrue(words("port = getservbyname http t", shell).contains("tcp"))
        XCTAssertEqual(words("where = getsockn", shell), ["getsockname"])
        // A connected socket also offers its peer's address.
        shell("socketpair a b")
        XCTAssertEqual(words("echo $a.p", shell), ["$a.peer", "$a.peer.host", "$a.peer.port", "$a.port"])
    }
}
