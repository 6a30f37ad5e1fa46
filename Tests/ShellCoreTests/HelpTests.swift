import XCTest
@testable import ShellCore

final class HelpTests: XCTestCase {
    func testEveryCommandHasAnExampleThatParsesAsItself() throws {
        for command in CommandTable.all {
            let example = try XCTUnwrap(helpExamples[command.name], "help \(command.name) has no example")
            let parsed = try Lexer.parse(example)
            XCTAssertEqual(parsed.first?.name, command.name, example)
        }
        XCTAssertEqual(Set(helpExamples.keys).subtracting(CommandTable.all.map(\.name)), [], "examples for no command")
        XCTAssertEqual(Set(helpErrors.keys).subtracting(CommandTable.all.map(\.name)), [], "errors for no command")
    }

    func testHelpPageShowsUsagePythonCallExampleAndErrors() {
        let shell = Shell()
        let page = shell("help bind")
        XCTAssertEqual(page.first, "usage: bind NAME HOST PORT")
        XCTAssertTrue(page.contains("  Python: NAME.bind((HOST, PORT))"), "\(page)")
        XCTAssertTrue(page.contains("  C call: bind(2)"), "\(page)")
        XCTAssertTrue(page.contains("  Example: bind srv 127.0.0.1 0"), "\(page)")
        XCTAssertTrue(page.contains { $0.hasPrefix("    OSError: [Errno 98] Address already in use") }, "\(page)")
    }

    func testUsageLinesComeFromTheParameters() {
        XCTAssertEqual(Parameter.usage([.required("NAME", .socket), .optional("BUFSIZE"), .optional("FLAGS", .flags)]),
                       "NAME [BUFSIZE] [FLAGS]")
        XCTAssertEqual(Parameter.usage([.optional("OPTION", .setting), .together("VALUE")]), "[OPTION VALUE]")
        XCTAssertEqual(Parameter.usage([.required("FILE", .path), .repeated("ARG")]), "FILE [ARG...]")
        XCTAssertEqual(Parameter.usage([]), "")
        // Every labelled word of a usage line is one parameter with its kind.
        for command in CommandTable.all {
            XCTAssertEqual(command.argumentKinds.count, command.parameters.count, command.name)
            let words = command.usage.split(separator: " ").count
            XCTAssertEqual(words, command.parameters.count, command.name)
        }
        XCTAssertEqual(CommandTable.lookup("connect")?.argumentKinds, ["socket", "host", "port"])
    }
}
