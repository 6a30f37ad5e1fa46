import XCTest
@testable import ShellCore

/// Issue 12 item 4: on a Python line, Tab after `s.` offers the socket's
/// methods and after `socket.` the module's names, as Python's rlcompleter.
final class CompletionPythonTests: XCTestCase {
    private func names(_ line: String, _ shell: Shell) -> [String] {
        guard case .pythonNames(let names) = Completion.candidates(linePrefix: line, session: shell.session) else {
            XCTFail("expected Python names for \(line)")
            return []
        }
        return names
    }

    /// A session with `import socket` and a socket `s`, as Python lines made them.
    private func pythonSession() -> Shell {
        let shell = Shell()
        shell("import socket")
        shell("s = socket.socket()")
        XCTAssertTrue(shell.session.contains("s"))
        return shell
    }

    func testCompletionPythonSocketMethods() {
        let shell = pythonSession()
        XCTAssertEqual(names("s.con", shell), ["s.connect(", "s.connect_ex("])
        XCTAssertEqual(names("s.getsockn", shell), ["s.getsockname("])
        // rlcompleter: `()` for a method that takes no argument, nothing for a property.
        XCTAssertEqual(names("s.acc", shell), ["s.accept()"])
        XCTAssertEqual(names("s.fam", shell), ["s.family"])
        XCTAssertEqual(names("s.ty", shell), ["s.type"])
        // Assignments and calls complete the same way.
        XCTAssertEqual(names("name = s.getsockn", shell), ["s.getsockname("])
        // The word the terminal completes is all of `name=s.getsockn`.
        XCTAssertEqual(names("name=s.getsockn", shell), ["name=s.getsockname("])
        XCTAssertEqual(names("print(s.getpeern", shell), ["s.getpeername("])
        XCTAssertEqual(names(">>> s.sendal", shell), ["s.sendall("])
    }

    /// After `from socket import *`, bare names complete from the module, as
    /// rlcompleter completes globals; the line's first word offers the
    /// commands that start so too.
    func testCompletionPythonBareNamesAfterStarImport() {
        let shell = Shell()
        XCTAssertEqual(Completion.candidates(linePrefix: "gethostbyn", session: shell.session),
                       .words(["gethostbyname", "gethostbyname_ex"]), "the commands")
        XCTAssertEqual(Completion.candidates(linePrefix: "AF_INE", session: shell.session), .words([]))
        shell("from socket import *")
        XCTAssertEqual(names("gethostbyn", shell), ["gethostbyname", "gethostbyname(", "gethostbyname_ex", "gethostbyname_ex("])
        XCTAssertEqual(names("AF_INE", shell), ["AF_INET", "AF_INET6"])
        XCTAssertEqual(names("has_dual", shell), ["has_dualstack_ipv6()"])
        XCTAssertEqual(names("socketp", shell), ["socketpair", "socketpair("])
        XCTAssertEqual(names("print(gethostbyn", shell), ["gethostbyname(", "gethostbyname_ex("])
        XCTAssertEqual(names("s = socket(AF_INET, SOCK_DG", shell), ["SOCK_DGRAM"])
        // A command's argument is the command's to complete.
        XCTAssertEqual(Completion.candidates(linePrefix: "socket s AF_INET6", session: shell.session), .words(["AF_INET6"]))
        XCTAssertEqual(names("_GLOBAL", shell), ["_GLOBAL_DEFAULT_TIMEOUT"])
        // Where only commands start so, they complete as commands.
        XCTAssertEqual(Completion.candidates(linePrefix: "recvl", session: shell.session), .words(["recvline"]))
    }

