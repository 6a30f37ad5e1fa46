import SocketCore

/// Transcripts (SPEC section 7): text in which examples look like a session
/// on screen. `sock> ` lines are commands; the lines after one, up to the next
/// command, a blank line or a Markdown code fence, are what it must print.
public struct TranscriptExample: Equatable {
    /// 1-based line of the command in its file.
    public let line: Int
    public let command: String
    public let expected: [String]
}

public enum Transcript {
    public static let prompt = "sock> "

    /// The examples of a transcript, in order.
    public static func examples(in text: String) -> [TranscriptExample] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        var examples: [TranscriptExample] = []
        var index = 0
        var inUncheckedBlock = false
        while index < lines.count {
            let line = lines[index]
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            let body = line.dropFirst(indentation.count)
            // A fence opened as ```no-check shows a session without running it
            // (a screen with Tab and Ctrl-C in it, say).
            if body.hasPrefix("```") {
                inUncheckedBlock = !inUncheckedBlock && body.dropFirst(3).trimmingCharacters == "no-check"
                index += 1
                continue
            }
            guard !inUncheckedBlock, body.hasPrefix(prompt) || body == prompt.dropLast() else { index += 1; continue }
            let command = String(body.dropFirst(prompt.count))
            let commandLine = index + 1
            var expected: [String] = []
            index += 1
            while index < lines.count {
                var output = lines[index]
                if output.hasPrefix(indentation) { output = output.dropFirst(indentation.count) }
                if output.trimmingCharacters == "" || output.hasPrefix(prompt) || output == prompt.dropLast()
                    || output.trimmingCharacters.hasPrefix("```") {
                    break
                }
                expected.append(output == "<BLANKLINE>" ? "" : String(output))
                index += 1
            }
            examples.append(TranscriptExample(line: commandLine, command: command, expected: expected))
        }
        return examples
    }

    /// An output line as a recording writes it, so that `--check` and
    /// `--echo` read it back as output, never as a command, a fence or the end
    /// of the example: a line that (after its indentation) begins with
    /// `sock>` or a fence, a line of spaces, and a literal `<BLANKLINE>` get
    /// their first character written as `...`, which still matches it.
    public static func recordedOutputLine(_ line: String) -> String {
        if line.isEmpty { return "<BLANKLINE>" }
        let body = line.drop { $0 == " " || $0 == "\t" }
        let readAsOther = body.isEmpty || body.hasPrefix(prompt.dropLast()) || body.hasPrefix("```")
            || line == "<BLANKLINE>" || line.trimmingCharacters == ""
        return readAsOther ? "..." + line.dropFirst() : line
    }

    /// Whether `actual` matches `expected`, where `...` inside a line matches
    /// any text and a line that is only `...` matches any number of lines.
    /// Iterative (no recursion, so a long output cannot overflow the stack):
    /// the greedy wildcard walk that backtracks only to the latest `...`,
    /// linear unless `...` lines keep retrying.
    public static func matches(expected: [String], actual: [String]) -> Bool {
        var e = 0, a = 0
        var star: Int?, starActual = 0
        while a < actual.count {
            if e < expected.count, expected[e] == "..." {
                star = e
                starActual = a
                e += 1
            } else if e < expected.count, lineMatches(expected[e], actual[a]) {
                e += 1
                a += 1
            } else if let star {
                e = star + 1
                starActual += 1
                a = starActual
            } else {
                return false
            }
        }
        while e < expected.count, expected[e] == "..." { e += 1 }
        return e == expected.count
    }

    /// One line against a pattern in which `...` matches any text.
    public static func lineMatches(_ pattern: String, _ line: String) -> Bool {
        let pieces = pattern.components(separatedByString: "...")
        if pieces.count == 1 { return pattern == line }
        var rest = Substring(line)
        guard rest.hasPrefix(pieces[0]) else { return false }
        rest = rest.dropFirst(pieces[0].count)
        for (offset, piece) in pieces.dropFirst().enumerated() {
            let isLast = offset == pieces.count - 2
            if isLast { return rest.hasSuffix(piece) && rest.count >= piece.count }
            // `......` is two wildcards with nothing between them.
            if piece.isEmpty { continue }
            guard let range = rest.range(ofSubstring: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    /// The result of checking one file.
    public struct Report {
        public var passed = 0
        public var failed = 0
        /// One block of text per mismatch.
        public var mismatches: [String] = []
    }

    /// How long one example may take before it is interrupted and fails.
    public static let exampleTimeLimit = 10.0

    /// Runs the examples of one transcript in one new session, in order.
    public static func check(text: String, name: String) -> Report {
        let session = Session()
        defer { session.closeAll() }
        let output = CapturedOutput()
        let runner = Runner(session: session, output: output)
        runner.allowsShellCommands = false
        var report = Report()
        var exited = false
        for example in examples(in: text) {
            output.clear()
            var timedOut = false
            if exited {
                output.error("(not run: the session had already exited)")
            } else {
                Interruption.install()
                Interruption.interrupt(after: exampleTimeLimit)
                do {
                    try runner.run(line: example.command)
                } catch {
                    exited = true
                }
                timedOut = Interruption.cancelTimer()
                // A limit reached just as the example ended belongs to it,
                // not to the next example's first command.
                Interruption.clear()
            }
            let actual = output.lines.map(\.text)
            if matches(expected: example.expected, actual: actual) {
                report.passed += 1
            } else {
                report.failed += 1
                var block = ["\(name):\(example.line): \(prompt)\(example.command)", "Expected:"]
                block += example.expected.isEmpty ? ["    (nothing)"] : example.expected.map { "    " + ($0.isEmpty ? "<BLANKLINE>" : $0) }
                block.append("Got:")
                block += actual.isEmpty ? ["    (nothing)"] : actual.map { "    " + ($0.isEmpty ? "<BLANKLINE>" : $0) }
                if timedOut { block.append("(interrupted: the example ran longer than \(Int(exampleTimeLimit)) s)") }
                // The file's own lines, escaped as output is: a transcript
                // cannot write ESC or BEL to the terminal that checks it.
                report.mismatches.append(block.map(escapedLine).joined(separator: "\n"))
            }
        }
        return report
    }
}

extension StringProtocol {
    var trimmingCharacters: String {
        String(self).trimmingSpaces
    }

    /// Splits on every occurrence of `separator` (Foundation-free).
    func components(separatedByString separator: String) -> [String] {
        var pieces: [String] = []
        var rest = Substring(self)
        while let range = rest.range(ofSubstring: separator) {
            pieces.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        pieces.append(String(rest))
        return pieces
    }
}

extension Substring {
    /// The first range of `needle`, without Foundation.
    func range(ofSubstring needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(needle) {
                return start..<index(start, offsetBy: needle.count)
            }
            start = index(after: start)
        }
        return nil
    }
}
