import SocketCore
import Glibc

/// Runs lines of the command language against a session: the one input loop
/// behind the terminal, scripts, `-c`, stdin, `source` and `--check`. Only the
/// prompt, the history and the `FILE:LINE:` prefix differ between them, and
/// those belong to the caller.
/// Where a line came from, for the `FILE:LINE: ` before its errors; the
/// text is made only when an error needs it.
public struct Location {
    public let file: String
    public let line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

public final class Runner {
    public let session: Session
    public let output: Output
    /// `--echo`: print `sock> COMMAND` before each command's output.
    public var echo = false
    /// `-e`: stop at the first failing command.
    public var stopOnError = false
    /// Whether `!CMD` may run: not while `--check` verifies a transcript,
    /// which must not run whatever a downloaded lesson says.
    public var allowsShellCommands = true
    /// Set by any failing command; scripts exit 1 when it is.
    public private(set) var anyFailed = false
    private var sourceDepth = 0
    /// Script lines seen before run without being lexed again.
    private var parseCache = ParseCache()
    /// The binder's array, emptied and kept between commands: every replayed
    /// command is bound, and allocating the array each time showed in a
    /// replay. A command run inside another (`source`) finds none and makes
    /// its own.
    private var spareBindings: [Bound] = []
    /// Inside a line of Python: the commands it runs are not logged, the
    /// line is (`export python` writes it as Python).
    var pythonLineDepth = 0
    /// This runner runs a background job's command (on the job's thread).
    var isJob = false
    /// The prompt's way of running `interact NAME`: it takes the session's
    /// socket over until Ctrl-], Ctrl-D or the peer's close. Nil in scripts,
    /// where `interact` relays stdin instead.
    public var interactHandler: ((Interaction) throws -> Void)?
    /// Stdin holds the commands themselves (`sockshell < FILE`): `interact`
    /// cannot relay it.
    public var standardInputIsCommands = false
    /// How long, between two commands, the jobs are given to reach a wait
    /// (`JobTable.settle`): a script's is long enough for any loopback
    /// exchange; the prompt's short, so that it never feels slow.
    public var jobSettleLimit = 1.0
    /// Whether `settle` also waits for the servers: in scripts, so that
    /// their lines come at the same place on every run; not at the prompt,
    /// where their lines print above it as they come, and where a server
    /// under load would never settle.
    public var settlesServers = true

    func logCommand(_ source: String) {
        if pythonLineDepth == 0, !isJob { session.commandLog.append(.command(source)) }
    }

    func takeSpareBindings() -> [Bound] {
        var values: [Bound] = []
        swap(&values, &spareBindings)
        return values
    }

    func keepSpareBindings(_ values: inout [Bound]) {
        values.removeAll(keepingCapacity: true)
        swap(&values, &spareBindings)
    }

    public init(session: Session, output: Output) {
        self.session = session
        self.output = output
    }

    public enum Outcome: Equatable {
        case succeeded, failed, interrupted
    }

    /// Runs one line. A failing command prints one error line (prefixed by
    /// `location`, when given); the line's other commands still run unless
    /// `stopOnError` (`-e`) is set, as each command is its own call.
    /// Throws `ExitRequest` for `quit`/`exit`.
    @discardableResult
    public func run<Line: StringProtocol>(line: Line, location: Location? = nil) throws -> Outcome {
        // At the prompt a line's end shows what print(..., end='') left.
        defer { if location == nil, session.pendingPrint != nil { flushPendingPrint() } }
        if PythonSyntax.isPython(String(line), session: session) {
            return try runPython(String(line), location: location)
        }
        let commands: [ParsedCommand]
        do {
            commands = try Lexer.parse(line)
        } catch {
            return failedToParse(String(line), error, location: location)
        }
        return try run(commands, location: { _ in location })
    }

