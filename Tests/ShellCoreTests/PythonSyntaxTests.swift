import XCTest
@testable import ShellCore

/// Which lines are Python (SPEC section 8), and what a Python line runs.
final class PythonSyntaxTests: XCTestCase {
    private func isPython(_ line: String, _ session: Session = Session()) -> Bool {
        PythonSyntax.isPython(line, session: session)
    }

    func testCommandLinesStayCommands() {
        for line in ["socket s", "connect s localhost 80", "recv s 1024", "echo hello", "echo (1, 2)",
                     "x = gethostbyname localhost", "port = getservbyname http", "sockets", "help connect",
                     "socket s; bind s 127.0.0.1 0", "gethostbyname localhost", "x = sockets", "set display hex",
                     "!ls", "", "   ", "# a comment", "recv s > out.bin", "nosuch command", "x = $y"] {
            XCTAssertFalse(isPython(line), line)
        }
    }

    func testPythonForms() {
        for line in ["import socket", "import socket, sys", "from socket import *", "s = socket.socket()",
                     "conn, addr = srv.accept()", "s.connect(('localhost', 80))", "print(x)", "print x",
                     "socket.gethostbyname('localhost')", "x = 5", "x = 'text'", "x = b'bytes'",
                     "gethostbyname('localhost')", ">>> s.recv(10)", "... s.close()", "while True:", "for x in y:",
                     "if data:", "else:", "port = srv.getsockname()[1]"] {
            XCTAssertTrue(isPython(line), line)
        }
    }

    func testANameThatIsAlsoACommandIsPythonWhenAssigned() {
        // The textbooks' `host = 'localhost'`, though `host add B` is a command.
        for line in ["host = 'localhost'", "host, port = srv.getsockname()", "link = 5", "host=''"] {
            XCTAssertTrue(isPython(line), line)
        }
        for line in ["host add B", "link B mtu 1280", "on B socket s", "host == 1"] {
            XCTAssertFalse(isPython(line), line)
        }
    }

    func testANameAloneIsPythonOnlyWhenKept() {
        let session = Session()
        XCTAssertFalse(isPython("addr", session))
        session.variables["addr"] = .tuple([.str("127.0.0.1"), .int(80)])
        XCTAssertTrue(isPython("addr", session))
        XCTAssertFalse(isPython("sockets", session), "a command stays a command")
        XCTAssertFalse(isPython("s", session))
        let shell = Shell()
        shell("socket s")
        XCTAssertTrue(shell.one("s").hasPrefix("<socket s fd="), "a socket alone shows its repr")
    }

    /// Lines that are not all ASCII take the tokenizer's and the prompt
    /// stripper's slower path; what python3 prints for each, with the
    /// column sockshell adds to a SyntaxError.
    func testLinesNotAllASCII() {
        let shell = Shell()
        XCTAssertEqual(shell("import socket"), [])
        XCTAssertEqual(shell.one(">>> 'café'.upper()"), "'CAFÉ'")
        XCTAssertEqual(shell.one("\t... len('日本')"), "2")
        XCTAssertEqual(shell.one("socket.htons(1)  # é ü 日本"), "256")
        XCTAssertEqual(shell.one("'é"), "SyntaxError: unterminated string literal (column 1)")
        XCTAssertEqual(shell.one("x = 1 + 'é"), "SyntaxError: unterminated string literal (column 9)")
        XCTAssertEqual(shell.one("b'é'"), "SyntaxError: bytes can only contain ASCII literal characters (column 1)")
    }

    func testExitLeavesAsTheQuitCommand() {
        let shell = Shell()
        XCTAssertThrowsError(try shell.runner.run(line: "exit(3)")) { error in
            XCTAssertEqual((error as? ExitRequest)?.code, 3)
        }
    }

    func testAPythonSessionOverASocketpair() {
        let shell = Shell()
        XCTAssertEqual(shell("import socket"), [])
        XCTAssertEqual(shell("a, b = socket.socketpair()"), [])
        XCTAssertEqual(shell("a.sendall(b'hi')"), [])
        XCTAssertEqual(shell(">>> data = b.recv(10)"), [])
        XCTAssertEqual(shell.one("data"), "b'hi'")
        XCTAssertEqual(shell.one("echo $data"), "b'hi'", "a Python variable is $NAME in a command")
        XCTAssertEqual(shell.one("print(data, 1)"), "b'hi' 1")
        XCTAssertEqual(shell.one("print 'text'"), "text")
        XCTAssertEqual(shell.one("a.send('text')"), "TypeError: a bytes-like object is required, not 'str'")
        XCTAssertEqual(shell("sendall a 'text'"), [], "the command still takes text")
        XCTAssertEqual(shell.one("b.recv(10)"), "b'text'")
        XCTAssertEqual(shell.one("a.conect(1)"), "AttributeError: 'socket' object has no attribute 'conect'. Did you mean: 'connect'?")
    }

    func testErrorsAndRefusals() {
        let shell = Shell()
        XCTAssertEqual(shell.one("socket.gethostbyname('x')"), "NameError: name 'socket' is not defined")
        XCTAssertEqual(shell.one("import os"), "ModuleNotFoundError: No module named 'os' (sockshell knows socket, select and time)")
        shell("import socket")
        XCTAssertEqual(shell.one("socket.nosuch(1)"), "AttributeError: module 'socket' has no attribute 'nosuch'")
        XCTAssertEqual(shell.one("while True:"),
                       "SyntaxError: sockshell runs one call a line; 'while' blocks are not supported (recvall reads until the peer closes)")
        XCTAssertTrue(shell.one("if x:").hasPrefix("SyntaxError: sockshell runs one call a line"))
        XCTAssertEqual(shell.one("socket.htons(1) + 1"), "257", "a call's value takes Python's operators")
        XCTAssertEqual(shell.one("'a' + 1"), "TypeError: can only concatenate str (not \"int\") to str")
        XCTAssertEqual(shell.one("f'{socket.htons(1):>5}|'"), "'  256|'")
        XCTAssertEqual(shell.one("print(nosuch)"), "NameError: name 'nosuch' is not defined")
    }

    func testPackedStatementWordsAreTheKeywords() {
        func packed(_ word: String) -> UInt64 {
            var value: UInt64 = 0
            for (offset, byte) in word.utf8.enumerated() { value |= UInt64(byte) << (8 * UInt64(offset)) }
            return value
        }
        for word in ["import", "from", "print"] + PythonSyntax.blockKeywords {
            XCTAssertTrue(PythonSyntax.isStatementWord(packed: packed(word)), word)
        }
        for word in ["socket", "close", "bind", "importx", "fro", "prin", "s"] {
            XCTAssertFalse(PythonSyntax.isStatementWord(packed: packed(word)), word)
        }
    }
}
