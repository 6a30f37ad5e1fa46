import XCTest
@testable import ShellCore
import Glibc

/// Issue 10 item 13: a completion candidate never holds a control character.
final class CompletionEscapesTests: XCTestCase {
    func testHostNamesWithControlCharactersAreNotOffered() throws {
        let path = "/tmp/sockshell-completion-hosts-\(getpid())"
        let text = "127.0.0.1 good.example evil\u{9B}2J.example bell\u{07}x\n::1 \u{1B}c six.example\n"
        let file = try XCTUnwrap(fopen(path, "w"))
        fputs(text, file)
        fclose(file)
        defer { unlink(path) }
        let names = Completion.hostNames(file: path)
        XCTAssertEqual(names, ["good.example", "six.example", "localhost"])
    }
}
