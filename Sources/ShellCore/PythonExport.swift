import SocketCore
import Glibc

/// `set python on` and `export python FILE`: each command as the Python 3 a
/// learner would write for it, and a whole session as a script that, run by
/// python3, prints exactly what sockshell printed.
///
/// The statements are plain socket-module calls (`srv.bind(('127.0.0.1', 0))`,
/// `conn, addr = srv.accept()`, `c.recv(4096)`). The script runs the same
/// calls, each in its own `try`, and adds small helpers only where sockshell
/// behaves differently from a bare call: values print as their repr,
/// `accept` and `select` print session names, `recvline`/`recvuntil` keep
/// what they read ahead for the next read, `recvall` prints what arrived
/// before an error, `set display` changes how bytes print, and a name that is
/// still open cannot be taken again.
enum PythonExport {
    /// The Python 3 statements for one command, as `set python on` shows them
    /// (one or more lines, no comment marker). Nil for commands with no Python
    /// counterpart (sockets, help, history, set, record, why, export, ...) and
    /// for a command whose arguments sockshell would refuse.
    static func statements(for command: ParsedCommand) -> [String]? {
        Translator(session: nil).translate(command).python
    }

    /// As `statements(for:)`, with the names `accept` chooses taken from
    /// `session` as it is before the command runs, so `accept srv` shows the
    /// name sockshell is about to give (`srv_2` after `srv_1`).
    static func statements(for command: ParsedCommand, in session: Session) -> [String]? {
        Translator(session: session).translate(command).python
    }

    /// A complete, runnable Python 3 script for `commands` (a whole session in
    /// order, as `Session.commandLog` keeps it: a sourced file's commands
    /// follow its `source`) that, run by python3, prints exactly what sockshell
    /// printed for them: values on stdout as repr, errors on stderr as the last
    /// line of the traceback (`type: message`), and goes on after an error, as
    /// sockshell does. Its exit status is 1 when any command failed.
    static func script(for commands: [ParsedCommand]) -> String {
        script(for: commands.map { .command($0) })
    }

    /// A line of a session as the export reads it.
    enum Line {
        case command(ParsedCommand)
        /// A line of Python, and the error sockshell refused it with, if it did.
        case python(String, refusal: ShellError?)
    }

    /// As `script(for:)` for commands, lines of Python among them. A line of
    /// Python is run as Python's prompt runs it (`compile(..., 'single')`:
    /// an expression's repr is printed unless None), so its names are read
    /// when the script runs, as they were when sockshell ran it; one sockshell
    /// refused is the same error, raised.
    static func script(for lines: [Line]) -> String {
        // A first pass finds the listeners that take more than one default name.
        let survey = Translator(session: nil)
        for case .command(let command) in lines { _ = survey.translate(command) }
        let translator = Translator(session: nil)
        translator.countedListeners = Set(survey.defaultAccepts.filter { $0.value > 1 }.map(\.key))
        var blocks: [String] = []
        for line in lines {
            guard case .command(let command) = line else {
                guard case .python(let text, let refusal) = line else { continue }
                var block = ["# >>> " + oneLine(text)] + (translator.hasJobs ? ["settle()"] : []) + ["try:"]
                if let refusal {
                    block.append("    raise \(refusal.type)(\(pythonStringRepr(refusal.message)))")
                } else {
                    block.append("    exec(compile(\(pythonStringRepr(python3Spelling(text) + "\n")), '<stdin>', 'single'))")
                }
                block += ["except Exception as e:", "    show_error(e)"]
                blocks.append(block.joined(separator: "\n"))
                continue
            }
            if command.background {
                // `CMD &`: the command's Python, run by start_job on a thread.
                let foreground = command.running(inBackground: false)
                let translation = translator.translate(foreground)
                var block = ["# sock> " + oneLine(command.source) + " &"]
                if translation.script.isEmpty {
                    block.append("# (\(translation.note ?? "no Python counterpart"))")
                } else {
                    block.append("settle()")
                    block.append("start_job(\(pythonStringRepr(foreground.source)), \(translator.jobCode(translation.script)))")
                }
                blocks.append(block.joined(separator: "\n"))
                continue
            }
            let translation = translator.translate(command)
            var block = ["# sock> " + oneLine(command.source)]
            // Job lines print between commands, before this one runs.
            if translator.hasJobs { block.append("settle()") }
            if translation.script.isEmpty {
                block.append("# (\(translation.note ?? "no Python counterpart"))")
            } else {
                block.append("try:")
                block += translation.script.map { "    " + $0 }
                block.append("except Exception as e:")
                block.append("    show_error(e)")
            }
            blocks.append(block.joined(separator: "\n"))
        }
        return translator.prelude() + "\n\n\n" + (blocks.isEmpty ? "" : blocks.joined(separator: "\n\n") + "\n\n")
            + (translator.hasJobs ? "settle()\n" : "") + "sys.exit(1 if failed else 0)\n"
    }

    /// A line as python3 reads it: the books' Python 2 `print x` is
    /// `print(x)`, as sockshell runs it.
    static func python3Spelling(_ text: String) -> String {
        guard text.hasPrefix("print"), let next = text.dropFirst(5).first else { return text == "print" ? "print()" : text }
        guard next == " " || next == "\t" else { return text }
        let rest = text.dropFirst(5).drop { $0 == " " || $0 == "\t" }
        if rest.first == "(" || rest.first == "=" || rest.isEmpty { return rest.isEmpty ? "print()" : text }
        return "print(" + rest + ")"
    }

    /// A command's source for a `#` comment: one line, whatever was typed.
    private static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0 == "\u{7F}" ? " " : $0 }))
    }
}

// MARK: - One command

/// What one command becomes.
private struct Translation {
    /// The learner's statements, as `set python on` shows them; nil when none.
    var python: [String]?
    /// The script's statements, run inside the command's `try`; empty when the
    /// script leaves the command out (then `note` says why).
    var script: [String]
    var note: String?
}

/// An argument after `$NAME.field` references are taken into account:
/// `expr` is the Python expression for a value known only when it runs.
private struct Arg {
    var kind: Argument.Kind
    var text: String
    var expr: String?
    /// A tuple's items, themselves resolved (sockshell resolves tuple items).
    var items: [Arg] = []
}

/// A Python expression and, when it is a literal, its integer value.
private struct Expr {
    var code: String
    var value: Int?
}

/// A socket argument: its session name and the Python variable that holds it.
private struct SocketName {
    var name: String
    var variable: String
}

/// What the binder made of one parameter for the export: the Python source
/// for its argument, with what a command needs to know of it.
private enum Code {
    case absent
    case socket(SocketName)
    case name(String)
    /// A number or a constant, with its value when it is a literal.
    case expr(Expr)
    /// Any other Python expression.
    case source(String)
    /// A word known now (a setting's name).
    case plain(String)
    case sockets([SocketName])
    case data(DataArg)
    /// A `.any` argument, for the command to read its own way.
    case argument(Arg)
    /// A repeated parameter's arguments, as typed (echo's).
    case arguments([Argument])

    /// As an argument of the Python call.
    var python: String {
        switch self {
        case .absent, .arguments: return ""
        case .socket(let socket): return socket.variable
        case .name(let name): return name
        case .expr(let expr): return expr.code
        case .source(let code): return code
        case .plain(let text): return pythonStringRepr(text)
        case .sockets(let sockets): return "[" + sockets.map(\.variable).joined(separator: ", ") + "]"
        case .data(let data): return data.python()
        case .argument(let argument): return argument.expr ?? argument.text
        }
    }

    /// Nil when not given.
    var optionalPython: String? {
        if case .absent = self { return nil }
        return python
    }

    // What the binder bound for each kind; reading another is a fault of the declaration.
    var socket: SocketName {
        guard case .socket(let socket) = self else { preconditionFailure("not a socket: \(self)") }
        return socket
    }
    var optionalName: String? {
        if case .name(let name) = self { return name }
        return nil
    }
    var name: String {
        guard let name = optionalName else { preconditionFailure("not a name: \(self)") }
        return name
    }
    var expr: Expr? {
        if case .expr(let expr) = self { return expr }
        return nil
    }
    var sockets: [SocketName] {
        if case .sockets(let sockets) = self { return sockets }
        return []
    }
    var data: DataArg {
        guard case .data(let data) = self else { preconditionFailure("not data: \(self)") }
        return data
    }
    var argument: Arg {
        guard case .argument(let argument) = self else { preconditionFailure("not an argument: \(self)") }
        return argument
    }
    var arguments: [Argument] {
        if case .arguments(let arguments) = self { return arguments }
        return []
    }
}

/// Data to send or a delimiter, as sockshell's `Arguments.data` takes it.
private enum DataArg {
    case bytes([UInt8])
    case text(String)
    case file(String)
    case expression(String)