    /// A line as its UTF-8 bytes, as a script's lines are cut from the file.
    private func run(utf8 line: UnsafeBufferPointer<UInt8>, location: Location) throws -> Outcome {
        // A kept line is one that cannot be Python: it runs as it ran before.
        let lookup = parseCache.lookUp(line)
        if let commands = lookup.commands { return try run(commands, location: { _ in location }) }
        // Only lines no session could read as Python are kept: whether `x`
        // alone is Python depends on what `x` names by then.
        let mayBePython = PythonSyntax.mayBePython(line)
        if mayBePython {
            let text = String(decoding: line, as: UTF8.self)
            if PythonSyntax.isPython(text, session: session) { return try runPython(text, location: location) }
        }
        let commands: [ParsedCommand]
        do {
            commands = try parseCache.commands(for: line, after: lookup, keep: !mayBePython)
        } catch {
            return failedToParse(String(decoding: line, as: UTF8.self), error, location: location)
        }
        return try run(commands, location: { _ in location })
    }

    private func failedToParse(_ line: String, _ error: Error, location: Location?) -> Outcome {
        if echo { output.value("sock> " + escapedLine(line.trimmingSpaces)) }
        recording?.command(line.trimmingSpaces)
        return report(error, location: location, command: nil)
    }

    /// Runs parsed commands in order; `location` names each for error lines.
    private func run(_ commands: [ParsedCommand], location: (Int) -> Location?) throws -> Outcome {
        if session.pendingPrint != nil { flushPendingPrint() }
        var result = Outcome.succeeded
        // By index, each command read in place: a replayed line's commands
        // are the cache's, and copying one out costs as much as its call.
        // What jobs printed goes between commands, never into one's output.
        defer { if session.hasAsynchronousLines { reportBetweenCommands() } }
        for index in commands.indices {
            if session.hasAsynchronousLines { reportBetweenCommands() }
            // Ctrl-C between commands stops a script that never waits (a
            // long replay), as Python raises KeyboardInterrupt between
            // bytecodes; the command it falls before does not run.
            if Interruption.isPending { return report(Interrupted(), location: location(index), command: nil) }
            try stopIfOutputLost(at: location(index), command: commands[index])
            if echo { output.value("sock> " + escapedLine(commands[index].source)) }
            if recording != nil && commands[index].name != "record" { recording?.command(commands[index].source) }
            var outcome: Outcome
            if let mistake = Runner.namingMistake(in: commands[index]) {
                outcome = report(mistake, location: location(index), command: commands[index])
            } else {
                outcome = try run(commands[index], location: location(index))
            }
            try stopIfOutputLost(at: location(index), command: commands[index])
            if let failure = recording?.takeWriteFailure() {
                // The recording is incomplete from here: say so once, and stop it.
                recording = nil
                if outcome != .interrupted { outcome = report(failure, location: location(index), command: commands[index]) }
            }
            switch outcome {
            case .succeeded: continue
            case .interrupted: return .interrupted
            case .failed:
                result = .failed
                if stopOnError { return .failed }
            }
        }
        return result
    }

    /// `-c 'CMD; CMD'`: errors name the command by its place, `<command>:N`.
    public func run(commandString text: String) throws -> Outcome {
        defer { if session.pendingPrint != nil { flushPendingPrint() } }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.contains(where: { PythonSyntax.isPython(String($0), session: session) }) {
            // A Python line is known only as the lines before it run (a kept
            // name alone is Python), so these lines run one at a time.
            var result = Outcome.succeeded
            for (number, line) in lines.enumerated() {
                let outcome = try run(line: line, location: Location(file: "<command>", line: number + 1))
                if outcome == .interrupted { return .interrupted }
                if outcome == .failed {
                    result = .failed
                    if stopOnError { return .failed }
                }
            }
            return result
        }
        var commands: [ParsedCommand] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            do {
                commands += try Lexer.parse(String(line))
            } catch {
                // Nothing runs, as python3 -c compiles first; --echo still
                // shows the line that failed, so a transcript keeps it.
                return failedToParse(String(line), error, location: Location(file: "<command>", line: commands.count + 1))
            }
        }
        return try run(commands, location: { Location(file: "<command>", line: $0 + 1) })
    }

