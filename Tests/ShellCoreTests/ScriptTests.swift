import XCTest
@testable import ShellCore

/// Scripts whose lines repeat: the runner reuses what it lexed for a line
/// seen before, and what a user sees must be as if each line were new.
final class ScriptTests: XCTestCase {
    private func run(_ script: String) -> [String] {
        let shell = Shell()
        _ = try? shell.runner.run(text: script, name: "script")
        return shell.output.lines.map(\.text)
    }

    func testRepeatedLinesReadReferencesWhenTheyRun() {
        // $s.port names a different port on each pass: a reused parse must
        // not keep the first pass's value.
        let pass = "socket s\nbind s 127.0.0.1 0\necho $s.port\ngetsockname s\nclose s\n"
        let lines = run(String(repeating: pass, count: 6))
        XCTAssertEqual(lines.count, 12, "\(lines)")
        for index in stride(from: 0, to: lines.count - 1, by: 2) {
            XCTAssertEqual(lines[index + 1], "('127.0.0.1', \(lines[index]))")
        }
        XCTAssertEqual(Set(lines.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).count, 6,
                       "six binds to port 0 get six ports: \(lines)")
    }

    func testARepeatedLineBecomesPythonWhenItsNameIsKept() {
        // `x` alone is a NameError until `x = 5` keeps a value, then Python
        // that prints it: a reused parse of the command reading must not stick.
        let lines = run("x\nx\nx\nx = 5\nx\nx\n")
        XCTAssertEqual(lines, ["script:1: NameError: name 'x' is not defined", "script:2: NameError: name 'x' is not defined",
                               "script:3: NameError: name 'x' is not defined", "5", "5"])
    }

    func testRepeatedBadLinesFailEveryTime() {
        let lines = run(String(repeating: "echo (1, 2\nrecv nosuch\n", count: 4))
        var expected: [String] = []
        for pass in 0..<4 {
            expected.append("script:\(2 * pass + 1): SyntaxError: '(' was never closed (column 6)")
            expected.append("script:\(2 * pass + 2): NameError: name 'nosuch' is not defined")
        }
        XCTAssertEqual(lines, expected)
    }

    func testManyDistinctAndRepeatedLinesGiveTheSameOutputAsFreshShells() {
        // More distinct lines than the cache has slots, each seen twice or
        // more, interleaved: every echo prints its own value.
        var script = ""
        var expected: [String] = []
        for round in 0..<3 {
            for value in 0..<600 where (value + round) % 3 != 0 {
                script += "echo \(value)\n"
                expected.append(String(value))
            }
        }
        XCTAssertEqual(run(script), expected)
    }
}