    /// A Python expression for the bytes, with a newline after them when asked.
    func python(newline: Bool = false) -> String {
        switch self {
        case .bytes(let bytes):
            return pythonBytesRepr(bytes + (newline ? [0x0A] : []))
        case .text(let text):
            let full = newline ? text + "\n" : text
            if full.unicodeScalars.allSatisfy({ $0.isASCII }) { return pythonBytesRepr(Array(full.utf8)) }
            return pythonStringRepr(full) + ".encode()"
        case .file(let path):
            return "open(\(pythonStringRepr(path)), 'rb').read()" + (newline ? " + b'\\n'" : "")
        case .expression(let code):
            return code + (newline ? " + b'\\n'" : "")
        }
    }
}

/// The helpers a script may need; each is emitted once, in this order.
private enum Helper: Int, Comparable, CaseIterable {
    case renamed, display, shown, save, buffers, recv, recvfrom, recvuntil, recvall, accepted, acceptDefault, selectNames, tcpinfo,
         argv, jobs, ipaddressLike

    static func < (left: Helper, right: Helper) -> Bool { left.rawValue < right.rawValue }

    var requires: [Helper] {
        switch self {
        case .recv, .recvfrom, .recvuntil, .recvall: return [.buffers]
        case .accepted: return [.shown]
        case .acceptDefault: return [.accepted]
        case .selectNames: return [.shown, .buffers]
        default: return []
        }
    }
}

/// Turns commands into Python, keeping what a script needs to know about the
/// session so far: which names may be open, which sockets may hold bytes read
/// ahead, which are AF_UNIX, and the next default name for `accept`.
private final class Translator {
    let session: Session?
    private var open: Set<String> = []
    private var buffered: Set<String> = []
    /// Whether each name's socket is AF_UNIX, where its creation says.
    private var unix: [String: Bool] = [:]
    private var acceptIndex: [String: Int] = [:]
    /// How many sockets have been created under each name so far: a
    /// listener's default accept names count from 1 again when it is remade.
    private var generation: [String: Int] = [:]
    /// Default accepts per listener (`name#generation`) in the whole script.
    private(set) var defaultAccepts: [String: Int] = [:]
    /// Listeners with more than one default accept: an earlier one may fail,
    /// and a failed accept uses no number, so the script names them as it runs.
    var countedListeners: Set<String> = []
    private var helpers: Set<Helper> = []
    /// Whether a job was started: each later block settles the jobs first.
    var hasJobs: Bool { helpers.contains(.jobs) }
    private var modules: Set<String> = []
    /// Each socket's HOST as `connect` or `create_connection` gave it.
    private var connectedHosts: [String: String] = [:]
    /// Python variable -> sockshell name, for names Python reserves.
    private var renamed: [String: String] = [:]
    private var redirect: Redirect?
    /// `NAME = COMMAND`: the variable the command's value goes to, and
    /// whether a value went there (a call that returns None leaves it None).
    private var assigning: String?
    private var assigned = false

    init(session: Session?) {
        self.session = session
    }

    // MARK: Names

    /// The Python variable for a session name: the name itself, or the name
    /// and `_` when Python or the script already uses it (`if_`, `socket_`).
    /// A name that is a reserved one and underscores gets one more too
    /// (`print_` is `print__`), so two sockets never share a variable.
    /// The Python variable of a value kept as `$NAME` (`NAME = COMMAND`).
    func valueVariable(_ name: String) -> String { variable(name) }

    func variable(_ name: String) -> String {
        var stem = Substring(name)
        while stem.hasSuffix("_"), !Translator.reserved.contains(String(stem)) { stem = stem.dropLast() }
        guard Translator.reserved.contains(String(stem)) else { return name }
        renamed[name + "_"] = name
        return name + "_"
    }

    /// Names the script cannot give a socket: keywords, builtins, the modules
    /// and helpers it uses, and the variables of its own statements.
    static let reserved: Set<String> = {
        let keywords = ["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
                        "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
                        "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"]
        // Every name of Python's builtins module (python3 -c "print(dir(__import__('builtins')))").
        let builtins = ["ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup",
                        "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError",
                        "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
                        "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning", "EnvironmentError", "Exception",
                        "ExceptionGroup", "False", "FileExistsError", "FileNotFoundError", "FloatingPointError",
                        "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError",
                        "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt",
                        "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "None", "NotADirectoryError",
                        "NotImplemented", "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
                        "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning",
                        "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration", "SyntaxError",
                        "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError", "True", "TypeError",
                        "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
                        "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning",
                        "ZeroDivisionError", "__build_class__", "__debug__", "__doc__", "__import__", "__loader__",
                        "__name__", "__package__", "__spec__", "abs", "aiter", "all", "anext", "any", "ascii", "bin",
                        "bool", "breakpoint", "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex",
                        "copyright", "credits", "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit",
                        "filter", "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex",
                        "id", "input", "int", "isinstance", "issubclass", "iter", "len", "license", "list", "locals", "map",
                        "max", "memoryview", "min", "next", "object", "oct", "open", "ord", "pow", "print", "property",
                        "quit", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted", "staticmethod",
                        "str", "sum", "super", "tuple", "type", "vars", "zip"]
        let script = ["socket", "select", "sys", "time", "traceback", "io", "e", "addr", "out", "chunk", "failed", "show",
                      "show_error", "error_line", "save", "Shown", "DISPLAY", "MAXLINE", "RENAMED", "buffers", "recv", "recvfrom",
                      "recvline", "recvuntil", "recvall", "accepted", "accept_default", "accept_numbers",
                      "select_names", "tcpinfo", "hexdump", "escaped_text", "TCP_STATES", "TCP_INFO_FIELDS"]
        let module = ["__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__", "__builtins__",
                      "__annotations__", "__cached__"]
        return Set(keywords + builtins + script + module)
    }()

    /// Whether a socket may be open under `name` at this point of the session.
    private func mayBeOpen(_ name: String) -> Bool {
        open.contains(name) || (session?.contains(name) ?? false)
    }

    /// sockshell refuses to reuse the name of an open socket; the script
    /// checks at run time wherever an earlier command may have opened it.
    private func freeCheck(_ name: String) -> [String] {
        guard mayBeOpen(name) else { return [] }
        return ["if \(pythonStringRepr(variable(name))) in globals():",
                "    raise ValueError(\(pythonStringRepr("name '\(name)' is already an open socket; close it first")))"]
    }

    private func checkIdentifier(_ name: String) throws {
        guard isIdentifier(name) else {
            throw ShellError.value("socket names are identifiers ([A-Za-z_][A-Za-z0-9_]*), not \(pythonStringRepr(name))")
        }
    }

    /// Notes sockets a command creates.
    private func created(_ names: [String], unix isUnix: Bool?) {
        for name in names {
            open.insert(name)
            buffered.remove(name)
            acceptIndex[name] = nil
            generation[name, default: 0] += 1
            unix[name] = isUnix
        }
    }

    /// The name `accept NAME` gives the new socket: `NAME_1`, `NAME_2`, ...,
    /// the first free one. Without a session this counts every earlier
    /// default accept on the listener as a success; a script names the
    /// sockets of a listener with several default accepts as it runs.
    private func defaultAcceptName(_ listener: String) -> String {
        if let session, let entry = try? session.entry(named: listener) {
            var index = entry.nextAcceptIndex
            while session.contains("\(listener)_\(index)") { index += 1 }
            return "\(listener)_\(index)"
        }
        var index = acceptIndex[listener] ?? 1
        while open.contains("\(listener)_\(index)") { index += 1 }
        acceptIndex[listener] = index + 1
        return "\(listener)_\(index)"
    }

    // MARK: Values and redirects

    /// The script's statement that prints a value, or writes it to `> FILE`.
    private func deliver(_ expression: String) -> String {
        if let assigning {
            assigned = true
            return "\(assigning) = \(expression)"
        }
        guard let redirect else { return "show(\(expression))" }
        helpers.insert(.save)
        return "save(\(expression), \(pythonStringRepr(redirect.path))\(redirect.append ? ", append=True" : ""))"
    }

    /// The learner's lines that write a value to `> FILE`.
    private func pythonRedirect(_ expression: String, bytes: Bool) -> [String] {
        if let assigning { return ["\(assigning) = \(expression)"] }
        guard let redirect else { return [expression] }
        let mode = (redirect.append ? "a" : "w") + (bytes ? "b" : "")
        return ["with open(\(pythonStringRepr(redirect.path)), '\(mode)') as out:",
                bytes ? "    out.write(\(expression))" : "    print(repr(\(expression)), file=out)"]
    }

    /// A call whose value sockshell prints (or writes to `> FILE`).
    private func value(_ expression: String, script: String? = nil, bytes: Bool = false) -> Translation {
        Translation(python: pythonRedirect(expression, bytes: bytes), script: [deliver(script ?? expression)])
    }

