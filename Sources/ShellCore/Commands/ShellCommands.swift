import Glibc
import SocketCore

extension CommandTable {
    static let shellCommands: [Command] = [
        Command(name: "help", group: .shell, parameters: [.optional("COMMAND", .command)],
                summary: "list the commands, or explain one", python: "help(socket)", cCall: "",
                run: help),
        Command(name: "history", group: .shell, parameters: [.optional("N", .integer)],
                summary: "the last N lines typed at the prompt (all of them without N)", python: "", cCall: "",
                run: history),
        Command(name: "source", group: .shell, parameters: [.required("FILE", .path), .repeated("ARG")],
                summary: "run the commands in FILE in this session; ARGs are its $1, $2, ...",
                python: "exec(open(FILE).read())", cCall: "",
                run: { call, bound in
                    let path = bound.text(0)
                    let arguments = bound.repeated(1).map { call.arguments.value(of: $0).str }
                    let outcome = try call.runner.source(path, arguments: arguments.isEmpty ? nil : arguments)
                    if outcome == .interrupted { throw Interrupted() }
                    if outcome == .failed { throw SourceFailed() }
                    return nil
                }),
        Command(name: "echo", group: .shell, parameters: [.repeated("TEXT")],
                summary: "print the arguments, separated by spaces", python: "print(TEXT)", cCall: "",
                run: { call, bound in
                    let given = bound.repeated(0)
                    try given.forEach { try checkConvertible($0) }
                    let words = given.map { call.arguments.value(of: $0).str }
                    // As print() would show it, but no control character reaches the terminal.
                    return .verbatim(escapedText(Array(words.joined(separator: " ").utf8), escapingBackslash: false))
                }),
        Command(name: "!", group: .shell, parameters: [.required("CMD", .command)],
                summary: "run a command through /bin/sh, as a terminal would (not in --check)",
                python: "subprocess.run(CMD, shell=True, check=True)", cCall: "posix_spawn(3)",
                run: { call, bound in
                    let command = bound.text(0)
                    guard call.runner.allowsShellCommands else {
                        throw ShellError("PermissionError", "--check does not run shell commands: \(pythonStringRepr("!" + command))")
                    }
                    // What sockshell printed so far goes first, then the command's own output.
                    try WaitHooks.beforeBlocking?()
                    let termination = try ChildProcess.run(shell: command)
                    if Interruption.isPending { throw Interrupted() }
                    switch termination {
                    case .exited(0): return nil
                    case .exited(let status):
                        throw ShellError("subprocess.CalledProcessError",
                                         "Command \(pythonStringRepr(command)) returned non-zero exit status \(status).")
                    case .signaled(let signal):
                        throw ShellError("subprocess.CalledProcessError",
                                         "Command \(pythonStringRepr(command)) died with <Signals.\(signalName(signal)): \(signal)>.")
                    }
                }),
        Command(name: "sleep", group: .shell, parameters: [.required("SECONDS", .seconds)],
                summary: "wait; Ctrl-C ends the wait", python: .function("time.sleep", returns: .nothing), cCall: "poll(2)",
                run: { call, bound in
                    guard let seconds = bound.seconds(0) else { throw call.arguments.usageError() }
                    guard seconds >= 0 else { throw ShellError.value("sleep length must be non-negative") }
                    try interruptibleSleep(seconds)
                    return nil
                }),
        Command(name: "set", group: .shell, parameters: [.optional("OPTION", .setting), .together("VALUE")],
                summary: "show the settings, or change one: display repr|hex|text, maxline BYTES, explain|python|trace|pager|hints|log on|off, newline lf|crlf, packets on|payload|off, keylog FILE|off",
                python: "", cCall: "", run: setting),
        Command(name: "quit", group: .shell, parameters: [.optional("CODE", .integer)],
                summary: "close every socket and leave (alias: exit)", python: "exit(CODE)", cCall: "",
                run: { _, bound in
                    let code = bound.optionalInteger(0) ?? 0
                    throw ExitRequest(code: Int32(truncatingIfNeeded: code))
                }),
    ]
}

/// `source` of a file in which a command failed: the file's own lines said
/// what failed, so this error line only says where the file stopped mattering.
struct SourceFailed: Error {}

/// The settings `set` knows, in the order it lists them.
public let settingNames = ["display", "maxline", "explain", "python", "trace", "pager", "hints", "log", "newline", "packets", "keylog"]

