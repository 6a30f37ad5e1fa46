import ShellCore

/// A session driven the way a script drives it, with its output kept.
final class Shell {
    let session = Session()
    let output = CapturedOutput()
    lazy var runner = Runner(session: session, output: output)

    deinit { session.closeAll() }

    /// Runs one line and returns what it printed, values and errors in order.
    @discardableResult
    func callAsFunction(_ line: String) -> [String] {
        output.clear()
        _ = try? runner.run(line: line)
        return output.lines.map(\.text)
    }

    /// Runs a line that must print exactly one line, and returns it.
    func one(_ line: String) -> String {
        let lines = self(line)
        return lines.count == 1 ? lines[0] : "<\(lines.count) lines: \(lines)>"
    }
}