    /// A call that returns None: sockshell prints nothing and writes no file.
    private func statement(_ line: String, script: [String]? = nil) -> Translation {
        Translation(python: [line], script: script ?? [line])
    }

    /// A shell command the script leaves out.
    private func omitted(_ note: String) -> Translation {
        Translation(python: nil, script: [], note: note)
    }

    // MARK: Translating

    func translate(_ parsed: ParsedCommand) -> Translation {
        if let name = parsed.assignment, open.contains(name) {
            let message = "'\(name)' names an open socket: keep the value under another name"
            return Translation(python: nil, script: ["raise ValueError(\(pythonStringRepr(message)))"])
        }
        assigning = parsed.assignment.map(valueVariable)
        assigned = false
        var translation = translateCommand(parsed)
        if let target = assigning, !assigned, !translation.script.isEmpty {
            translation.script.append("\(target) = None")
            translation.python = translation.python.map { $0 + ["\(target) = None"] }
        }
        assigning = nil
        return translation
    }

    private func translateCommand(_ parsed: ParsedCommand) -> Translation {
        redirect = parsed.redirect
        // The HOST a socket connected to: `tls` checks the certificate against it.
        if parsed.name == "connect" || parsed.name == "create_connection", parsed.arguments.count > 1 {
            connectedHosts[parsed.arguments[0].text] = parsed.arguments[1].writtenHost
        }
        guard let command = parsed.command else {
            var message = "name '\(parsed.name)' is not defined"
            if let suggestion = CommandTable.nearest(to: parsed.name) { message += ". Did you mean: '\(suggestion)'?" }
            return Translation(python: nil, script: ["raise NameError(\(pythonStringRepr(message)))"])
        }
        var reader = Reader(parsed.arguments, command: command, translator: self)
        do {
            return try translate(command, try bindParameters(&reader))
        } catch {
            // An error sockshell finds in the arguments: the script raises it
            // where sockshell would, after the sockets it looked up first.
            let shellError = ShellError(error)
            return Translation(python: nil, script: reader.lookedUp
                + ["raise \(shellError.type)(\(pythonStringRepr(shellError.message)))"])
        }
    }

    private static let shorthands: [String: (family: String, type: String, value: Int)] = [
        "tcp": ("socket.AF_INET", "socket.SOCK_STREAM", Int(AF_INET)), "udp": ("socket.AF_INET", "socket.SOCK_DGRAM", Int(AF_INET)),
        "tcp6": ("socket.AF_INET6", "socket.SOCK_STREAM", Int(AF_INET6)), "udp6": ("socket.AF_INET6", "socket.SOCK_DGRAM", Int(AF_INET6)),
    ]

    static func shorthand(_ word: String) -> (family: Expr, type: Expr)? {
        guard let pair = shorthands[word] else { return nil }
        return (Expr(code: pair.family, value: pair.value), Expr(code: pair.type))
    }

    /// A command declared as one Python call: its arguments in order as the
    /// binder read them, optional ones left out when absent (or Python's
    /// default where Python needs one), keywords where Python takes them, and
    /// the new sockets' names assigned the call's value.
    private func translate(_ call: PythonCall, of command: Command, _ codes: [Code]) throws -> Translation {
        var receiver: SocketName?
        var targets: [String] = []
        var arguments: [String] = []
        var isUnix: Bool? = false
        for (index, parameter) in command.parameters.enumerated() {
            let code = codes[index]
            switch code {
            case .socket(let socket) where index == 0 && call.method != nil:
                receiver = socket
            case .name(let name) where parameter.kind == .newName:
                targets.append(name)
            case .absent:
                if let value = parameter.pythonDefault { arguments.append(value) }
            default:
                if parameter.kind == .family, case .expr(let family) = code { isUnix = family.value.map { $0 == Int(AF_UNIX) } }
                arguments.append((parameter.keyword.map { $0 + "=" } ?? "") + code.python)
            }
        }
        let callee = receiver.map { "\($0.variable).\(call.method ?? "")" } ?? call.function ?? command.name
        if let module = call.function?.split(separator: ".").first.map(String.init), module != "socket", module != "sys" {
            modules.insert(module)
        }
        let code = callee + "(" + arguments.joined(separator: ", ") + ")"
        if !targets.isEmpty {
            for target in targets { try checkIdentifier(target) }
            let line = targets.map(variable).joined(separator: ", ") + " = " + code
            let check = targets.flatMap(freeCheck)
            created(targets, unix: isUnix)
            return statement(line, script: check + [line])
        }
        switch call.returns {
        case .nothing: return statement(code)
        case .value: return value(code)
        case .bytes: return value(code, bytes: true)
        }
    }