    func testCompletionPythonUnderscoreNamesOnlyWhenTyped() {
        let shell = pythonSession()
        let all = names("s.", shell)
        XCTAssertTrue(all.contains("s.connect("))
        XCTAssertFalse(all.contains { $0.hasPrefix("s._") }, "no _ names before _ is typed")
        // What python3.11's rlcompleter.Completer({'s': socket.socket()}).complete('s.', i) gives.
        XCTAssertEqual(all, [
            "s.accept()", "s.bind(", "s.close()", "s.connect(", "s.connect_ex(", "s.detach()", "s.dup()",
            "s.family", "s.fileno(", "s.get_inheritable()", "s.getblocking(", "s.getpeername(", "s.getsockname(",
            "s.getsockopt(", "s.gettimeout(", "s.listen(", "s.makefile(", "s.proto", "s.recv(", "s.recv_into(",
            "s.recvfrom(", "s.recvfrom_into(", "s.recvmsg(", "s.recvmsg_into(", "s.send(", "s.sendall(",
            "s.sendfile(", "s.sendmsg(", "s.sendmsg_afalg(", "s.sendto(", "s.set_inheritable(", "s.setblocking(",
            "s.setsockopt(", "s.settimeout(", "s.shutdown(", "s.timeout", "s.type"
        ])
        let single = names("s._", shell)
        XCTAssertTrue(single.contains("s._accept("))
        XCTAssertTrue(single.contains("s._closed"))
        XCTAssertFalse(single.contains { $0.hasPrefix("s.__") }, "no __ names before __ is typed")
        XCTAssertTrue(names("s.__", shell).contains("s.__class__("))
        XCTAssertTrue(names("s.__", shell).contains("s.__doc__"))
        XCTAssertFalse(names("socket.", shell).contains { $0.hasPrefix("socket._") })
        XCTAssertEqual(names("socket._L", shell), ["socket._LOCALHOST", "socket._LOCALHOST_V6"])
        XCTAssertFalse(names("socket.__", shell).contains("socket.__builtins__"), "rlcompleter leaves it out")
    }

    func testCompletionPythonSocketModule() {
        let shell = pythonSession()
        XCTAssertEqual(names("socket.AF_IN", shell), ["socket.AF_INET", "socket.AF_INET6"])
        XCTAssertEqual(names("socket.SOCK_STR", shell), ["socket.SOCK_STREAM"])
        XCTAssertEqual(names("socket.gethostbyn", shell), ["socket.gethostbyname(", "socket.gethostbyname_ex("])
        XCTAssertEqual(names("socket.has_", shell), ["socket.has_dualstack_ipv6()", "socket.has_ipv6"])
        XCTAssertEqual(names("x = socket.socketp", shell), ["socket.socketpair("])
        // All of dir(socket) that rlcompleter shows without `_`.
        XCTAssertTrue(names("socket.", shell).contains("socket.SO_REUSEADDR"))
        XCTAssertTrue(names("socket.", shell).contains("socket.create_connection("))
    }

    func testCompletionPythonInsideArguments() {
        let shell = pythonSession()
        XCTAssertEqual(names("s.setsockopt(socket.SOL_S", shell), ["socket.SOL_SOCKET"])
        XCTAssertEqual(names("s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEA", shell), ["socket.SO_REUSEADDR"])
        XCTAssertEqual(names("s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEP", shell), ["socket.SO_REUSEPORT"])
        XCTAssertEqual(names("t = socket.socket(socket.AF_INET6, socket.SOCK_DG", shell), ["socket.SOCK_DGRAM"])
        XCTAssertEqual(names("s.connect(s.getsockn", shell), ["s.getsockname("])
    }

    func testCompletionPythonModulesNeedTheirImport() {
        let shell = Shell()
        XCTAssertEqual(names("socket.AF_IN", shell), [], "no import: Python's NameError")
        XCTAssertEqual(names("time.sl", shell), [])
        shell("import time, select")
        XCTAssertEqual(names("time.", shell), ["time.sleep("])
        XCTAssertEqual(names("select.se", shell), ["select.select("])
        XCTAssertEqual(names("socket.AF_IN", shell), [])
        shell("import sys")
        XCTAssertEqual(names("sys.", shell), [], "sys offers nothing")
        XCTAssertEqual(names("nothing.x", shell), [])
    }

    func testCompletionPythonLeavesCommandLinesAlone() {
        let shell = pythonSession()
        // A command line keeps its own completion, constants by position.
        guard case .words(let words) = Completion.candidates(linePrefix: "setsockopt s socket.SOL_SOCKET socket.SO_REUSEA",
                                                             session: shell.session) else {
            return XCTFail("a command line completes as a command")
        }
        XCTAssertEqual(words, ["socket.SO_REUSEADDR"])
        // A word without a dot on a Python line completes as before.
        XCTAssertEqual(Completion.candidates(linePrefix: "s.connect(", session: shell.session), .words([]))
    }
}
