import XCTest
@testable import ShellCore

/// The layouts a terminal gets: word-wrapped prose, the narrowed table.
final class ScreenLayoutTests: XCTestCase {
    func testWrappedRowsFitAndKeepEveryWord() {
        let text = "What happened: " + Array(repeating: "word", count: 40).joined(separator: " ")
            + "\n  - item " + String(repeating: "x", count: 70)
        let wrapped = wordWrap(text, width: 40)
        XCTAssertTrue(wrapped.split(separator: "\n").allSatisfy { $0.count <= 40 }, wrapped)
        XCTAssertEqual(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(),
                       text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined())
        XCTAssertTrue(wrapped.contains("\n  word"), "prose continues two spaces in")
        XCTAssertTrue(wrapped.contains("\n    x"), "an item continues under its text")
    }

    func testASummaryColumnHangsUnderItself() {
        let line = "  accept        " + Array(repeating: "accept a connection", count: 4).joined(separator: " ")
        let rows = wordWrap(line, width: 50).split(separator: "\n")
        XCTAssertGreaterThan(rows.count, 1)
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 16)) }, "\(rows)")
    }

    func testShortLinesAndNarrowTerminalsAreLeftAlone() {
        XCTAssertEqual(wordWrap("short\nlines", width: 80), "short\nlines")
        let long = String(repeating: "a ", count: 30)
        XCTAssertEqual(wordWrap(long, width: 10), long)
    }

    private let rows = [
        ["name", "fd", "family", "type", "state", "recv-q", "send-q", "local", "remote", "timeout", "sent", "received", "options"],
        ["srv", "3", "AF_INET", "SOCK_STREAM", "LISTEN", "0", "5", "('127.0.0.1', 40000)", "-", "None", "0", "0", "SO_REUSEADDR=1"],
        ["v6", "4", "AF_INET6", "SOCK_DGRAM", "bound", "0", "0", "('::1', 5353, 0, 0)", "-", "2.5", "0", "0", "-"],
    ]

    func testAWideTerminalGetsTheFullTable() {
        XCTAssertEqual(fitSocketsTable(rows, width: 200), formatTable(rows))
    }

    func testANarrowTableShortensThenDropsInOrderAndSaysWhich() {
        let table = fitSocketsTable(rows, width: 70)
        let lines = table.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 70 }, table)
        XCTAssertTrue(table.contains("127.0.0.1:40000") && table.contains("[::1]:5353"), table)
        XCTAssertTrue(table.contains("INET6") && !table.contains("AF_INET"), table)
        let header = lines[0].split(separator: " ").map(String.init)
        let hidden = ["timeout", "received", "sent", "options", "send-q", "recv-q", "fd", "type", "family"]
            .filter { !header.contains($0) }
        XCTAssertFalse(hidden.isEmpty)
        XCTAssertEqual(Array(droppedFirst.prefix(hidden.count)), hidden, "columns leave in the fixed order")
        let words = table.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        XCTAssertTrue(words.hasSuffix("to fit 70 columns: \(hidden.joined(separator: ", ")))"), table)
    }
}