    /// The commands that are not one Python call, or that the script must
    /// help (names sockshell chooses, bytes read ahead, its own tables): each
    /// reads the arguments the binder bound, by position.
    private func translate(_ command: Command, _ c: [Code]) throws -> Translation {
        if let call = command.pythonCall { return try translate(call, of: command, c) }
        switch command.name {
        // Sockets
        case "socketpair":
            let first = c[0].name, second = c[1].name
            var arguments: [String] = []
            var isUnix: Bool? = true
            if case .expr(let family) = c[2] {
                arguments.append(family.code)
                isUnix = family.value.map { $0 == Int(AF_UNIX) }
            }
            if case .expr(let type) = c[3] { arguments.append(type.code) }
            try checkIdentifier(first)
            try checkIdentifier(second)
            let check = freeCheck(first) + freeCheck(second)
            guard first != second else { throw ShellError.value("the two sockets of a pair need two names") }
            let line = "\(variable(first)), \(variable(second)) = socket.socketpair(\(arguments.joined(separator: ", ")))"
            created([first, second], unix: isUnix)
            return statement(line, script: check + [line])

        case "accept":
            let listener = c[0].socket
            let given = c[1].optionalName
            if let given { try checkIdentifier(given) }
            let check = given.map(freeCheck) ?? []
            let key = "\(listener.name)#\(generation[listener.name] ?? 0)"
            if given == nil { defaultAccepts[key, default: 0] += 1 }
            let new = given ?? defaultAcceptName(listener.name)
            let newVariable = variable(new)
            let line = "\(newVariable), addr = \(listener.variable).accept()"
            created([new], unix: isUnix(listener.name))
            var python = [line]
            if redirect != nil { python += pythonRedirect("(\(newVariable), addr)", bytes: false) }
            if given == nil && countedListeners.contains(key) {
                // NAME_1, NAME_2, ...: known only when the script runs.
                helpers.insert(.acceptDefault)
                return Translation(python: python,
                                   script: [deliver("accept_default(\(listener.variable), \(pythonStringRepr(listener.name)))")])
            }
            helpers.insert(.accepted)
            return Translation(python: python,
                               script: check + [line, deliver("accepted(\(pythonStringRepr(new)), \(newVariable), addr)")])

        case "close":
            let socket = c[0].socket
            open.remove(socket.name)
            buffered.remove(socket.name)
            // sockshell frees the name: using it again is a NameError.
            return statement("\(socket.variable).close()", script: ["\(socket.variable).close()", "del \(socket.variable)"])

        case "select":
            let readers = c[0].sockets, writers = c[1].sockets
            let timeout = c[2].optionalPython
            modules.insert("select")
            helpers.insert(.selectNames)
            let list = { (sockets: [SocketName]) in "[" + sockets.map(\.variable).joined(separator: ", ") + "]" }
            let table = { (sockets: [SocketName]) in
                "{" + sockets.map { "\(pythonStringRepr($0.name)): \($0.variable)" }.joined(separator: ", ") + "}"
            }
            let python = "select.select(\(list(readers)), \(list(writers)), []\(timeout.map { ", " + $0 } ?? ""))"
            let script = "select_names(\(table(readers)), \(table(writers))\(timeout.map { ", " + $0 } ?? ""))"
            return value(python, script: script)

        case "sockets":
            return omitted("the sockets table is sockshell's own: not reproduced")

        // Data
        case "sendline":
            return statement("\(c[0].socket.variable).sendall(\(c[1].data.python(newline: true)))")

        case "sendfile":
            return value("\(c[0].socket.variable).sendfile(open(\(c[1].python), 'rb'))")

        case "recv", "recvfrom":
            let socket = c[0].socket
            let arguments = (c[1].optionalPython ?? "4096") + (c[2].optionalPython.map { ", " + $0 } ?? "")
            let python = "\(socket.variable).\(command.name)(\(arguments))"
            let sessionBuffered = session.flatMap { try? $0.entry(named: socket.name) }.map { $0.bufferedCount > 0 }
            guard buffered.contains(socket.name) || sessionBuffered == true else {
                return value(python, bytes: command.name == "recv")
            }
            // Bytes a recvline or recvuntil read ahead come first.
            helpers.insert(command.name == "recv" ? .recv : .recvfrom)
            return value(python, script: "\(command.name)(\(socket.variable), \(arguments))", bytes: command.name == "recv")

        case "recvline":
            let socket = c[0].socket
            buffered.insert(socket.name)
            helpers.insert(.recvuntil)
            return value("recvline(\(socket.variable))", bytes: true)

        case "recvuntil":
            let socket = c[0].socket
            buffered.insert(socket.name)
            helpers.insert(.recvuntil)
            return value("recvuntil(\(socket.variable), \(c[1].data.python()))", bytes: true)

        case "recvall":
            let socket = c[0].socket
            // sockshell streams to a file in bigger pieces; the bytes are the same.
            let size = c[1].optionalPython ?? (redirect == nil ? "65536" : "1048576")
            helpers.insert(.recvall)
            buffered.remove(socket.name)
            let loop = "iter(lambda: \(socket.variable).recv(\(size)), b'')"
            guard let redirect else {
                return Translation(python: ["b''.join(\(loop))"],
                                   script: ["show(recvall(\(socket.variable)\(size == "65536" ? "" : ", " + size)))"])
            }
            // With > FILE the bytes stream to the file as they come.
            let path = pythonStringRepr(redirect.path)
            return Translation(python: ["with open(\(path), '\(redirect.append ? "ab" : "wb")') as out:",
                                        "    for chunk in \(loop):",
                                        "        out.write(chunk)"],
                               script: ["recvall(\(socket.variable), \(size), path=\(path)"
                                        + (redirect.append ? ", append=True)" : ")")])

        // Options
        case "setsockopt":
            let argument = c[3].argument
            let optionValue: String
            if case .bytes(let bytes) = argument.kind { optionValue = pythonBytesRepr(bytes) } else {
                optionValue = try Reader.integer(argument, label: "VALUE", kind: .any, usage: command.usageLine).code
            }
            return statement("\(c[0].socket.variable).setsockopt(\(c[1].python), \(c[2].python), \(optionValue))")

        case "getsockopt":
            let length = c[3].expr
            let bytes = length.map { $0.value != 0 } ?? false
            return value("\(c[0].socket.variable).getsockopt(\(c[1].python), \(c[2].python)\(length.map { ", " + $0.code } ?? ""))",
                         bytes: bytes)

        case "tcpinfo":
            helpers.insert(.tcpinfo)
            let socket = c[0].socket
            return value("\(socket.variable).getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)",
                         script: "tcpinfo(\(socket.variable))", bytes: true)

        // Shell
        case "echo":
            // What print() shows for each argument, with control characters
            // escaped as sockshell escapes them; `$NAME.port` and friends are
            // read when the script runs.
            var parts: [String] = []
            var words: [String] = []
            func flush() {
                if !words.isEmpty {
                    let text = escapedText(Array(words.joined(separator: " ").utf8), escapingBackslash: false)
                    parts.append(pythonStringRepr(text))
                }
                words = []
            }
            for argument in c[0].arguments {
                if let value = staticValue(argument) {
                    words.append(value.str)
                } else {
                    flush()
                    parts.append(code(argument))
                }
            }
            flush()
            let call = parts.joined(separator: ", ")
            guard let redirect else { return statement("print(\(call))") }
            let lines = ["with open(\(pythonStringRepr(redirect.path)), '\(redirect.append ? "a" : "w")') as out:",
                         "    print(\(call)\(call.isEmpty ? "" : ", ")file=out)"]
            return Translation(python: lines, script: lines)

        case "!":
            modules.insert("subprocess")
            // What the script printed so far goes first, as in sockshell.
            let call = "subprocess.run(\(c[0].python), shell=True, check=True)"
            return statement(call, script: ["sys.stdout.flush()", call])

        case "quit":
            return statement("sys.exit(\(c[0].optionalPython ?? "0"))")

        case "set":
            guard case .plain(let setting) = c[0] else { return omitted("set lists sockshell's settings: not reproduced") }
            func value() throws -> Arg {
                guard case .argument(let argument) = c[1] else { throw ShellError.type("usage: \(command.usageLine)") }
                return argument
            }
            switch setting {
            case "display":
                let mode = try Reader.plainText(try value(), label: "VALUE", usage: command.usageLine)
                guard DisplayMode(rawValue: mode) != nil else {
                    throw ShellError.value("display must be repr, hex or text, not \(pythonStringRepr(mode))")
                }
                helpers.insert(.display)
                return Translation(python: nil, script: ["DISPLAY = \(pythonStringRepr(mode))"])
            case "maxline":
                let limit = try Reader.integer(try value(), label: "VALUE", kind: .any, usage: command.usageLine)
                if let number = limit.value, number <= 0 {
                    throw ShellError.value("maxline must be a positive number of bytes")
                }
                helpers.insert(.recvuntil)
                return Translation(python: nil, script: ["MAXLINE = \(limit.code)"])
            default:
                guard settingNames.contains(setting) else {
                    let known = settingNames.joined(separator: ", ")
                    throw ShellError.value("unknown setting \(pythonStringRepr(setting)); settings: \(known)")
                }
                return omitted("set \(setting) changes what sockshell shows: not reproduced")
            }

        case "source":
            return omitted("the commands of the file follow, as sockshell ran them")

        case "jobs":
            helpers.insert(.jobs)
            return statement("list_jobs()")

        case "wait":
            helpers.insert(.jobs)
            var arguments: [String] = []
            if case .argument(let first) = c[0] {
                if first.text.hasPrefix("%"), let number = Int(first.text.dropFirst()), number > 0 {
                    arguments.append(String(number))
                } else if !first.text.hasPrefix("%") {
                    arguments = ["None", first.text == "None" ? "None" : first.text]
                } else {
                    throw ShellError.type("%N must be a job as jobs lists it, like %1, not \(first.text)")
                }
            }
            if case .source(let timeout) = c[1] { arguments.append(timeout) }
            return statement("wait_jobs(\(arguments.joined(separator: ", ")))")

        case "kill":
            return omitted("kill: a Python thread cannot be cancelled; the job is left running")

        // TLS
        case "tls", "tls_server":
            modules.insert("ssl")
            let socket = c[0].socket
            let server = command.name == "tls_server"
            let settings = try tlsSettings(c[server ? 3 : 1].arguments, serverSide: server)
            var lines: [String] = []
            let cafile = settings.caFile.map(pythonStringRepr)
            if server {
                lines.append("tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)")
                lines.append("tls_context.load_cert_chain(\(c[1].python), \(c[2].python))")
                if let cafile {
                    lines.append("tls_context.load_verify_locations(\(cafile))")
                    lines.append("tls_context.verify_mode = ssl.CERT_REQUIRED")
                }
            } else {
                lines.append("tls_context = ssl.create_default_context(\(cafile.map { "cafile=" + $0 } ?? ""))")
                if !settings.verify {
                    lines.append("tls_context.check_hostname = False")
                    lines.append("tls_context.verify_mode = ssl.CERT_NONE")
                }
            }
            if !settings.alpn.isEmpty {
                lines.append("tls_context.set_alpn_protocols([" + settings.alpn.map(pythonStringRepr).joined(separator: ", ") + "])")
            }
            if let version = settings.version {
                let name = version == 0x0304 ? "TLSv1_3" : "TLSv1_2"
                lines.append("tls_context.minimum_version = tls_context.maximum_version = ssl.TLSVersion.\(name)")
            }
            if server {
                lines.append("\(socket.variable) = tls_context.wrap_socket(\(socket.variable), server_side=True)")
            } else {
                let host = settings.serverHostname ?? connectedHosts[socket.name]
                lines.append("\(socket.variable) = tls_context.wrap_socket(\(socket.variable)"
                             + (host.map { ", server_hostname=" + pythonStringRepr($0) } ?? "") + ")")
            }
            return Translation(python: lines, script: lines)

        case "unwrap":
            let socket = c[0].socket
            return statement("\(socket.variable) = \(socket.variable).unwrap()")

        case "tlsinfo":
            let v = c[0].socket.variable
            let lines = ["print('version: ' + repr(\(v).version()))", "print('cipher: ' + repr(\(v).cipher()))",
                         "print('selected_alpn_protocol: ' + repr(\(v).selected_alpn_protocol()))",
                         "print('session_reused: ' + repr(\(v).session_reused))",
                         "print('getpeercert: ' + repr(\(v).getpeercert()))"]
            return Translation(python: lines, script: lines)

        case "certificate":
            // The standard library cannot make one: openssl's command line can,
            // though not one that has already expired.
            let days = (try? keywordOptions(c[4].arguments, allowed: ["days"], command: "certificate make"))?["days"]
                .flatMap { Int($0.text) } ?? 365
            guard days > 0 else { return omitted("certificate make with days=\(days): openssl req cannot make an expired certificate") }
            let host = c[3].optionalPython ?? "'localhost'"
            modules.insert("subprocess")
            // The subjectAltName sockshell writes: IP: for an address, and
            // localhost's loopback addresses beside its name.
            let names = "('IP:' if ipaddress_like(\(host)) else 'DNS:') + \(host) + (',IP:127.0.0.1,IP:::1' if \(host) == 'localhost' else '')"
            helpers.insert(.ipaddressLike)
            let line = "subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', \(c[2].python), "
                + "'-out', \(c[1].python), '-days', '\(days)', '-subj', '/CN=' + \(host), '-addext', 'subjectAltName=' + \(names)], "
                + "check=True, capture_output=True)"
            return statement(line)

        case "watch", "interact", "serve", "stop":
            return omitted("\(command.name) is sockshell's own: the script does not reproduce it")

        default:
            // help, history, why, record, export, and any later shell command.
            return omitted("a sockshell command with no Python counterpart: its output is not reproduced")
        }
    }

