import XCTest
@testable import ShellCore

final class TranscriptMatchingTests: XCTestCase {
    func testExactLinesAndMismatches() {
        XCTAssertTrue(Transcript.matches(expected: ["a", "b"], actual: ["a", "b"]))
        XCTAssertFalse(Transcript.matches(expected: ["a", "b"], actual: ["a", "c"]))
        XCTAssertFalse(Transcript.matches(expected: ["a"], actual: ["a", "b"]))
        XCTAssertFalse(Transcript.matches(expected: ["a", "b"], actual: ["a"]))
    }

    func testEmpty() {
        XCTAssertTrue(Transcript.matches(expected: [], actual: []))
        XCTAssertFalse(Transcript.matches(expected: [], actual: ["a"]))
        XCTAssertFalse(Transcript.matches(expected: ["a"], actual: []))
        XCTAssertTrue(Transcript.matches(expected: ["..."], actual: []))
        XCTAssertTrue(Transcript.matches(expected: ["...", "..."], actual: []))
    }

    func testEllipsisLinesMatchAnyNumberOfLines() {
        XCTAssertTrue(Transcript.matches(expected: ["..."], actual: ["x", "y", "z"]))
        XCTAssertTrue(Transcript.matches(expected: ["a", "...", "z"], actual: ["a", "z"]))
        XCTAssertTrue(Transcript.matches(expected: ["a", "...", "z"], actual: ["a", "b", "z", "z"]))
        XCTAssertTrue(Transcript.matches(expected: ["...", "b", "...", "d"], actual: ["b", "x", "b", "d", "d"]))
        XCTAssertFalse(Transcript.matches(expected: ["a", "...", "z"], actual: ["a", "b", "y"]))
        XCTAssertFalse(Transcript.matches(expected: ["...", "z"], actual: ["z", "a"]))
    }

    func testWildcardsInsideALine() {
        XCTAssertTrue(Transcript.matches(expected: ["('127.0.0.1', ...)"], actual: ["('127.0.0.1', 40000)"]))
        XCTAssertTrue(Transcript.matches(expected: ["...", "x...y"], actual: ["a", "x--y"]))
        XCTAssertFalse(Transcript.matches(expected: ["x...y"], actual: ["x--z"]))
        XCTAssertTrue(Transcript.lineMatches("a...b...c", "a1b2c"))
        XCTAssertFalse(Transcript.lineMatches("a...b...c", "a1c2b"))
        XCTAssertTrue(Transcript.lineMatches("ab...ba", "aba") == false)
    }

    /// A long output after `...` that then fails used to recurse once per line.
    func testLongOutputAgainstEllipsisDoesNotRecurse() {
        let actual = Array(repeating: "00 01 02 03", count: 400_000)
        XCTAssertFalse(Transcript.matches(expected: ["...", "no such line"], actual: actual))
        XCTAssertTrue(Transcript.matches(expected: ["...", "00 01 02 03"], actual: actual))
        XCTAssertFalse(Transcript.matches(expected: ["...", "00 01 02 03", "x", "..."], actual: actual))
    }

    /// A received line written by `record` reads back as output that matches it.
    func testRecordedOutputLinesReadBackAsOutput() {
        let received = ["hello", "sock> gethostname > inj.txt", "  sock> x", "\tsock>", "sock>", "```", "   ",
                        "<BLANKLINE>", "", "...", "plain"]
        let text = "sock> recv c\n" + received.map(Transcript.recordedOutputLine).joined(separator: "\n") + "\n"
        let examples = Transcript.examples(in: text)
        XCTAssertEqual(examples.map(\.command), ["recv c"])
        XCTAssertTrue(Transcript.matches(expected: examples[0].expected, actual: received))
    }
}