private func setting(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let session = call.session
    guard let name = bound.optionalText(0) else {
        // SSLKEYLOGFILE counts from the session's start, as `set keylog` would.
        TLSKeyLog.useEnvironment()
        let onOff = { (flag: Bool) in flag ? "on" : "off" }
        return .verbatim("display \(session.display.rawValue)\nmaxline \(session.maxLine)\nexplain \(onOff(session.explain))\n"
                         + "python \(onOff(session.showPython))\ntrace \(onOff(session.trace))\npager \(onOff(session.pager))"
                         + "\nhints \(onOff(session.hints))\nlog \(onOff(session.servers.logging))\nnewline \(session.newline.rawValue)"
                         + "\npackets \(session.packets.isCapturing ? (session.packets.showsPayload ? "payload" : "on") : "off")"
                         + "\nkeylog \(TLSKeyLog.path.map { escapedLine($0) } ?? "off")")
    }
    // VALUE is read as the setting says: a word, a number or on/off.
    func value() throws -> Argument {
        guard let argument = bound.argument(1) else { throw call.arguments.usageError() }
        return argument
    }
    func flag() throws -> Bool { try call.arguments.boolean(try value(), label: "VALUE") }
    switch name {
    case "display":
        let value = try call.arguments.text(try value(), label: "VALUE")
        guard let mode = DisplayMode(rawValue: value) else {
            throw ShellError.value("display must be repr, hex or text, not \(pythonStringRepr(value))")
        }
        session.display = mode
    case "maxline":
        let value = try call.arguments.integer(try value(), label: "VALUE", kind: .any)
        guard value > 0 else { throw ShellError.value("maxline must be a positive number of bytes") }
        session.maxLine = value
    case "explain": session.explain = try flag()
    case "python": session.showPython = try flag()
    case "trace": call.runner.setTrace(try flag())
    case "pager": session.pager = try flag()
    case "hints": session.hints = try flag()
    case "log": session.servers.logging = try flag()
    case "packets":
        let value = try call.arguments.text(try value(), label: "VALUE")
        switch value {
        case "on", "True", "1": try session.packets.start(); session.packets.showsPayload = false
        case "payload": try session.packets.start(); session.packets.showsPayload = true
        case "off", "False", "0": session.packets.stop()
        default: throw ShellError.value("packets must be on, payload or off, not \(pythonStringRepr(value))")
        }
    case "keylog":
        // NSS key-log lines of every TLS connection from now on, for Wireshark.
        let file = try call.arguments.text(try value(), label: "VALUE")
        do {
            try TLSKeyLog.open(file == "off" ? nil : file)
        } catch let error as Errno {
            throw fileError(error, file)
        }
    case "newline":
        let value = try call.arguments.text(try value(), label: "VALUE")
        guard let ending = LineEnding(rawValue: value) else {
            throw ShellError.value("newline must be lf or crlf, not \(pythonStringRepr(value))")
        }
        session.newline = ending
    default:
        throw ShellError.value("unknown setting \(pythonStringRepr(name)); settings: \(settingNames.joined(separator: ", "))")
    }
    return nil
}

private func history(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let count = bound.optionalInteger(0)
    // As time.sleep words a negative length; bash's `history -1` is an
    // unknown option, which a number cannot be here.
    if let count, count < 0 { throw ShellError.value("history length must be non-negative") }
    guard let lines = call.session.history?() else { return nil }
    let first = max(0, lines.count - (count ?? lines.count))
    let shown = lines[first...].enumerated().map { offset, line in
        let number = String(first + offset + 1)
        return String(repeating: " ", count: max(0, 5 - number.count)) + number + "  " + line
    }
    return shown.isEmpty ? nil : .verbatim(shown.joined(separator: "\n"))
}

private func help(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    guard let name = bound.optionalText(0) else {
        var lines = ["Commands (help COMMAND for more; values print as Python prints them):"]
        let width = CommandTable.all.map(\.name.count).max()! + 2
        for group in CommandGroup.allCases {
            lines.append("")
            lines.append(group.title + ":")
            for command in CommandTable.all where command.group == group {
                let padding = String(repeating: " ", count: width - command.name.count)
                lines.append("  \(command.name)\(padding)\(command.summary)")
            }
        }
        return wrapped(lines.joined(separator: "\n"), &call)
    }
    guard let command = CommandTable.lookup(name) else {
        var message = "no command '\(name)'"
        if let suggestion = CommandTable.nearest(to: name) { message += ". Did you mean: '\(suggestion)'?" }
        throw ShellError.value(message)
    }
    var lines = ["usage: \(command.usageLine)", "", "  \(command.summary)"]
    if command.argumentKinds.starts(with: ["socket", "host", "port"]) || command.name == "sendto" {
        lines.append("  Address: HOST PORT, (HOST, PORT), (HOST, PORT, FLOWINFO, SCOPEID) for IPv6, or PATH for AF_UNIX")
    }
    if let alias = CommandTable.aliases.first(where: { $0.value == command.name })?.key {
        lines.append("  Alias: \(alias)")
    }
    if !command.python.isEmpty { lines.append("  Python: \(command.python)") }
    if !command.cCall.isEmpty { lines.append("  C call: \(command.cCall)") }
    if let example = helpExamples[command.name] { lines.append("  Example: \(example)") }
    if let errors = helpErrors[command.name] {
        lines.append("  Errors you may meet:")
        lines += errors.map { "    \($0)" }
    }
    return wrapped(lines.joined(separator: "\n"), &call)
}

/// print() turns no int of more than 4,300 digits into text (CPython's
/// `sys.get_int_max_str_digits()`), and writes no lone surrogate.
private func checkConvertible(_ argument: Argument, inRepr: Bool = false) throws {
    switch argument.kind {
    case .bigInteger(""):
        throw ShellError.value("Exceeds the limit (\(maximumIntegerDigits) digits) for integer string conversion; "
                               + "use sys.set_int_max_str_digits() to increase the limit")
    // A tuple prints its items' reprs: a surrogate there is an escape.
    case .surrogateString(let points) where !inRepr: throw surrogateError(points)
    case .tuple(let items), .list(let items): try items.forEach { try checkConvertible($0, inRepr: true) }
    default: break
    }
}

/// A signal's name as Python's `signal.Signals` spells it (SIGTERM).
private func signalName(_ signal: Int32) -> String {
    let names = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
                 SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
                 SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
                 SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS"]
    return names[signal] ?? "SIG\(signal)"
}