    /// Python source for an argument's literal value, `$NAME.field` included.
    func code(_ argument: Argument) -> String {
        switch argument.kind {
        case .reference(let name, let field):
            let variable = self.variable(name)
            switch field {
            case "fd": return "\(variable).fileno()"
            case "peer": return "\(variable).getpeername()"
            case "peer.host": return "\(variable).getpeername()[0]"
            case "peer.port": return "\(variable).getpeername()[1]"
            case "host": return "\(variable).getsockname()[0]"
            default: return "\(variable).getsockname()[1]"
            }
        case .scriptArgument(let number):
            usesScriptArguments()
            return "argv(\(number))"
        case .variable(let name):
            return valueVariable(name)
        case .tuple(let items):
            return "(" + items.map(code).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .list(let items):
            return "[" + items.map(code).joined(separator: ", ") + "]"
        default:
            return staticValue(argument)?.repr ?? pythonStringRepr(argument.text)
        }
    }

    // MARK: The script around the commands

    /// The script's opening: imports, settings and the helpers its commands use.
    func prelude() -> String {
        var needed = helpers
        if !renamed.isEmpty { needed.insert(.renamed) }
        var changed = true
        while changed {
            let before = needed.count
            for helper in needed { needed.formUnion(helper.requires) }
            changed = needed.count != before
        }
        let imports = (["io", "socket", "sys"] + modules.sorted() + (needed.contains(.jobs) ? ["threading"] : []))
            .sorted().map { "import \($0)" }
        var parts = [Translator.header + "\n\n" + imports.joined(separator: "\n") + "\n\n"
                     + "failed = False  # set by any failing command: the exit status is then 1, as in sockshell"]
        for helper in needed.sorted() where helper == .renamed {
            let pairs = renamed.sorted { $0.key < $1.key }.map { "\(pythonStringRepr($0.key)): \(pythonStringRepr($0.value))" }
            parts.append("# Session names Python reserves, and the variables that hold those sockets here.\n"
                         + "RENAMED = {\(pairs.joined(separator: ", "))}")
        }
        parts.append(needed.contains(.display) ? Translator.showWithDisplay : Translator.show)
        parts.append(Translator.errorLine)
        parts.append(needed.contains(.renamed) ? Translator.showErrorRenamed : Translator.showError)
        for helper in needed.sorted() {
            switch helper {
            case .renamed, .display: continue
            case .shown: parts.append(Translator.shown)
            case .save: parts.append(Translator.save)
            case .buffers: parts.append(Translator.buffers)
            case .recv: parts.append(Translator.recv)
            case .recvfrom: parts.append(Translator.recvfrom)
            case .recvuntil: parts.append(Translator.recvuntil)
            case .recvall: parts.append(Translator.recvall)
            case .accepted: parts.append(Translator.accepted)
            case .acceptDefault: parts.append(Translator.acceptDefault)
            case .selectNames: parts.append(Translator.selectNames)
            case .tcpinfo: parts.append(Translator.tcpinfo)
            case .argv: parts.append(Translator.argv)
            case .jobs: parts.append(Translator.jobs)
            case .ipaddressLike: parts.append(Translator.ipaddressLike)
            }
        }
        return parts.joined(separator: "\n\n\n")
    }

    static let header = #"""
    #!/usr/bin/env python3
    """A sockshell session as Python 3, written by sockshell's `export python`.

    Each block is one sockshell command, shown above it as `# sock> ...`. Run by
    python3, the script prints what sockshell printed: values on stdout as their
    repr, errors on stderr as the last line of the traceback, and it goes on
    after an error, as sockshell does.
    """
    """#

    static let argv = #"""
    def argv(n):
        """$N in sockshell: the script's argument N, a number when it reads as one."""
        value = sys.argv[n]
        try:
            return int(value, 0)
        except ValueError:
            return value
    """#

    static let jobs = #"""
    # `CMD &`: the command runs on a thread of its own. What it prints is kept,
    # and printed tagged with its number between two commands, once the jobs
    # had a moment to end, as sockshell prints it.
    JOBS = {}      # number -> (thread, the command as typed)
    STARTED = set()  # every number a job was given
    ENDED = []     # (number, command, stdout, stderr) in the order the jobs ended
    ENDED_LOCK = threading.Lock()
    CAPTURE = threading.local()


    class Captured(io.TextIOBase):
        """stdout or stderr: a job's thread writes into its job's record, any other thread through."""
        def __init__(self, stream, which):
            self.stream, self.which = stream, which

        def write(self, text):
            kept = getattr(CAPTURE, self.which, None)
            if kept is None:
                return self.stream.write(text)
            kept.append(text)
            return len(text)

        def flush(self):
            self.stream.flush()


    sys.stdout, sys.stderr = Captured(sys.stdout, 'out'), Captured(sys.stderr, 'err')


    def start_job(command, code):
        """Runs code (the command's Python) on a thread, numbered as a shell numbers jobs."""
        number = max(JOBS, default=0) + 1

        def run():
            CAPTURE.out, CAPTURE.err = [], []
            exec(code, globals())
            with ENDED_LOCK:
                ENDED.append((number, command, ''.join(CAPTURE.out), ''.join(CAPTURE.err)))
        thread = threading.Thread(target=run, daemon=True)
        JOBS[number] = (thread, command)
        STARTED.add(number)
        thread.start()
        print(f'[{number}] {command}')


    def settle():
        """Between two commands: the jobs get a moment to end, then those that ended print."""
        for thread, _ in list(JOBS.values()):
            thread.join(0.05)
        with ENDED_LOCK:
            ended, ENDED[:] = ENDED[:], []
        for number, command, out, err in ended:
            JOBS.pop(number, None)
            values, errors = out.splitlines(), err.splitlines()
            if errors:
                for line in values:
                    print(line)
                print(f'[{number}] {errors[0]}', file=sys.stderr)
                for line in errors[1:]:
                    print(line, file=sys.stderr)
            elif not values:
                print(f'[{number}] done: {command}')
            elif len(values) == 1:
                print(f'[{number}] done: {command} -> {values[0]}')
            else:
                print(f'[{number}] done: {command} ->')
                for line in values:
                    print(line)


