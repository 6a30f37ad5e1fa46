import XCTest
@testable import ShellCore

final class TranscriptTests: XCTestCase {
    func testExamplesEndAtBlankLinesCommandsAndFences() {
        let text = """
        Prose before.

        ```
        sock> getservbyname http tcp
        80
        sock> echo a
        a
        <BLANKLINE>
        ```
            sock> echo indented
            indented

        not output
        ```no-check
        sock> accept srv
        ^C
        ```
        sock> echo checked again
        checked again
        """
        let examples = Transcript.examples(in: text)
        XCTAssertEqual(examples, [
            TranscriptExample(line: 4, command: "getservbyname http tcp", expected: ["80"]),
            TranscriptExample(line: 6, command: "echo a", expected: ["a", ""]),
            TranscriptExample(line: 10, command: "echo indented", expected: ["indented"]),
            TranscriptExample(line: 18, command: "echo checked again", expected: ["checked again"]),
        ])
    }

    func testWildcards() {
        XCTAssertTrue(Transcript.lineMatches("('127.0.0.1', ...)", "('127.0.0.1', 40211)"))
        XCTAssertFalse(Transcript.lineMatches("('127.0.0.1', ...)", "('::1', 40211)"))
        XCTAssertTrue(Transcript.lineMatches("a...b...c", "aXXbYYc"))
        XCTAssertFalse(Transcript.lineMatches("a...b...c", "aXXbYY"))
        // Wildcards side by side (found by scripts/fuzz-runner: "......"
        // matched nothing, not even an empty line).
        XCTAssertTrue(Transcript.lineMatches("......", ""))
        XCTAssertTrue(Transcript.lineMatches("......", "anything"))
        XCTAssertTrue(Transcript.lineMatches(".............", "..."))
        XCTAssertFalse(Transcript.lineMatches(".............", ""))
        XCTAssertTrue(Transcript.lineMatches("x......y", "xy"))
        XCTAssertTrue(Transcript.matches(expected: ["...", "......a"], actual: ["b", "ba"]))
        XCTAssertTrue(Transcript.matches(expected: ["first", "...", "last"], actual: ["first", "x", "y", "last"]))
        XCTAssertTrue(Transcript.matches(expected: ["first", "...", "last"], actual: ["first", "last"]))
        XCTAssertFalse(Transcript.matches(expected: ["first", "...", "last"], actual: ["first", "x"]))
        XCTAssertFalse(Transcript.matches(expected: [], actual: ["unexpected"]))
    }

    func testCheckReportsMismatchesWithLocation() {
        let report = Transcript.check(text: """
        sock> htons 1
        256
        sock> htons 2
        1
        """, name: "lesson.md")
        XCTAssertEqual(report.passed, 1)
        XCTAssertEqual(report.failed, 1)
        XCTAssertEqual(report.mismatches, ["lesson.md:3: sock> htons 2\nExpected:\n    1\nGot:\n    512"])
    }
}
