import XCTest
@testable import ShellCore

final class CompletionTests: XCTestCase {
    private func words(_ line: String, _ shell: Shell = Shell()) -> [String] {
        guard case .words(let words) = Completion.candidates(linePrefix: line, session: shell.session) else {
            XCTFail("expected words for \(line)")
            return []
        }
        return words
    }

    func testCommandNames() {
        XCTAssertEqual(words("geth"), ["gethostbyaddr", "gethostbyname", "gethostbyname_ex", "gethostname"])
        XCTAssertEqual(words("echo hi; recvl"), ["recvline"])
        XCTAssertTrue(words("").contains("ls"))
    }

    func testSocketNamesWhereASocketGoes() {
        let shell = Shell()
        shell("socket server; socket client; socketpair a b")
        XCTAssertEqual(words("connect ", shell), ["a", "b", "client", "server"])
        XCTAssertEqual(words("recv se", shell), ["server"])
        XCTAssertEqual(words("select [a, ", shell), ["a", "b", "client", "server"])
        XCTAssertEqual(words("socket ", shell), [], "a new name is not completed")
    }

    func testConstantsByLevel() {
        XCTAssertEqual(words("setsockopt s SOL_SOCKET SO_RE"), ["SO_REUSEADDR", "SO_REUSEPORT"])
        XCTAssertTrue(words("setsockopt s IPPROTO_TCP ").allSatisfy { $0.hasPrefix("TCP_") })
        XCTAssertTrue(words("getsockopt s tcp TCP_NO").contains("TCP_NODELAY"))
        XCTAssertTrue(words("socket s ").contains("AF_INET6"))
        XCTAssertTrue(words("socket s ").contains("udp6"))
        XCTAssertEqual(words("shutdown s r"), ["rd", "rdwr"])
        XCTAssertEqual(words("recv s 10 MSG_PE"), ["MSG_PEEK"])
        XCTAssertEqual(words("set display "), ["hex", "repr", "text"])
        XCTAssertEqual(words("set "), ["display", "explain", "hints", "keylog", "log", "maxline", "newline", "packets", "pager", "python", "trace"])
        XCTAssertEqual(Completion.candidates(linePrefix: "set keylog ", session: Shell().session), .paths)
        XCTAssertEqual(words("set trace "), ["off", "on"])
        // tls's keywords, each once; tls_server takes only its own.
        XCTAssertEqual(words("tls c "), ["alpn=", "cafile=", "server_hostname=", "verify=False", "verify=True", "version=TLSv1_2", "version=TLSv1_3"])
        XCTAssertEqual(words("tls c verify=False v"), ["version=TLSv1_2", "version=TLSv1_3"])
        XCTAssertEqual(words("tls_server conn cert.pem key.pem "), ["alpn=", "cafile=", "version=TLSv1_2", "version=TLSv1_3"])
        XCTAssertEqual(Completion.candidates(linePrefix: "tls_server conn ", session: Shell().session), .paths)
        XCTAssertEqual(words("serve web 127.0.0.1 0 "), ServeKind.allCases.map(\.rawValue).sorted())
        XCTAssertEqual(words("serve web 127.0.0.1 0 echo "), ["forking", "iterative", "select", "threading"])
        XCTAssertEqual(words("serve web 127.0.0.1 0 http . th"), ["threading"])
    }

    func testServicesHostsAndPaths() {
        XCTAssertTrue(words("getservbyname ht").contains("http"))
        XCTAssertTrue(words("gethostbyname local").contains("localhost"))
        XCTAssertEqual(Completion.candidates(linePrefix: "source /tm", session: Session()), .paths)
        XCTAssertEqual(Completion.candidates(linePrefix: "sendall c @/et", session: Session()), .paths)
        XCTAssertEqual(Completion.candidates(linePrefix: "recvall c > /tm", session: Session()), .paths)
    }
}
