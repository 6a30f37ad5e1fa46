import XCTest
@testable import ShellCore

final class HintsTests: XCTestCase {
    private let session = Session()

    private func hint(_ line: String) -> String? {
        Hints.hint(forLine: line, session: session)
    }

    func testRequiredParametersShrinkAsTheyAreTyped() {
        XCTAssertEqual(hint("connect "), "NAME HOST PORT")
        XCTAssertEqual(hint("connect s "), "HOST PORT")
        XCTAssertEqual(hint("connect s localhost "), "PORT")
        XCTAssertNil(hint("connect s localhost 80 "), "every parameter typed")
        XCTAssertNil(hint("connect s localhost 80 extra "), "more than the usage has")
    }

    func testAWordBeingTypedCountsAndTheHintGoesAfterIt() {
        XCTAssertEqual(hint("connect"), " NAME HOST PORT")
        XCTAssertEqual(hint("connect s loc"), " PORT")
        XCTAssertNil(hint("connect s localhost 80"))
        XCTAssertNil(hint("conn"), "not a command yet")
    }

    func testOptionalPartsDropOneByOne() {
        XCTAssertEqual(hint("recv s "), "[BUFSIZE] [FLAGS]")
        XCTAssertEqual(hint("recv s 100 "), "[FLAGS]")
        XCTAssertNil(hint("recv s 100 MSG_PEEK "))
        XCTAssertEqual(hint("getaddrinfo localhost 80 inet "), "[TYPE] [PROTO] [FLAGS]")
        XCTAssertEqual(hint("help "), "[COMMAND]")
    }

    func testAGroupStartedShowsTheRestOfItsWords() {
        XCTAssertEqual(hint("set "), "[OPTION VALUE]")
        XCTAssertEqual(hint("set pager "), "VALUE")
        XCTAssertNil(hint("set pager off "))
    }

    func testVariadicPartsStayWhileTyping() {
        XCTAssertEqual(hint("echo "), "[TEXT...]")
        XCTAssertEqual(hint("echo a b c "), "[TEXT...]")
        XCTAssertEqual(hint("source "), "FILE [ARG...]")
        XCTAssertEqual(hint("source f.txt one two "), "[ARG...]")
    }

    func testArgumentsAreCountedAsTheLexerReadsThem() {
        XCTAssertEqual(hint("send s 'a b c' "), "[FLAGS]", "a quoted string with spaces is one argument")
        XCTAssertEqual(hint("send s 'it\\'s; #1' "), "[FLAGS]", "an escaped quote does not end the string")
        XCTAssertEqual(hint("select [a, b] "), "[WRITE] [TIMEOUT]", "a list is one argument")
        XCTAssertNil(hint("connect s ('localhost', 80) "), "a tuple is the whole address")
        XCTAssertEqual(hint("connect_ex s "), "HOST PORT")
    }

    func testOnlyTheLastCommandOfTheLineCounts() {
        XCTAssertEqual(hint("socket s; connect s "), "HOST PORT")
        XCTAssertEqual(hint("echo 'a;b' c; recv s "), "[BUFSIZE] [FLAGS]")
        XCTAssertNil(hint("socket s; "), "no command after the ';' yet")
    }

    func testNothingInsideAQuoteABracketOrAComment() {
        XCTAssertNil(hint("sendall s 'unterminated "))
        XCTAssertNil(hint("sendall s b\"unterminated "))
        XCTAssertNil(hint("connect s ('localhost', "))
        XCTAssertNil(hint("select [a, "))
        XCTAssertNil(hint("recv s # a comment "))
        XCTAssertNil(hint("recv s; # connect s "))
    }

    func testNothingAfterARedirectSinceNothingMayFollowItsFile() {
        XCTAssertNil(hint("recv s > "))
        XCTAssertNil(hint("recv s > out.bin"))
        XCTAssertNil(hint("recv s > out.bin "))
        XCTAssertNil(hint("recv s >> out.bin "))
    }

    func testNothingForUnknownCommandsOrCommandsWithoutParameters() {
        XCTAssertNil(hint(""))
        XCTAssertNil(hint("   "))
        XCTAssertNil(hint("nosuch "))
        XCTAssertNil(hint("nosuch a b "))
        XCTAssertNil(hint("sockets "))
        XCTAssertNil(hint("!ls "), "the rest of a ! line is /bin/sh's")
        XCTAssertNil(hint("!echo a; connect s "))
    }

    func testAliasesHintAsTheirCommand() {
        XCTAssertEqual(hint("exit "), "[CODE]")
    }

    func testSetHintsOff() {
        let shell = Shell()
        XCTAssertEqual(shell("set hints off"), [])
        XCTAssertNil(Hints.hint(forLine: "connect s ", session: shell.session))
        XCTAssertTrue(shell("set").contains("hints off"))
        shell("set hints on")
        XCTAssertEqual(Hints.hint(forLine: "connect s ", session: shell.session), "HOST PORT")
    }

    /// Every command's hint on an empty argument list is its usage as `help`
    /// and `TypeError: usage:` show it, so the hint cannot drift from them.
    func testTheHintIsTheUsageOfEveryCommand() {
        for command in CommandTable.all where command.name != "!" {
            XCTAssertEqual(hint(command.name + " "), command.usage.isEmpty ? nil : command.usage, command.name)
        }
    }
}
