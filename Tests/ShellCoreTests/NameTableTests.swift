import XCTest
@testable import ShellCore

/// The tables every replayed command is found in (its command, its
/// constants): each name finds its own entry, and nothing else finds one.
final class NameTableTests: XCTestCase {
    func testEveryCommandAndAliasIsFoundAndNothingElse() {
        for command in CommandTable.all {
            XCTAssertTrue(CommandTable.lookup(command.name) === command, command.name)
            // One byte off, one byte more or less: no command.
            XCTAssertNil(CommandTable.lookup(command.name + "x"), command.name)
            if let shorter = CommandTable.lookup(String(command.name.dropLast())) {
                XCTAssertNotEqual(shorter.name, command.name)
            }
            if command.name.uppercased() != command.name {
                XCTAssertNil(CommandTable.lookup(command.name.uppercased()), command.name)
            }
        }
        for (alias, name) in CommandTable.aliases {
            XCTAssertEqual(CommandTable.lookup(alias)?.name, name)
        }
        for unknown in ["", "sockett", "recv\u{0}", "sénd", String(repeating: "a", count: 300)] {
            XCTAssertNil(CommandTable.lookup(unknown), unknown)
        }
    }

    func testEveryConstantIsFoundWithItsValue() {
        for (name, value) in PythonConstants.byName {
            XCTAssertEqual(PythonConstants.table[name], value, name)
            XCTAssertNil(PythonConstants.table[name + "_"], name)
        }
        XCTAssertNil(PythonConstants.table["SO_REUSEADDRESS"])
        XCTAssertNil(PythonConstants.table[""])
    }

    func testATableOfManyNamesFindsEachAfterCollisions() {
        // Eight slots a name at most: far more names than the smallest
        // table, so probing past occupied slots is exercised.
        var entries: [String: Int] = [:]
        for number in 0..<5000 { entries["n\(number)"] = number }
        let table = NameTable(entries)
        for (name, value) in entries { XCTAssertEqual(table[name], value, name) }
        XCTAssertNil(table["n5000"])
        XCTAssertNil(NameTable([String: Int]())["anything"])
    }
}