    def wait_jobs(number=None, timeout=None):
        """sockshell's `wait [%N] [TIMEOUT]`: join the thread (or every one)."""
        if number is not None and number not in JOBS:
            if number not in STARTED:
                raise ProcessLookupError(f'no job %{number}')
            return
        waited = [JOBS[number]] if number is not None else list(JOBS.values())
        for thread, _ in waited:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f'timed out: job %{number} is still running' if number is not None
                                   else 'timed out: jobs are still running')


    def list_jobs():
        running = [(number, command) for number, (thread, command) in sorted(JOBS.items()) if thread.is_alive()]
        if not running:
            print('(no jobs)')
        for number, command in running:
            print(f'[{number}] running  {command}')
    """#

    /// A job's code: the command's statements, its error printed as the
    /// last line of its traceback (it does not make the script fail, as a
    /// job's error does not make sockshell's status 1).
    func jobCode(_ statements: [String]) -> String {
        helpers.insert(.jobs)
        let code = (["try:"] + statements.map { "    " + $0 }
                    + ["except Exception as e:", "    print(error_line(e), file=sys.stderr)"]).joined(separator: "\n") + "\n"
        return pythonStringRepr(code)
    }

    /// `$N` read by a command: the script needs `argv`.
    func usesScriptArguments() {
        helpers.insert(.argv)
    }

    static let show = #"""
    def show(value):
        """Print a value as Python's prompt does: nothing for None, else its repr."""
        if value is not None:
            print(repr(value))
    """#

    static let showWithDisplay = #"""
    DISPLAY = 'repr'  # `set display`: how a bytes value prints (repr, hex or text)


    def show(value):
        """Print a value as sockshell does: nothing for None, else its repr, or
        for bytes the view `set display` chose."""
        if value is None:
            return
        if isinstance(value, bytes) and DISPLAY == 'hex':
            print(hexdump(value))
        elif isinstance(value, bytes) and DISPLAY == 'text':
            print(escaped_text(value))
        else:
            print(repr(value))


    def hexdump(data):
        """bytes as `hexdump -C` shows them: offset, 16 bytes in hex, the text."""
        lines = []
        for offset in range(0, len(data), 16):
            row = data[offset:offset + 16]
            cells = [f'{byte:02x}' for byte in row] + ['  '] * (16 - len(row))
            text = ''.join(chr(byte) if 0x20 <= byte < 0x7f else '.' for byte in row)
            lines.append(f'{offset:08x}  {" ".join(cells[:8])}  {" ".join(cells[8:])}  |{text}|')
        lines.append(f'{len(data):08x}')
        return '\n'.join(lines)


    def escaped_text(data):
        """bytes decoded as UTF-8, newlines and tabs kept, every other control
        character, invalid byte and unprintable character escaped."""
        out = []
        for char in data.decode('utf-8', 'surrogateescape'):
            code = ord(char)
            if char == '\\':
                out.append('\\\\')
            elif char in '\n\t' or char.isprintable():
                out.append(char)
            elif char == '\r':
                out.append('\\r')
            elif 0xdc80 <= code <= 0xdcff:  # a byte that is not UTF-8
                out.append(f'\\x{code - 0xdc00:02x}')
            elif code < 0x100:
                out.append(f'\\x{code:02x}')
            elif code < 0x10000:
                out.append(f'\\u{code:04x}')
            else:
                out.append(f'\\U{code:08x}')
        return ''.join(out)
    """#

    static let errorLine = #"""
    def error_line(e):
        """The last line of the traceback CPython prints for e, 'Type: message'
        with its "Did you mean" (3.11's traceback module leaves that out)."""
        printed = io.StringIO()
        stderr, sys.stderr = sys.stderr, printed
        try:
            sys.__excepthook__(type(e), e, e.__traceback__)
        finally:
            sys.stderr = stderr
        return printed.getvalue().rstrip('\n').split('\n')[-1]
    """#

    static let showError = #"""
    def show_error(e):
        """Print an error as the last line of its traceback: 'Type: message'."""
        global failed
        failed = True
        print(error_line(e), file=sys.stderr)
    """#

    static let showErrorRenamed = #"""
    def show_error(e):
        """Print an error as the last line of its traceback: 'Type: message',
        naming a renamed socket by its session name."""
        global failed
        failed = True
        line = error_line(e)
        if isinstance(e, NameError) and e.name in RENAMED:
            line = f"NameError: name '{RENAMED[e.name]}' is not defined"
        print(line, file=sys.stderr)
    """#

    static let shown = #"""
    class Shown:
        """A value whose repr is the given text: sockets by their session names."""

        def __init__(self, text):
            self.text = text

        def __repr__(self):
            return self.text
    """#

    static let save = #"""
    def save(value, path, append=False):
        """`COMMAND > FILE`: bytes as they are, anything else as its repr and a
        newline (`>>` appends). None writes nothing."""
        if value is None:
            return
        data = value if isinstance(value, bytes) else (repr(value) + '\n').encode()
        with open(path, 'ab' if append else 'wb') as out:
            out.write(data)
    """#

    static let buffers = #"""
    # Bytes that recvline and recvuntil read past their delimiter, per socket:
    # the next read of any kind returns them first, so no byte is lost.
    buffers = {}
    """#

    static let recv = #"""
    def recv(sock, bufsize=4096, flags=0):
        """sock.recv, except that bytes recvline or recvuntil read ahead come first."""
        buffer = buffers.get(sock)
        if not buffer:
            return sock.recv(bufsize, flags)
        if bufsize < 0:
            raise ValueError('negative buffersize in recv')
        data = bytes(buffer[:bufsize])
        if not flags & socket.MSG_PEEK:
            del buffer[:bufsize]
        return data
    """#

    static let recvfrom = #"""
    def recvfrom(sock, bufsize=4096, flags=0):
        """sock.recvfrom, except that bytes recvline or recvuntil read ahead come
        first, with no address (they came over a stream)."""
        buffer = buffers.get(sock)
        if not buffer:
            return sock.recvfrom(bufsize, flags)
        if bufsize < 0:
            raise ValueError('negative buffersize in recvfrom')
        data = bytes(buffer[:bufsize])
        if not flags & socket.MSG_PEEK:
            del buffer[:bufsize]
        return data, None
    """#

    static let recvuntil = #"""
    MAXLINE = 1 << 20  # `set maxline`: the most bytes recvline and recvuntil gather


    def recvuntil(sock, delim):
        """Receive up to and including delim, or what there is when the peer
        closes (b'' for nothing). Bytes read past delim stay in buffers."""
        if not delim:
            raise ValueError('empty delimiter')
        buffer = buffers.setdefault(sock, bytearray())
        searched = 0
        while True:
            end = buffer.find(delim, max(0, searched - len(delim) + 1))
            if end >= 0:
                data = bytes(buffer[:end + len(delim)])
                del buffer[:end + len(delim)]
                return data
            searched = len(buffer)
            if len(buffer) >= MAXLINE:
                raise ValueError(f'no {delim!r} within maxline ({MAXLINE} bytes); '
                                 'what was read stays buffered (set maxline to raise the limit)')
            chunk = sock.recv(min(65536, MAXLINE - len(buffer) + len(delim)))
            if not chunk:
                data = bytes(buffer)
                buffer.clear()
                return data
            buffer += chunk


    def recvline(sock):
        """Receive up to and including the next newline (see recvuntil)."""
        return recvuntil(sock, b'\n')
    """#

    static let recvall = #"""
    def recvall(sock, bufsize=65536, path=None, append=False):
        """Receive until the peer closes (recv returns b''), buffered bytes first.
        With path, each piece goes to that file as it comes. If a recv fails,
        what arrived is shown (or is in the file) before the error."""
        if bufsize <= 0:
            raise ValueError('BUFSIZE must be positive')
        out = open(path, 'ab' if append else 'wb') if path else None
        data = bytearray(buffers.pop(sock, b''))
        try:
            while chunk := sock.recv(bufsize):
                data += chunk
                if out:
                    out.write(data)
                    data.clear()
        except BaseException:
            if out is None:
                show(bytes(data))
            raise
        finally:
            if out:
                out.write(data)
                out.close()
        return None if out else bytes(data)
    """#

    static let accepted = #"""
    def accepted(name, sock, addr):
        """What accept returned, as sockshell prints it: Python's socket repr with
        the session name, family and type by name, then the peer's address."""
        text = (f'<socket {name} fd={sock.fileno()}, family={getattr(sock.family, "name", sock.family)}, '
                f'type={getattr(sock.type, "name", sock.type)}, proto={sock.proto}')
        for label, method in (('laddr', sock.getsockname), ('raddr', sock.getpeername)):
            try:
                address = method()
            except OSError:
                continue
            if address:
                text += f', {label}={address}'
        return Shown(text + '>'), addr
    """#

    static let acceptDefault = #"""
    accept_numbers = {}  # listener -> the number its next default accept name tries first


    def accept_default(listener, name):
        """accept without a new name: the socket becomes the variable NAME_1,
        NAME_2, ... (the first free one; a failed accept uses no number), as
        sockshell names it. Returns what accept prints."""
        sock, addr = listener.accept()
        number = accept_numbers.get(listener, 1)
        while f'{name}_{number}' in globals():
            number += 1
        accept_numbers[listener] = number + 1
        globals()[f'{name}_{number}'] = sock
        return accepted(f'{name}_{number}', sock, addr)
    """#

    static let selectNames = #"""
    def select_names(read, write, timeout=None):
        """select.select on {name: socket} tables, answered as sockshell prints
        it: ([names ready to read], [names ready to write]). A socket with bytes
        in buffers is ready to read at once."""
        if any(buffers.get(sock) for sock in read.values()):
            ready_read = [sock for sock in read.values() if buffers.get(sock)]
            ready_write = select.select([], list(write.values()), [], 0)[1]
        else:
            ready_read, ready_write, _ = select.select(list(read.values()), list(write.values()), [], timeout)
        return ([Shown(name) for name, sock in read.items() if sock in ready_read],
                [Shown(name) for name, sock in write.items() if sock in ready_write])
    """#

    static let ipaddressLike = #"""
    def ipaddress_like(host):
        """Whether HOST is an IP address (certificate make writes IP: for one)."""
        import ipaddress
        try:
            ipaddress.ip_address(host)
            return True
        except ValueError:
            return False
    """#

    static var tcpinfo: String {
        let fields = tcpInfoFields.map { "('\($0.name)', \($0.offset), \($0.size))" }
        var rows: [String] = []
        var row = "   "
        for field in fields {
            if row.count + field.count + 2 > 100 { rows.append(row); row = "   " }
            row += " " + field + ","
        }
        rows.append(row)
        return #"""
        TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
                      'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV']
        TCP_INFO_FIELDS = [  # (name, offset, size) in struct tcp_info, linux/tcp.h
        """# + "\n" + rows.joined(separator: "\n") + "\n" + #"""
        ]


        def tcpinfo(sock):
            """The kernel's struct tcp_info for sock, field by field, as sockshell's
            tcpinfo shows it."""
            raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
            info = {name: int.from_bytes(raw[offset:offset + size], 'little')
                    for name, offset, size in TCP_INFO_FIELDS if offset + size <= len(raw)}
            if 'state' in info:
                state = info['state']
                info['state'] = TCP_STATES[state] if 0 < state < len(TCP_STATES) else f'UNKNOWN({state})'
            return info
        """#
    }

    /// `struct tcp_info` exactly as SocketCore's TCPInfo decodes it.
    static var tcpInfoFields: [(name: String, offset: Int, size: Int)] { TCPInfo.layout }

    /// The family a session name was created with, when a script knows it.
    func isUnix(_ name: String) -> Bool? {
        if let session, let entry = try? session.entry(named: name) { return entry.socket.family == AF_UNIX }
        return unix[name]
    }
}

// MARK: - Arguments

/// A command's arguments taken in order, as sockshell's `Arguments` takes
/// them, each turned into Python instead of a value. Shortfalls, leftovers and
/// arguments of the wrong kind are the same `TypeError`s sockshell gives.
private struct Reader {
    let command: Command
    let items: [Argument]
    unowned let translator: Translator
    private var index = 0
    /// The sockets looked up so far, as bare Python statements: where
    /// sockshell would stop at an unknown name, so does the script.
    private(set) var lookedUp: [String] = []

    init(_ items: [Argument], command: Command, translator: Translator) {
        self.items = items
        self.command = command
        self.translator = translator
    }

    var isEmpty: Bool { index >= items.count }
    var peek: Argument? { index < items.count ? items[index] : nil }
    var peekAfter: Argument? { index + 1 < items.count ? items[index + 1] : nil }

    func usageError() -> ShellError { .type("usage: \(command.usageLine)") }

    func badArgument(_ label: String, _ argument: Arg, expected: String) -> ShellError {
        Reader.badArgument(label, argument, expected: expected, usage: command.usageLine)
    }

    static func badArgument(_ label: String, _ argument: Arg, expected: String, usage: String) -> ShellError {
        .type("\(label) must be \(expected), not \(argument.text) (usage: \(usage))")
    }

    func finish() throws {
        if index < items.count { throw usageError() }
    }

    mutating func next() throws -> Arg {
        guard index < items.count else { throw usageError() }
        index += 1
        return resolved(items[index - 1])
    }

    /// `$NAME.port`, `$NAME.host`, `$NAME.fd` become the Python that reads them.
    private mutating func resolved(_ argument: Argument) -> Arg {
        switch argument.kind {
        case .reference(let name, let field):
            let variable = translator.variable(name)
            lookedUp.append(variable)
            switch field {
            case "fd": return Arg(kind: .integer(0), text: argument.text, expr: "\(variable).fileno()")
            case "peer": return Arg(kind: .string(""), text: argument.text, expr: "\(variable).getpeername()")
            case "peer.host": return Arg(kind: .string(""), text: argument.text, expr: "\(variable).getpeername()[0]")
            case "peer.port": return Arg(kind: .integer(0), text: argument.text, expr: "\(variable).getpeername()[1]")
            case "host": return Arg(kind: .string(""), text: argument.text, expr: "\(variable).getsockname()[0]")
            default: return Arg(kind: .integer(0), text: argument.text, expr: "\(variable).getsockname()[1]")
            }
        case .scriptArgument(let number):
            translator.usesScriptArguments()
            return Arg(kind: .string(""), text: argument.text, expr: "argv(\(number))")
        case .variable(let name):
            // Its type is known only when the script runs: each reader takes it as it comes.
            return Arg(kind: .variable(name), text: argument.text, expr: translator.valueVariable(name))
        case .tuple(let items):
            return Arg(kind: argument.kind, text: argument.text, items: items.map { resolved($0) })
        default:
            return Arg(kind: argument.kind, text: argument.text)
        }
    }

    // Names and sockets

    mutating func newName(_ label: String = "NAME") throws -> String {
        let argument = try next()
        guard case .word(let word) = argument.kind, argument.expr == nil else {
            throw badArgument(label, argument, expected: "a name")
        }
        return word
    }

    mutating func socket(_ label: String = "NAME") throws -> SocketName {
        let name = try newName(label)
        return try lookUp(name)
    }

    private mutating func lookUp(_ name: String) throws -> SocketName {
        guard isIdentifier(name) else { throw ShellError.name(name) }
        let variable = translator.variable(name)
        lookedUp.append(variable)
        return SocketName(name: name, variable: variable)
    }

    /// `[a, b]`, `(a, b)` or a single name, for `select`.
    mutating func socketList(_ label: String) throws -> [SocketName] {
        let argument = try next()
        switch argument.kind {
        case .list(let items), .tuple(let items):
            return try items.map { item in
                guard case .word(let name) = item.kind else {
                    throw badArgument(label, Arg(kind: item.kind, text: item.text), expected: "a socket name")
                }
                return try lookUp(name)
            }
        case .word(let name) where argument.expr == nil:
            return [try lookUp(name)]
        default:
            throw badArgument(label, argument, expected: "a list of socket names like [a, b]")
        }
    }

    // Numbers and constants

    mutating func integer(_ label: String) throws -> Expr {
        try integer(try next(), label: label, kind: .any)
    }

    mutating func constant(_ label: String, _ kind: ConstantKind) throws -> Expr {
        try integer(try next(), label: label, kind: kind)
    }

    func integer(_ argument: Arg, label: String, kind: ConstantKind) throws -> Expr {
        try Reader.integer(argument, label: label, kind: kind, usage: command.usageLine)
    }

    static func integer(_ argument: Arg, label: String, kind: ConstantKind, usage: String) throws -> Expr {
        switch argument.kind {
        case .variable: return Expr(code: argument.expr ?? argument.text)
        case .integer(let number):
            if let expr = argument.expr { return Expr(code: expr) }
            return Expr(code: integerLiteral(argument.text, number), value: number)
        case .bool(let flag):
            return Expr(code: flag ? "True" : "False", value: flag ? 1 : 0)
        case .word(let word):
            var names: [String] = []
            var total = 0
            for part in word.split(separator: "|", omittingEmptySubsequences: false) {
                guard let name = constantName(String(part), kind: kind),
                      let value = constantValue(String(part), kind: kind) else {
                    throw badArgument(label, argument, expected: kind == .any ? "an integer" : "an integer or a constant",
                                      usage: usage)
                }
                names.append(name)
                total |= value
            }
            return Expr(code: names.joined(separator: " | "), value: total)
        default:
            throw badArgument(label, argument, expected: "an integer", usage: usage)
        }
    }

    mutating func number(_ label: String) throws -> String {
        let argument = try next()
        switch argument.kind {
        case .integer(let number): return argument.expr ?? integerLiteral(argument.text, number)
        case .float(let number): return pythonFloatRepr(number)
        default: throw badArgument(label, argument, expected: "a number")
        }
    }

    /// Seconds or `None`.
    mutating func timeout(_ label: String) throws -> String {
        let argument = try next()
        switch argument.kind {
        case .variable: return argument.expr ?? argument.text
        case .none: return "None"
        case .integer(let number): return argument.expr ?? integerLiteral(argument.text, number)
        case .float(let number): return pythonFloatRepr(number)
        default: throw badArgument(label, argument, expected: "a number or None")
        }
    }

    mutating func boolean(_ label: String) throws -> String {
        let argument = try next()
        switch argument.kind {
        case .variable: return "bool(\(argument.expr ?? argument.text))"
        case .bool(let flag): return flag ? "True" : "False"
        case .integer(let number):
            if let expr = argument.expr { return "bool(\(expr))" }
            return number != 0 ? "True" : "False"
        case .word(let word) where ["on", "yes", "true"].contains(word.lowercased()): return "True"
        case .word(let word) where ["off", "no", "false"].contains(word.lowercased()): return "False"
        default: throw badArgument(label, argument, expected: "True or False")
        }
    }

    // Text and data

    /// A string or a bare word, as a Python str expression.
    mutating func text(_ label: String) throws -> String {
        let argument = try next()
        switch argument.kind {
        case .variable: return argument.expr ?? argument.text
        case .string(let text), .word(let text): return argument.expr ?? pythonStringRepr(text)
        case .integer, .float: return pythonStringRepr(argument.text)
        default: throw badArgument(label, argument, expected: "a string")
        }
    }

    /// A string or a bare word known now, for settings.
    static func plainText(_ argument: Arg, label: String, usage: String) throws -> String {
        switch argument.kind {
        case .string(let text) where argument.expr == nil, .word(let text): return text
        case .integer, .float: return argument.text
        default: throw badArgument(label, argument, expected: "a string", usage: usage)
        }
    }

    mutating func data(_ label: String = "DATA") throws -> DataArg {
        let argument = try next()
        switch argument.kind {
        case .variable:
            // A str is sent as UTF-8, bytes as they are, as sockshell sends them.
            let name = argument.expr ?? argument.text
            return .expression("(\(name).encode() if isinstance(\(name), str) else \(name))")
        case .bytes(let bytes): return .bytes(bytes)
        case .string(let text), .word(let text):
            if let expr = argument.expr { return .expression(expr + ".encode()") }
            return .text(text)
        case .file(let path): return .file(path)
        default: throw badArgument(label, argument, expected: "bytes, a string or @FILE")
        }
    }

    // Addresses

    /// An address for `socket`: a path for AF_UNIX, else `(HOST, PORT)`. When
    /// the family is not known, one plain argument is taken as a path.
    mutating func address(of socket: SocketName) throws -> String {
        var isUnix = translator.isUnix(socket.name)
        if isUnix == nil, let first = peek {
            if case .tuple = first.kind { isUnix = false } else { isUnix = items.count - index == 1 }
        }
        guard isUnix == true else { return try hostAndPort(anyAddress: true) }
        let argument = try next()
        switch argument.kind {
        case .string(let path), .word(let path): return argument.expr ?? pythonStringRepr(path)
        case .bytes(let path): return pythonBytesRepr(path)
        default: throw badArgument("PATH", argument, expected: "a path")
        }
    }

    /// `HOST PORT` or one tuple, as a Python tuple. With `anyAddress`, `*`
    /// (and None) mean `''`, as in sockshell's addresses.
    mutating func hostAndPort(anyAddress: Bool) throws -> String {
        // A kept value alone is the whole address (`addr = getsockname s`).
        if case .variable? = peek?.kind, items.count - index == 1 || !(peekAfter?.isPortLike ?? false) {
            let whole = try next()
            return whole.expr ?? whole.text
        }
        let first = try next()
        var host = first
        var rest: [Arg] = []
        if case .tuple = first.kind {
            guard (2...4).contains(first.items.count) else {
                throw badArgument("ADDR", first, expected: "a tuple (HOST, PORT)")
            }
            host = first.items[0]
            rest = Array(first.items.dropFirst())
        } else {
            rest = [try next()]
        }
        let hostCode: String
        switch host.kind {
        case .variable: hostCode = host.expr ?? host.text
        case .string(let text), .word(let text):
            hostCode = host.expr ?? pythonStringRepr(anyAddress && text == "*" ? "" : text)
        case .none: hostCode = "''"
        default: throw badArgument("HOST", host, expected: "a host name or address")
        }
        let numbers = try rest.enumerated().map { offset, argument in
            try integer(argument, label: ["PORT", "FLOWINFO", "SCOPEID"][offset], kind: .any).code
        }
        return "(" + ([hostCode] + numbers).joined(separator: ", ") + ")"
    }
}

extension Reader: ParameterReader {
    static var absent: Code { .absent }

    mutating func read(_ parameter: Parameter, label: String) throws -> Code {
        switch parameter.kind {
        case .socket: return .socket(try socket(label))
        case .newName: return .name(try newName(label))
        case .port, .integer: return .expr(try integer(label))
        case .family: return .expr(try constant(label, .family))
        case .type: return .expr(try constant(label, .type))
        case .proto, .level: return .expr(try constant(label, .level))
        case .option: return .expr(try constant(label, .option))
        case .flags, .aiflags, .niflags: return .expr(try constant(label, .flags))
        case .shutdown: return .expr(try constant(label, .shutdown))
        case .timeout: return .source(try timeout(label))
        case .seconds: return .source(parameter.acceptsNone ? try timeout(label) : try number(label))
        case .sockets: return .sockets(try socketList(label))
        case .bool: return .source(try boolean(label))
        case .data: return .data(try data(label))
        case .setting: return .plain(try Reader.plainText(try next(), label: label, usage: command.usageLine))
        case .any, .job, .tlsOption: return .argument(try next())
        case .host, .service, .protocol, .path, .command: return .source(try text(label))
        }
    }

    mutating func address(_ parameter: Parameter, receiver: Code?) throws -> Code {
        if case .socket(let socket)? = receiver { return .source(try address(of: socket)) }
        return .source(try hostAndPort(anyAddress: parameter.anyAddress))
    }

    mutating func hostAndServiceOrNone() throws -> (host: Code, port: Code) {
        let host = try next()
        let hostCode: String
        switch host.kind {
        case .none: hostCode = "None"
        case .string(let text), .word(let text): hostCode = host.expr ?? pythonStringRepr(text)
        default: throw badArgument("HOST", host, expected: "a host name, an address or None")
        }
        let port = try next()
        let portCode: String
        switch port.kind {
        case .none: portCode = "None"
        case .integer(let number): portCode = port.expr ?? integerLiteral(port.text, number)
        case .string(let text), .word(let text): portCode = port.expr ?? pythonStringRepr(text)
        default: throw badArgument("PORT", port, expected: "a port, a service name or None")
        }
        return (.source(hostCode), .source(portCode))
    }

    mutating func familyAndType(_ word: String) throws -> (family: Code, type: Code)? {
        guard let pair = Translator.shorthand(word) else { return nil }
        _ = try next()
        return (.expr(pair.family), .expr(pair.type))
    }

    /// The arguments as typed, for `echo`: a `$NAME.field` among them is
    /// looked up now (top level) or when the script runs (inside a tuple).
    mutating func rest() throws -> Code {
        var given: [Argument] = []
        while let argument = peek {
            _ = try next()
            given.append(argument)
        }
        return .arguments(given)
    }
}

// MARK: - Literals

extension Argument {
    /// Whether it can be a port after a HOST: a number or a value known later.
    var isPortLike: Bool {
        switch kind {
        case .integer, .bigInteger, .variable, .reference, .scriptArgument: return true
        default: return false
        }
    }
}

/// The Python value an argument literally is, as sockshell's `echo` prints it
/// (`Arguments.value(of:)`); nil when a `$NAME.field` in it is read at run time.
private func staticValue(_ argument: Argument) -> Value? {
    switch argument.kind {
    case .word(let text), .string(let text): return .str(text)
    case .bytes(let bytes): return .bytes(bytes)
    case .integer(let number): return .int(number)
    case .bigInteger(let digits): return .verbatim(digits)
    case .surrogateString(let points): return .verbatim(pythonStringRepr(codePoints: points))
    case .float(let number): return .float(number)
    case .none: return Value.none
    case .bool(let flag): return .bool(flag)
    case .file: return .str(argument.text)
    case .reference, .scriptArgument, .variable: return nil
    case .tuple(let items):
        let values = items.map(staticValue)
        return values.contains { $0 == nil } ? nil : .tuple(values.compactMap { $0 })
    case .list(let items):
        let values = items.map(staticValue)
        return values.contains { $0 == nil } ? nil : .list(values.compactMap { $0 })
    }
}

/// An integer as Python source: hex, octal and binary as typed, anything
/// else in decimal (`010` and `1_000` are typed forms Python reads otherwise
/// or that read better plainly).
private func integerLiteral(_ text: String, _ value: Int) -> String {
    var digits = Substring(text.lowercased())
    if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
    if digits.hasPrefix("0x") || digits.hasPrefix("0o") || digits.hasPrefix("0b") { return text }
    return String(value)
}

/// The Python names of the short words of each kind of constant.
func pythonConstantShortNames(_ kind: ConstantKind) -> [String: String] {
    switch kind {
    case .family: return ["inet": "AF_INET", "inet6": "AF_INET6", "unix": "AF_UNIX", "unspec": "AF_UNSPEC"]
    case .type: return ["stream": "SOCK_STREAM", "dgram": "SOCK_DGRAM", "raw": "SOCK_RAW", "seqpacket": "SOCK_SEQPACKET"]
    case .level: return ["tcp": "IPPROTO_TCP", "udp": "IPPROTO_UDP", "ip": "IPPROTO_IP", "ipv6": "IPPROTO_IPV6",
                         "socket": "SOL_SOCKET"]
    case .shutdown: return ["rd": "SHUT_RD", "wr": "SHUT_WR", "rdwr": "SHUT_RDWR"]
    case .option, .flags, .any: return [:]
    }
}

/// `socket.NAME` for a constant word as sockshell reads it where `kind` goes.
private func constantName(_ word: String, kind: ConstantKind) -> String? {
    if let short = pythonConstantShortNames(kind)[word] { return "socket." + short }
    let name = word.hasPrefix("socket.") ? String(word.dropFirst("socket.".count)) : word
    return PythonConstants.byName[name] != nil ? "socket." + name : nil
}
