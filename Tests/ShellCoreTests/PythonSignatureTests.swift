import Glibc
import XCTest
@testable import ShellCore
@testable import SocketCore

/// The Python signatures the commands declare (what puts a Python line's
/// keywords in their places) are CPython's own: asked of python3's inspect
/// module at test time.
final class PythonSignatureTests: XCTestCase {
    func testEveryDeclaredSignatureIsCPythons() throws {
        let declared = CommandTable.all.compactMap { command in command.pythonSignature.map { (command, $0) } }
        XCTAssertEqual(Set(declared.map(\.1.owner)),
                       ["socket.__init__", "socketpair", "getaddrinfo", "create_connection", "create_server", "getfqdn"])
        // For each: the parameter names, and how many may be given by position.
        var script = "import inspect, socket\n"
        for (_, signature) in declared {
            let function = signature.owner == "socket.__init__" ? "socket.socket.__init__" : "socket." + signature.owner
            script += """
                names = [p for p in inspect.signature(\(function)).parameters.values() if p.name != 'self']
                print(','.join(p.name for p in names), sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in names))

                """
        }
        let printed = try python(script)
        XCTAssertEqual(printed.count, declared.count, "\(printed)")
        for ((command, signature), line) in zip(declared, printed) {
            let names = signature.names + signature.unsupported
            let positional = signature.positionalLimit ?? signature.names.count
            XCTAssertEqual(line, names.joined(separator: ",") + " \(positional + positionalUnsupported(signature))",
                           command.name)
        }
    }

    /// Python parameters sockshell has no form of that may still be given
    /// by position (`socket()`'s `fileno`, `socketpair()`'s `proto`,
    /// `create_connection()`'s `source_address`).
    private func positionalUnsupported(_ signature: PythonSignature) -> Int {
        switch signature.owner {
        case "socket.__init__", "socketpair", "create_connection": return 1
        default: return 0
        }
    }

    /// Runs `script` in python3 and returns the lines it printed.
    private func python(_ script: String) throws -> [String] {
        let base = "/tmp/sockshell-signature-test-\(getpid())"
        defer { for suffix in [".py", ".out"] { unlink(base + suffix) } }
        let fd = try Files.openForWriting(base + ".py", append: false)
        try Array(script.utf8).withUnsafeBytes { try Files.writeAll(fd, $0) }
        Files.close(fd)
        XCTAssertEqual(system("timeout 30 python3 \(base).py > \(base).out"), 0, script)
        let text = String(decoding: (try? Files.read(base + ".out")) ?? [], as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }
}
