import XCTest
@testable import ShellCore

/// roff has its own specials; a summary or example that used one unescaped
/// would print wrong or vanish from the man page (a line starting with '.'
/// or '\'' is a request, `\n` a register).
final class ManualPageTests: XCTestCase {
    func testSpecialsAreEscaped() {
        XCTAssertEqual(roffEscaped("recvuntil c b'\\r\\n'"), "recvuntil c b'\\er\\en'")
        XCTAssertEqual(roffEscaped("--exit-on-error"), "\\-\\-exit\\-on\\-error")
        XCTAssertEqual(roffEscaped(".hidden"), "\\&.hidden")
        XCTAssertEqual(roffEscaped("'quoted'"), "\\&'quoted'")
        XCTAssertEqual(roffEscaped("  .after blanks"), "\\&.after blanks")
        XCTAssertEqual(roffEscaped("a.b 'c'"), "a.b 'c'")
        XCTAssertEqual(roffEscaped("colour \u{2014} é"), "colour \\[u2014] \\[u00E9]")
        XCTAssertEqual(roffEscaped("two\nlines\u{1b}"), "two lines")
    }

    func testEveryCommandHasAnEntry() {
        let page = ManualPage(version: "v", synopsis: [], description: [], options: [], files: [], environment: [],
                              exitStatus: []).roff()
        for command in CommandTable.all {
            XCTAssertTrue(page.contains(".TP\n\\fB\(roffEscaped(command.name))\\fR"), command.name)
        }
    }
}
