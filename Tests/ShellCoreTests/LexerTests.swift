import XCTest
@testable import ShellCore

final class LexerTests: XCTestCase {
    private func kinds(_ line: String) throws -> [Argument.Kind] {
        let commands = try Lexer.parse(line)
        XCTAssertEqual(commands.count, 1)
        return commands[0].arguments.map(\.kind)
    }

    private func syntaxError(_ line: String) -> String? {
        do {
            _ = try Lexer.parse(line)
            return nil
        } catch {
            return ShellError(error).line
        }
    }

    func testWordsNumbersAndKeywords() throws {
        XCTAssertEqual(try kinds("cmd localhost 80 -1 0x1F 0o17 0b101 1_000 2.5 .5 1e3 None True False 127.0.0.1 ::1"), [
            .word("localhost"), .integer(80), .integer(-1), .integer(31), .integer(15), .integer(5), .integer(1000),
            .float(2.5), .float(0.5), .float(1000), .none, .bool(true), .bool(false), .word("127.0.0.1"), .word("::1"),
        ])
    }

    func testStringsAndBytesWithPythonEscapes() throws {
        XCTAssertEqual(try kinds(#"cmd 'a\nb\t\\' "it's" b'\x00\xff\r\n' b"\0" 'caf\u00e9' '\q'"#), [
            .string("a\nb\t\\"), .string("it's"), .bytes([0, 255, 13, 10]), .bytes([0]), .string("café"), .string("\\q"),
        ])
    }

    func testTuplesListsFilesAndReferences() throws {
        XCTAssertEqual(try kinds("cmd ('127.0.0.1', 80) [a, b] () @/tmp/x $srv.port $c.host $c.fd"), [
            .tuple([Argument(kind: .string("127.0.0.1"), column: 6, text: "'127.0.0.1'"),
                    Argument(kind: .integer(80), column: 19, text: "80")]),
            .list([Argument(kind: .word("a"), column: 24, text: "a"), Argument(kind: .word("b"), column: 27, text: "b")]),
            .tuple([]), .file("/tmp/x"), .reference(name: "srv", field: "port"),
            .reference(name: "c", field: "host"), .reference(name: "c", field: "fd"),
        ])
    }

    func testSeparatorsCommentsAndRedirection() throws {
        let commands = try Lexer.parse("socket s; bind s '' 0 # a comment; not a command")
        XCTAssertEqual(commands.map(\.name), ["socket", "bind"])
        XCTAssertEqual(commands[1].source, "bind s '' 0")
        XCTAssertEqual(try Lexer.parse("   ").count, 0)
        XCTAssertEqual(try Lexer.parse("# only a comment").count, 0)
        XCTAssertEqual(try Lexer.parse("recv c 'a;b#c'")[0].arguments[1].kind, .string("a;b#c"))

        let redirected = try Lexer.parse("recvall c > /tmp/page.html; recv d >> 'out file'")
        XCTAssertEqual(redirected[0].redirect, Redirect(path: "/tmp/page.html", append: false))
        XCTAssertEqual(redirected[0].arguments.count, 1)
        XCTAssertEqual(redirected[1].redirect, Redirect(path: "out file", append: true))
    }

    func testSyntaxErrorsNameTheColumn() {
        XCTAssertEqual(syntaxError("send c 'abc"), "SyntaxError: unterminated string literal (column 8)")
        XCTAssertEqual(syntaxError("send c b'abc"), "SyntaxError: unterminated bytes literal (column 8)")
        XCTAssertEqual(syntaxError("connect c (host, 80"), "SyntaxError: '(' was never closed (column 11)")
        XCTAssertEqual(syntaxError("connect c host, 80)"), "SyntaxError: invalid syntax: unexpected ',' (column 15)")
        XCTAssertEqual(syntaxError("connect c 80)"), "SyntaxError: unmatched ')' (column 13)")
        XCTAssertEqual(syntaxError("send c b'caf\u{e9}'"), "SyntaxError: bytes can only contain ASCII literal characters (column 8)")
        XCTAssertEqual(syntaxError(#"send c '\x4'"#), #"SyntaxError: truncated \xXX escape (column 9)"#)
        XCTAssertEqual(syntaxError("connect c 127.0.0.1 $srv.size"),
                       "SyntaxError: expected $NAME.port, $NAME.host, $NAME.fd, $NAME.peer (.host, .port) or a script argument $N, not $srv.size (column 21)")
        XCTAssertEqual(syntaxError("'quoted' x"), "SyntaxError: expected a command name, not 'quoted' (column 1)")
        XCTAssertEqual(syntaxError("recv c >"), "SyntaxError: expected a file name after '>' (column 8)")
        XCTAssertEqual(syntaxError("recv c > out extra"), "SyntaxError: nothing may follow the redirection's file (column 14)")
        // Found by the fuzzer: a stop character inside brackets once looped for ever.
        XCTAssertEqual(syntaxError("echo (>"), "SyntaxError: invalid syntax: unexpected '>' (column 7)")
        XCTAssertEqual(syntaxError("con c(>"), "SyntaxError: invalid syntax: unexpected '>' (column 7)")
        XCTAssertEqual(syntaxError("echo [1, (2, [3 >> f"), "SyntaxError: invalid syntax: unexpected '>' (column 17)")
    }
}
