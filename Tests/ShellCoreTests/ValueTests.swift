import XCTest
import SocketCore
@testable import ShellCore

final class ValueTests: XCTestCase {
    func testBytesReprFollowsPython() {
        XCTAssertEqual(Value.bytes(Array("hello\r\n".utf8) + [0, 0xFF]).repr, #"b'hello\r\n\x00\xff'"#)
        XCTAssertEqual(Value.bytes(Array("it's".utf8)).repr, #"b"it's""#)
        XCTAssertEqual(Value.bytes(Array("it's \"x\"".utf8)).repr, #"b'it\'s "x"'"#)
        XCTAssertEqual(Value.bytes([0x1B, 0x5B, 0x32, 0x4A, 0x07, 0x7F, 0x5C]).repr, #"b'\x1b[2J\x07\x7f\\'"#)
        XCTAssertEqual(Value.bytes([]).repr, "b''")
    }

    func testStringAndScalarReprs() {
        XCTAssertEqual(Value.str("127.0.0.1").repr, "'127.0.0.1'")
        XCTAssertEqual(Value.str("it's").repr, "\"it's\"")
        XCTAssertEqual(Value.str("café\u{1B}\u{202E}").repr, #"'café\x1b\u202e'"#)
        XCTAssertEqual(Value.float(2.5).repr, "2.5")
        XCTAssertEqual(Value.float(1).repr, "1.0")
        XCTAssertEqual(Value.float(1e-5).repr, "1e-05")
        XCTAssertEqual(Value.none.repr, "None")
        XCTAssertEqual(Value.bool(false).repr, "False")
    }

    func testContainersAndEnums() {
        XCTAssertEqual(Value.tuple([.str("127.0.0.1"), .int(9999)]).repr, "('127.0.0.1', 9999)")
        XCTAssertEqual(Value.tuple([.int(1)]).repr, "(1,)")
        XCTAssertEqual(Value.tuple([]).repr, "()")
        XCTAssertEqual(Value.tuple([.str("localhost"), .list([]), .list([.str("127.0.0.1")])]).repr,
                       "('localhost', [], ['127.0.0.1'])")
        XCTAssertEqual(familyValue(2).repr, "<AddressFamily.AF_INET: 2>")
        XCTAssertEqual(kindValue(1).repr, "<SocketKind.SOCK_STREAM: 1>")
        XCTAssertEqual(familyValue(12345).repr, "12345")
    }

    func testErrorsRenderAsTheLastTracebackLine() {
        XCTAssertEqual(ShellError(Errno(rawValue: 111)).line, "ConnectionRefusedError: [Errno 111] Connection refused")
        XCTAssertEqual(ShellError(Errno(rawValue: 98)).line, "OSError: [Errno 98] Address already in use")
        XCTAssertEqual(ShellError(Errno(rawValue: 32)).line, "BrokenPipeError: [Errno 32] Broken pipe")
        XCTAssertEqual(ShellError(Errno(rawValue: 104)).line, "ConnectionResetError: [Errno 104] Connection reset by peer")
        XCTAssertEqual(ShellError(Errno(rawValue: 11)).line, "BlockingIOError: [Errno 11] Resource temporarily unavailable")
        XCTAssertEqual(ShellError(Errno(rawValue: 13)).line, "PermissionError: [Errno 13] Permission denied")
        XCTAssertEqual(ShellError(Errno(rawValue: 110)).line, "TimeoutError: [Errno 110] Connection timed out")
        XCTAssertEqual(ShellError(TimeoutExpired()).line, "TimeoutError: timed out")
        XCTAssertEqual(ShellError(Interrupted()).line, "KeyboardInterrupt")
        XCTAssertEqual(ShellError(ResolverError(code: -2)).line, "socket.gaierror: [Errno -2] Name or service not known")
        XCTAssertEqual(ShellError(HostError(code: 1)).line, "socket.herror: [Errno 1] Unknown host")
    }

    func testDisplayModesNeverShowControlBytes() {
        let hostile: [UInt8] = Array("ok\u{1B}[2J\u{1B}]52;c;aGk=\u{07}\r\n".utf8) + [0xC2, 0x9B, 0xFF]
        let text = displayText(.bytes(hostile), mode: .text)
        XCTAssertEqual(text, #"ok\x1b[2J\x1b]52;c;aGk=\x07\r"# + "\n" + #"\x9b\xff"#)
        XCTAssertFalse(displayText(.bytes(hostile), mode: .hex).unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        XCTAssertEqual(hexDump(Array("hello, world\n\u{0}ABCDE".utf8)), """
        00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a 00 41 42  |hello, world..AB|
        00000010  43 44 45                                          |CDE|
        00000013
        """)
    }
}
