import XCTest
import Glibc
@testable import ShellCore

/// TLS with both ends in one session: the client's handshake runs as a job
/// while the server's runs in the foreground. (Tests/TLS checks each end
/// against openssl, Python's ssl and curl, and each error against python3.)
final class TLSTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        var template = Array("/tmp/sockshell-tls-unit-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    override func tearDown() {
        for name in ["cert.pem", "key.pem", "data.bin"] { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// A client `c` and a server end `conn` over TLS 1.3, certificate checked.
    private func connected() -> Shell {
        let shell = Shell()
        XCTAssertEqual(shell("certificate make \(directory)/cert.pem \(directory)/key.pem localhost"), [])
        XCTAssertEqual(shell("create_server srv 127.0.0.1 0; create_connection c localhost $srv.port; accept srv conn").count, 1)
        XCTAssertEqual(shell("tls c cafile=\(directory)/cert.pem &"), ["[1] tls c cafile=\(directory)/cert.pem"])
        XCTAssertEqual(shell("tls_server conn \(directory)/cert.pem \(directory)/key.pem"), ["[1] done: tls c cafile=\(directory)/cert.pem"])
        return shell
    }

    func testBytesGoBothWaysAndEveryReadCommandWorksOnTheStream() {
        let shell = connected()
        XCTAssertEqual(shell("sendall c b'one\\ntwo END three'"), [])
        XCTAssertEqual(shell.one("recvline conn"), #"b'one\n'"#)
        XCTAssertEqual(shell.one("recvuntil conn END"), "b'two END'")
        XCTAssertEqual(shell.one("select [conn] [] 1"), "([conn], [])")
        XCTAssertEqual(shell.one("recv conn 3"), "b' th'")
        XCTAssertEqual(shell.one("send conn b'back'"), "4")
        XCTAssertEqual(shell.one("recv c"), "b'back'")
        XCTAssertEqual(shell("tlsinfo conn").first, "version: 'TLSv1.3'")
        // Bytes OpenSSL decrypted and holds make the socket readable, as buffered ones do.
        XCTAssertEqual(shell("recv conn; sendall c b'abcdef'"), ["b'ree'"])
        XCTAssertEqual(shell.one("recv conn 3"), "b'abc'")
        XCTAssertEqual(shell.one("select [conn] [] 0"), "([conn], [])")
        XCTAssertEqual(shell.one("recv conn"), "b'def'")
        XCTAssertTrue(shell("sockets").contains { $0.hasPrefix("c ") && $0.contains("tls=TLSv1.3/TLS_AES_256_GCM_SHA384") })
    }

    func testWatchCountsTheEncryptedRecordsAndShowsNoCiphertext() {
        let shell = connected()
        XCTAssertEqual(shell("watch conn"), [])
        let lines = shell("sendall c b'secret'")
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.hasPrefix("[watch conn] ") == true && lines.first?.hasSuffix(" bytes of TLS records waiting (encrypted: recv decrypts them)") == true,
                      "\(lines)")
        XCTAssertEqual(shell.one("recv conn"), "b'secret'")
    }

    func testSendfileGoesThroughSendAsPythonsSSLSocketDoes() {
        let shell = connected()
        let path = directory + "/data.bin"
        let bytes = [UInt8](repeating: 0x61, count: 300_000)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        XCTAssertEqual(shell.one("sendfile c \(path)"), "300000")
        XCTAssertEqual(shell("unwrap c &"), ["[1] unwrap c"])
        XCTAssertEqual(shell("recvall conn > \(path).copy"), [])
        XCTAssertEqual(shell("unwrap conn"), ["[1] done: unwrap c"])
        var status = stat()
        XCTAssertEqual(stat(path + ".copy", &status), 0)
        XCTAssertEqual(status.st_size, 300_000)
        unlink(path + ".copy")
        // Plain again: the same sockets carry clear bytes.
        XCTAssertEqual(shell("sendall c b'plain'"), [])
        XCTAssertEqual(shell.one("recv conn"), "b'plain'")
    }

    func testTimeoutsAndNonBlockingReadsSayWhatPythonsSSLSocketSays() {
        let shell = connected()
        XCTAssertEqual(shell.one("settimeout c 0.1; recv c"), "TimeoutError: The read operation timed out")
        XCTAssertEqual(shell.one("setblocking c False; recv c"), "ssl.SSLWantReadError: The operation did not complete (read) (_ssl.c:2580)")
        XCTAssertEqual(shell.one("settimeout c 0.1; unwrap c"), "TimeoutError: The read operation timed out")
    }

    func testWhatWrapSocketRefusesBeforeTheHandshake() {
        let shell = Shell()
        XCTAssertEqual(shell("create_server srv 127.0.0.1 0; create_connection c localhost $srv.port; accept srv conn").count, 1)
        // Clear bytes read ahead would be taken for TLS's own.
        XCTAssertEqual(shell("sendall conn b'220 ready\\r\\nmore'; recvline c"), [#"b'220 ready\r\n'"#])
        XCTAssertEqual(shell.one("tls c verify=False"),
                       "ValueError: 4 bytes read before the handshake are still buffered on c: recv them first (TLS would take them for its own)")
        XCTAssertEqual(shell.one("recv c"), "b'more'")
        XCTAssertEqual(shell.one("tls c server_hostname=''"), "ValueError: check_hostname requires server_hostname")
        XCTAssertEqual(shell.one("tls c server_hostname=.example.com"),
                       "UnicodeError: encoding with 'idna' codec failed (UnicodeError: label empty or too long)")
        XCTAssertEqual(shell.one("tls c verify=False alpn=''"), "ssl.SSLError: ('ALPN protocols must be 1 to 255 in length',)")
        XCTAssertEqual(shell.one("tls c verify=False cafile=/nonexistent/ca.pem"), "FileNotFoundError: [Errno 2] No such file or directory")
        // As Python, a non-blocking socket is refused, and closed.
        XCTAssertEqual(shell.one("setblocking c False; tls c verify=False"),
                       "ValueError: do_handshake_on_connect should not be specified for non-blocking sockets")
        XCTAssertEqual(shell.one("getpeername c"), "NameError: name 'c' is not defined")
        XCTAssertEqual(shell.one("certificate make x.pem x.key localhost days=-9223372036854775808"),
                       "ValueError: days must be a whole number of days, at most 36500 either way, not -9223372036854775808")
    }

    func testWrappedBeforeConnectingTheHandshakeComesWithConnectAndAccept() {
        let shell = Shell()
        let cert = "\(directory)/cert.pem", key = "\(directory)/key.pem"
        XCTAssertEqual(shell("certificate make \(cert) \(key) localhost; create_server srv 127.0.0.1 0; tls_server srv \(cert) \(key)"), [])
        XCTAssertEqual(shell("socket c; tls c server_hostname=localhost cafile=\(cert)"), [])
        XCTAssertTrue(shell("sockets").contains { $0.hasPrefix("c ") && $0.hasSuffix("tls=on connect") })
        XCTAssertEqual(shell("connect c 127.0.0.1 $srv.port &"), ["[1] connect c 127.0.0.1 $srv.port"])
        let accepted = shell("accept srv conn")
        XCTAssertEqual(accepted.count, 2, "\(accepted)")
        XCTAssertEqual(accepted.last, "[1] done: connect c 127.0.0.1 $srv.port")
        XCTAssertEqual(shell("tlsinfo conn").first, "version: 'TLSv1.3'")
        XCTAssertEqual(shell("sendall c b'hi'; recv conn"), ["b'hi'"])
        // A failed handshake after connect leaves the client connected and plain, as Python's.
        XCTAssertEqual(shell("socket e; tls e server_hostname=wrong.example cafile=\(cert)"), [])
        XCTAssertEqual(shell("connect e 127.0.0.1 $srv.port &"), ["[1] connect e 127.0.0.1 $srv.port"])
        XCTAssertEqual(shell("accept srv conn2"), [
            "ssl.SSLError: [SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate (_ssl.c:1006)",
            "[1] ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                + "Hostname mismatch, certificate is not valid for 'wrong.example'. (_ssl.c:1006)"])
        XCTAssertEqual(shell.one("getpeername conn2"), "NameError: name 'conn2' is not defined")
        XCTAssertTrue(shell.one("getpeername e").hasPrefix("('127.0.0.1', "))
        // Unconnected and no name to check the certificate against: Python's ValueError.
        XCTAssertEqual(shell.one("socket f; tls f"), "ValueError: check_hostname requires server_hostname")
    }

    func testAKeywordValueMayHoldCommasOutsideBrackets() {
        let shell = Shell()
        XCTAssertEqual(shell.one("echo alpn=h2,http/1.1"), "alpn=h2,http/1.1")
        XCTAssertEqual(shell.one("echo a,b"), "SyntaxError: invalid syntax: unexpected ',' (column 7)")
        XCTAssertEqual(shell.one("tls nosuch verify=False"), "NameError: name 'nosuch' is not defined")
        XCTAssertEqual(shell("socket s; tls s colour=blue").last,
                       "TypeError: tls() got an unexpected keyword argument 'colour' (options: server_hostname, verify, cafile, alpn, version)")
        XCTAssertEqual(shell.one("tls s verify=maybe"), "ValueError: verify must be True or False, not maybe")
        XCTAssertEqual(shell.one("tls s"), "ValueError: check_hostname requires server_hostname")
        // A client wrap on a listener has no handshake to make.
        XCTAssertEqual(shell("create_server l 127.0.0.1 0; tls l server_hostname=localhost").last,
                       "OSError: [Errno 107] Transport endpoint is not connected")
        XCTAssertEqual(shell("socket u udp; tls u verify=False").last, "NotImplementedError: only stream sockets are supported")
    }
}