    /// A typed line that cannot mean what it says about a new socket:
    /// `socket AF_INET SOCK_STREAM` would name the socket `AF_INET` and make
    /// it AF_UNIX (SOCK_STREAM is 1), `socket udp` would be a TCP socket
    /// named udp, `socket s SOCK_DGRAM` a TCP socket (SOCK_DGRAM is 2, which
    /// as a family is AF_INET) and `s = socket tcp` would keep None. Python
    /// puts the name on the left and a learner carries that over. Python
    /// takes the same integers without a word, but the command's words say
    /// which was meant: nothing runs, and the error shows the line meant.
    /// (A Python-syntax line never comes here: it runs as Python does.)
    static func namingMistake(in parsed: ParsedCommand) -> ShellError? {
        guard let command = parsed.command, let firstNew = command.firstNewName else { return nil }
        let parameters = command.parameters, given = parsed.arguments
        let words = given.map(\.text)
        func line(_ words: [String]) -> String { ([command.name] + words).joined(separator: " ") }
        func isConstant(_ word: String, prefix: String = "") -> Bool {
            let bare = word.hasPrefix("socket.") ? String(word.dropFirst("socket.".count)) : word
            return bare.hasPrefix(prefix) && bare.utf8.first.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } == true
                && PythonConstants.table[bare] != nil
        }
        func namesAKind(_ word: String) -> Bool {
            familyTypeWords[word] != nil || ConstantKind.family.shortWords[word] != nil || ConstantKind.type.shortWords[word] != nil
        }
        let newNames = parameters[firstNew...].prefix { $0.kind == .newName }.count
        if let kept = parsed.assignment, firstNew == 0 {
            let required = parameters.prefix { !$0.isOptional }.count
            let meant: String
            if newNames == 1, given.count < required || given.first.map({ isConstant($0.text) || namesAKind($0.text) }) == true {
                meant = line([kept] + words)
            } else if given.count >= newNames {
                meant = line(words)
            } else {
                meant = "usage: \(command.usageLine)"
            }
            return .type("\(command.name) names its new socket\(newNames == 1 ? "" : "s") itself and returns None: \(meant)")
        }
        for index in firstNew..<firstNew + newNames where index < given.count {
            guard case .word(let word) = given[index].kind, isConstant(word) else { continue }
            return .type("\(word) is a constant, not a name for the new socket: \(command.usageLine)"
                         + (index == 0 ? ", as \(line(["s"] + words))" : ""))
        }
        // Where FAMILY follows the new names (socket, socketpair), as the
        // declaration says, with Python's default for it.
        let familyAt = firstNew + newNames
        guard familyAt < parameters.count, parameters[familyAt].kind == .family else { return nil }
        if newNames == 1, given.count == familyAt, case .word(let word) = given[firstNew].kind, namesAKind(word) {
            return .type("\(word) names a kind of socket, not the new socket: \(command.usageLine), as \(line(["s", word]))")
        }
        if familyAt < given.count, case .word(let word) = given[familyAt].kind, isConstant(word, prefix: "SOCK_"),
           let signature = command.pythonSignature, let family = signature.names.firstIndex(of: "family"),
           let familyDefault = signature.defaults[family] {
            return .type("\(word) is a type, not a family: \(command.usageLine), as "
                         + line(Array(words[..<familyAt]) + [familyDefault] + words[familyAt...]))
        }
        return nil
    }

    func run(_ parsed: ParsedCommand, location: Location?) throws -> Outcome {
        guard let command = parsed.command else {
            var message = "name '\(parsed.name)' is not defined"
            if let suggestion = CommandTable.nearest(to: parsed.name) {
                message += ". Did you mean: '\(suggestion)'?"
            }
            // Logged as a failed command is: the export raises the same error.
            logCommand(parsed.source)
            return report(ShellError("NameError", message), location: location, command: parsed)
        }
        if let name = parsed.assignment {
            if session.contains(name) {
                logCommand(parsed.source)
                return report(ShellError("ValueError", "'\(name)' names an open socket: keep the value under another name"),
                              location: location, command: parsed)
            }
            if parsed.redirect != nil {
                logCommand(parsed.source)
                return report(ShellError("ValueError", "a value kept as $\(name) cannot also go to > FILE"),
                              location: location, command: parsed)
            }
        }
        if parsed.background { return try startJob(parsed, location: location) }
        if session.showPython, let statements = PythonExport.statements(for: parsed) {
            for statement in statements { emitValue("# " + statement) }
        }
        var call = Call(runner: self, arguments: Arguments(parsed.arguments, command: command, session: session),
                        redirect: parsed.redirect)
        // The target first, as `with open(PATH, 'wb') as f: f.write(s.recv(N))`
        // opens it before the call: a target that cannot be opened leaves the
        // socket, its bytes and the session as they were.
        if let redirect = parsed.redirect {
            do { call.sink = try openRedirect(redirect) } catch {
                return report(error, location: location, command: parsed)
            }
        }
        defer { if call.sink >= 0 { Files.close(call.sink) } }
        do {
            let value = try command.invoke(&call)
            logCommand(parsed.source)
            if session.packets.isCapturing { noteCall(parsed, command, value: value, error: nil) }
            if let name = parsed.assignment {
                // As Python's `NAME = call()`: kept, not printed.
                session.variables[name] = value ?? Value.none
            } else {
                try deliver(value, of: call)
            }
            if let returned = call.returnedError { noteReturned(returned, by: parsed) }
            return .succeeded
        } catch let exit as ExitRequest {
            throw exit
        } catch let partial as PartialResult {
            if session.packets.isCapturing { noteCall(parsed, command, value: nil, error: partial.error) }
            if partial.error is Interrupted { output.interrupted() }
            logUnlessInterrupted(parsed, partial.error)
            try? deliver(partial.value, of: call)
            return report(partial.error, location: location, command: parsed)
        } catch {
            if session.packets.isCapturing { noteCall(parsed, command, value: nil, error: error) }
            logUnlessInterrupted(parsed, error)
            return report(error, location: location, command: parsed)
        }
    }

    /// A call for `export diagram`: on the lifeline of the socket it names first.
    private func noteCall(_ parsed: ParsedCommand, _ command: Command, value: Value?, error: Error?) {
        var socket: String?
        for (index, argument) in parsed.arguments.enumerated() where index < command.parameters.count {
            let kind = command.parameters[index].kind
            if kind == .socket || kind == .newName, case .word(let name) = argument.kind { socket = name; break }
        }
        var result = ""
        if let error { result = ShellError(error).line }
        else if let value, value != .none { result = String(displayText(value, mode: session.display).prefix { $0 != "\n" }) }
        session.timeline.append(.call(socket: socket, text: parsed.source, result: result, failed: error != nil))
    }

    /// A failed command is logged for `export python` (its error is part of
    /// the session), but not one Ctrl-C ended: exported, it would block for ever.
    private func logUnlessInterrupted(_ parsed: ParsedCommand, _ error: Error) {
        if !(error is Interrupted) { logCommand(parsed.source) }
    }

    /// Prints a value, or writes it to the command's `> FILE`.
    private func deliver(_ value: Value?, of call: Call) throws {
        // Python's prompt prints nothing for None; inside a tuple it shows.
        // A pattern, not `!=`: Value's equality compares reprs.
        guard let value else { return }
        if case .none = value { return }
        guard call.sink >= 0 else {
            if session.display == .hex, case .bytes(let raw) = value, raw.count > Runner.largestWholeDump {
                // Line by line, as hexdump streams it: never the whole text at once.
                hexDump(raw, piece: 1 << 20) { piece in
                    output.value(piece)
                    recording?.output(piece)
                }
                return
            }
            emitValue(displayText(value, mode: session.display), fitted: call.fitted)
            return
        }
        guard !call.redirectConsumed else { return }
        if case .bytes(let raw) = value {
            try writeReceived(raw, to: call.sink, from: call.receivedFrom)
        } else {
            try Array((value.repr + "\n").utf8).withUnsafeBytes { try Files.writeAll(call.sink, $0) }
        }
    }

    /// `connect_ex` printed an errno: `why` explains it next, and `set explain
    /// on` explains it now, as it would the error `connect` raises.
    private func noteReturned(_ error: Error, by parsed: ParsedCommand) {
        let failure = Failure(command: parsed, error: ShellError(error))
        session.lastFailure = failure
        if session.explain { emitExplanation(failure) }
    }

    /// Output that could not be written ends the run at the command it was
    /// found at (before it, or in it: a wait begins by writing what was
    /// printed), with the write's error, as an uncaught BrokenPipeError ends
    /// a Python script; in every mode, since nobody can see the values.
    /// (The command is an autoclosure: this runs twice for every command, and
    /// copying the command into an Optional each time showed in a replay.)
    func stopIfOutputLost(at location: Location?, command: @autoclosure () -> ParsedCommand?) throws {
        guard let lost = output.takeWriteFailure() else { return }
        _ = report(lost.errno, location: location, command: command())
        throw ExitRequest(code: 1)
    }

    func report(_ error: Error, location: Location?, command: ParsedCommand?) -> Outcome {
        anyFailed = true
        // The sourced file's own lines already reported what failed in it.
        if error is SourceFailed { return .failed }
        // Reported once, by stopIfOutputLost, after the command.
        if error is OutputLost { return .failed }
        let shellError = ShellError(error)
        let failure = Failure(command: command, error: shellError)
        session.lastFailure = failure
        if error is Interrupted { output.interrupted() }
        output.error((location.map { "\($0.file):\($0.line): " } ?? "") + shellError.line)
        // `record` is not in the recording, nor is its error.
        if command?.name != "record" { recording?.output(shellError.line) }
        if session.explain { emitExplanation(failure) }
        if error is Interrupted {
            Interruption.clear()
            return .interrupted
        }
        return .failed
    }

    // MARK: Output, recorded when `record` is on

    /// `record FILE`: the session being written as a transcript.
    var recording: Recording?

    /// Received bytes past this size are dumped in pieces (and so not paged).
    static let largestWholeDump = 1 << 20

    func emitValue(_ text: String, fitted: ((Int) -> String)? = nil) {
        output.display(text, fitted: fitted)
        recording?.output(text)
    }

    /// `set explain on`: the explanation, word-wrapped on a terminal as `why`'s is.
    private func emitExplanation(_ failure: Failure) {
        let text = explain(failure)
        emitValue(text, fitted: { wordWrap(text, width: $0) })
    }

    /// Shows or stops showing every system call as strace would.
    func setTrace(_ on: Bool) {
        session.trace = on
        SyscallTrace.sink = on ? { [weak self] line in
            self?.output.trace(line)
            self?.recording?.output(line)
        } : nil
    }

    /// Runs every line of a file with `FILE:LINE:` on its errors. Stops at the
    /// first failure when `stopOnError`, and always on Ctrl-C.
    /// A Markdown file (`.md`) is a transcript: its `sock> ` commands run, its
    /// prose and expected output do not, so `sockshell --echo lesson.md`
    /// replays a lesson.
    public func run(file path: String) throws -> Outcome {
        let fd: Int32
        do { fd = try Files.openForReading(path) } catch let error as Errno { throw fileError(error, path) }
        defer { Files.close(fd) }
        return try run(fileDescriptor: fd, name: path)
    }

    /// Runs a script already open, read once to its end: `/dev/stdin`, a
    /// pipe or a FIFO cannot be opened a second time.
    public func run(fileDescriptor fd: Int32, name: String) throws -> Outcome {
        var bytes: [UInt8]
        do { bytes = try Files.read(fileDescriptor: fd) } catch let error as Errno {
            throw fileError(error, name)
        } catch let error as Files.TooLong {
            throw ShellError("MemoryError", "file longer than \(error.limit) bytes, the most held in memory: \(pythonStringRepr(name))")
        }
        guard name.hasSuffix(".md") else { return try bytes.withUnsafeBufferPointer { try run(utf8: $0, name: name) } }
        let text = String(decoding: bytes, as: UTF8.self)
        var result = Outcome.succeeded
        for example in Transcript.examples(in: text) {
            let outcome = try run(line: example.command, location: Location(file: name, line: example.line))
            if outcome == .interrupted { return .interrupted }
            if outcome == .failed {
                result = .failed
                if stopOnError { return .failed }
            }
        }
        return result
    }

    /// Runs the lines of `text`, naming them `name:LINE` in errors.
    public func run(text: String, name: String) throws -> Outcome {
        var text = text
        return try text.withUTF8 { try run(utf8: $0, name: name) }
    }

    /// Walks the newline bytes with memchr(3) and lexes each line where it
    /// lies: splitting a String would run grapheme breaking over the whole
    /// script and copy every line.
    private func run(utf8 text: UnsafeBufferPointer<UInt8>, name: String) throws -> Outcome {
        defer { if session.pendingPrint != nil { flushPendingPrint() } }
        var result = Outcome.succeeded
        var number = 0
        var lineStart = 0
        while true {
            var lineEnd = text.count
            if lineStart < text.count, let base = text.baseAddress,
               let newline = memchr(base + lineStart, 0x0A, text.count - lineStart) {
                lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            }
            number += 1
            let line = UnsafeBufferPointer(rebasing: text[lineStart..<lineEnd])
            let location = Location(file: name, line: number)
            let outcome: Outcome
            // ASCII first: most lines are, and need no decoding.
            if line.contains(where: { $0 >= 0x80 }), let bad = firstInvalidUTF8(line) {
                // As python3 refuses a script that is not UTF-8, naming the
                // line; the bytes never reach a socket as U+FFFD.
                let error = ShellError("SyntaxError", "Non-UTF-8 code starting with '\\x\(hexByte(line[bad.start]))' in file \(name) on line \(number), "
                                       + "but no encoding declared; see https://peps.python.org/pep-0263/ for details")
                outcome = failedToParse(String(decoding: line, as: UTF8.self), error, location: location)
            } else {
                outcome = try run(utf8: line, location: location)
            }
            if outcome == .interrupted { return .interrupted }
            if outcome == .failed {
                result = .failed
                if stopOnError { return .failed }
            }
            if lineEnd == text.count { break }
            lineStart = lineEnd + 1
        }
        return result
    }

    /// `source FILE [ARG...]`: nested at most 32 deep, so a file that sources
    /// itself ends. With arguments, `$0`... are FILE and them while it runs,
    /// as a shell's `.` sets them; without, the caller's stay.
    func source(_ path: String, arguments: [String]? = nil) throws -> Outcome {
        guard sourceDepth < 32 else { throw ShellError("RecursionError", "source nested more than 32 deep") }
        sourceDepth += 1
        let callers = session.scriptArguments
        if let arguments { session.scriptArguments = [path] + arguments }
        defer {
            sourceDepth -= 1
            session.scriptArguments = callers
        }
        return try run(file: path)
    }
}

/// Opens a `> FILE` target, creating, truncating or appending as it says.
func openRedirect(_ redirect: Redirect) throws -> Int32 {
    do { return try Files.openForWriting(redirect.path, append: redirect.append) } catch let error as Errno {
        throw fileError(error, redirect.path)
    }
}

/// Writes bytes to a file (`export python FILE`), creating or truncating it.
func writeFile(_ redirect: Redirect, _ bytes: [UInt8]) throws {
    let fd = try openRedirect(redirect)
    defer { Files.close(fd) }
    try bytes.withUnsafeBytes { try Files.writeAll(fd, $0) }
}

/// Writes received bytes to a `> FILE`; those it could not write (a full
/// disk, Ctrl-C on a FIFO nobody reads) go back to the socket's buffer, so
/// the next read gets them and no byte is lost.
func writeReceived<Bytes: Collection>(_ bytes: Bytes, to fd: Int32, from entry: SocketEntry?) throws
    where Bytes.Element == UInt8 {
    var written = 0
    do {
        try Array(bytes).withUnsafeBytes { try Files.writeAll(fd, $0, written: &written) }
    } catch {
        entry?.pending.unread(bytes.dropFirst(written))
        throw error
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

