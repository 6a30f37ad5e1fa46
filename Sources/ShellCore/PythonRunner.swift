import SocketCore
import Glibc

/// Runs the Python lines `PythonSyntax` reads (SPEC section 8). Every call
/// becomes the command its declaration says it is (`PythonCall.method` or
/// `.function`, else the command of the method's name), with the evaluated
/// Python arguments as its Arguments, and runs through `Runner.run(_:location:)`
/// as the typed command would: its value, its output and its errors are the
/// command's. Only what Python itself refuses before the call (a str given to
/// `send`, an unknown name or attribute) is raised here, in Python's words.

/// What a Python name or expression stands for while a line is evaluated.
indirect enum PythonObject {
    /// A literal as the lexer read it (kept as it is, so a big integer or a
    /// lone surrogate reaches the command as typed).
    case literal(Argument)
    case value(Value)
    /// `socket.AF_INET`: reaches a command as the word `AF_INET`.
    case constant(String, Int)
    case tuple([PythonObject])
    case list([PythonObject])
    case module(String)
    /// A session socket, by its name.
    case socket(String)
    case function(module: String, name: String)
    case method(socket: String, name: String)
    /// A builtin: `len`, `str`, `print`, ...
    case builtin(String)
    /// A method of a str, bytes or int value: `data.decode`.
    case boundMethod(Value, String)
}

/// A call's command failed and the runner already printed its error.
private struct CommandFailed: Error {
    let outcome: Runner.Outcome
}

enum PythonNames {
    /// The modules sockshell's Python knows; `sys` is accepted so that
    /// `import socket, sys` works, and offers nothing.
    static let modules: Set<String> = ["socket", "select", "time", "sys"]

    /// `dir(socket.socket)` in CPython 3.11: the names `AttributeError`
    /// suggestions are chosen from, in dir()'s order.
    static let socketAttributes = [
        "__class__", "__del__", "__delattr__", "__dir__", "__doc__", "__enter__", "__eq__", "__exit__", "__format__",
        "__ge__", "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__", "__le__",
        "__lt__", "__module__", "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__", "__setattr__",
        "__sizeof__", "__slots__", "__str__", "__subclasshook__", "__weakref__", "_accept", "_check_sendfile_params",
        "_closed", "_decref_socketios", "_io_refs", "_real_close", "_sendfile_use_send", "_sendfile_use_sendfile",
        "accept", "bind", "close", "connect", "connect_ex", "detach", "dup", "family", "fileno", "get_inheritable",
        "getblocking", "getpeername", "getsockname", "getsockopt", "gettimeout", "listen", "makefile", "proto",
        "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "recvmsg_into", "send", "sendall", "sendfile",
        "sendmsg", "sendmsg_afalg", "sendto", "set_inheritable", "setblocking", "setsockopt", "settimeout",
        "shutdown", "timeout", "type",
    ]

    /// The socket module's names that are not constants, as dir(socket) has them.
    static let socketModuleNames = [
        "AF_DECnet", "AddressInfo", "IntEnum", "IntFlag", "MsgFlag", "SocketIO", "SocketKind", "SocketType",
        "_GLOBAL_DEFAULT_TIMEOUT", "_GiveupOnSendfile", "_LOCALHOST", "_LOCALHOST_V6", "__all__", "__builtins__",
        "__cached__", "__doc__", "__file__", "__loader__", "__name__", "__package__", "__spec__", "_blocking_errnos",
        "_intenum_converter", "_socket", "array", "close", "create_connection", "create_server", "dup", "errno",
        "error", "fromfd", "gaierror", "getaddrinfo", "getdefaulttimeout", "getfqdn", "gethostbyaddr",
        "gethostbyname", "gethostbyname_ex", "gethostname", "getnameinfo", "getprotobyname", "getservbyname",
        "getservbyport", "has_dualstack_ipv6", "has_ipv6", "herror", "htonl", "htons", "if_indextoname",
        "if_nameindex", "if_nametoindex", "inet_aton", "inet_ntoa", "inet_ntop", "inet_pton", "io", "ntohl", "ntohs",
        "os", "recv_fds", "selectors", "send_fds", "setdefaulttimeout", "sethostname", "socket", "socketpair", "sys",
        "timeout",
    ]

    static let socketModuleDir: [String] = (socketModuleNames + PythonConstants.byName.keys).sorted()

    /// The commands declared as a method or a function, by its name, made
    /// once: a replayed Python line looks its call up here (the walk over
    /// the table, with a String made per entry, was a sixth of its cost).
    private static let declaredMethods: [String: Command] = {
        var table: [String: Command] = [:]
        for command in CommandTable.all { if let method = command.pythonCall?.method, table[method] == nil { table[method] = command } }
        return table
    }()

    private static let declaredFunctions: [String: Command] = {
        var table: [String: Command] = [:]
        for command in CommandTable.all {
            if let function = command.pythonCall?.function, table[function] == nil { table[function] = command }
        }
        return table
    }()

    /// The command a socket method runs: the one declared as that method,
    /// else the command of its name that takes a socket first.
    static func command(forMethod method: String) -> Command? {
        if let declared = declaredMethods[method] { return declared }
        guard let command = CommandTable.lookup(method), command.parameters.first?.kind == .socket else { return nil }
        return command
    }

    /// The command `module.name(...)` runs.
    static func command(forFunction name: String, in module: String) -> Command? {
        if let declared = declaredFunctions["\(module).\(name)"] { return declared }
        switch module {
        case "socket":
            guard socketModuleNames.contains(name), let command = CommandTable.lookup(name),
                  command.parameters.first?.kind != .socket else { return nil }
            return command
        case "time": return name == "sleep" ? CommandTable.lookup("sleep") : nil
        case "builtins": return name == "exit" || name == "quit" ? CommandTable.lookup("quit") : nil
        default: return nil
        }
    }

    /// A call's arguments in the order its command takes them: keywords
    /// put in their places, a skipped parameter given its default.
    static func placing(_ keywords: [(String, PythonObject)], after positional: [PythonObject],
                        for callee: PythonObject) throws -> [PythonObject] {
        var signature: PythonSignature?, owner = ""
        switch callee {
        case .function(let module, let function):
            // Python's signature is its command's declaration's.
            if module == "socket" { signature = command(forFunction: function, in: module)?.pythonSignature }
            owner = function
        case .method(_, let method):
            owner = "socket.\(method)"
        default: break
        }
        guard let table = signature else {
            if keywords.isEmpty { return positional }
            throw ShellError.type("\(owner)() takes no keyword arguments")
        }
        if let limit = table.positionalLimit, positional.count > limit {
            throw ShellError.type("\(table.owner)() takes \(limit) positional argument but \(positional.count) were given")
        }
        guard !keywords.isEmpty else { return positional }
        var placed: [PythonObject?] = positional
        for (keyword, object) in keywords {
            if table.unsupported.contains(keyword) {
                throw ShellError("SyntaxError", "sockshell's \(table.owner)() has no \(keyword)=")
            }
            guard let position = table.names.firstIndex(of: keyword) else {
                throw ShellError.type("\(table.owner)() got an unexpected keyword argument '\(keyword)'")
            }
            if position < positional.count {
                throw ShellError.type("\(table.owner)() got multiple values for argument '\(keyword)'")
            }
            while placed.count <= position { placed.append(nil) }
            placed[position] = object
        }
        return try placed.enumerated().map { position, object in
            if let object { return object }
            guard let word = table.defaults[position] else {
                throw ShellError.type("\(table.owner)() missing required argument: '\(table.names[position])'")
            }
            return .literal(try Lexer.literal(word))
        }
    }

    /// CPython's "Did you mean" (Python/suggestions.c): the nearest name
    /// by its Levenshtein distance, a case change costing half a move.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 40 else { return nil }
        var best: (String, Int)?
        for candidate in candidates where candidate != name {
            let candidateBytes = Array(candidate.utf8)
            guard candidateBytes.count <= 40 else { continue }
            var maximum = (nameBytes.count + candidateBytes.count + 3) * 2 / 6
            if let best, best.1 - 1 < maximum { maximum = best.1 - 1 }
            let distance = levenshtein(nameBytes, candidateBytes)
            if distance > maximum { continue }
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best?.0
    }

    private static func levenshtein(_ a: [UInt8], _ b: [UInt8]) -> Int {
        func cost(_ x: UInt8, _ y: UInt8) -> Int {
            if x & 31 != y & 31 { return 2 }
            if x == y { return 0 }
            let lowerX = (0x41...0x5A).contains(x) ? x + 32 : x, lowerY = (0x41...0x5A).contains(y) ? y + 32 : y
            return lowerX == lowerY ? 1 : 2
        }
        var row = Array(stride(from: 0, through: b.count * 2, by: 2))
        for (i, x) in a.enumerated() {
            var previous = row[0]
            row[0] = (i + 1) * 2
            for (j, y) in b.enumerated() {
                let substitution = previous + cost(x, y)
                previous = row[j + 1]
                row[j + 1] = min(substitution, row[j] + 2, previous + 2)
            }
        }
        return row[b.count]
    }
}

extension Runner {
    /// The name a call's value is kept under while a Python line uses it.
    private static let scratch = "__sockshell_python_value"

    /// Runs one line `PythonSyntax.isPython` accepted.
    func runPython(_ line: String, location: Location?) throws -> Outcome {
        // What jobs printed goes between lines, as between commands.
        if session.hasAsynchronousLines { reportBetweenCommands() }
        defer { if session.hasAsynchronousLines { reportBetweenCommands() } }
        if Interruption.isPending { return report(Interrupted(), location: location, command: nil) }
        try stopIfOutputLost(at: location, command: nil)
        // A bare `>>>` or `...` pasted from a Python session does nothing, as an empty line.
        if PythonSyntax.unprompted(line).allSatisfy({ $0 == " " || $0 == "\t" }) { return .succeeded }
        if echo { output.value("sock> " + escapedLine(line.trimmingSpaces)) }
        recording?.command(line.trimmingSpaces)
        // The line is logged as Python, not as the commands it runs: its
        // names and expressions are read again when the export runs.
        let text = PythonSyntax.unprompted(line).trimmingSpaces
        pythonLineDepth += 1
        defer { pythonLineDepth -= 1 }
        var parsed = false
        do {
            let statement = try PythonSyntax.statement(line)
            parsed = true
            if case .print = statement {} else { flushPendingPrint() }
            try execute(statement, location: location)
            try stopIfOutputLost(at: location, command: nil)
            session.commandLog.append(.python(text, refusal: nil))
            return .succeeded
        } catch let exit as ExitRequest {
            session.commandLog.append(.python(text, refusal: nil))
            throw exit
        } catch let failed as CommandFailed {
            // Not a line Ctrl-C ended: exported, it would block for ever.
            if failed.outcome != .interrupted { session.commandLog.append(.python(text, refusal: nil)) }
            return failed.outcome
        } catch {
            if !(error is Interrupted) {
                let shellError = ShellError(error)
                let refused = !parsed || shellError.message.contains("sockshell")
                session.commandLog.append(.python(text, refusal: refused ? shellError : nil))
            }
            return report(error, location: location, command: nil)
        }
    }

    /// What `print(..., end='')` left without its newline: the next print
    /// continues it, and anything else (or the line's end at the prompt)
    /// shows it first.
    func flushPendingPrint() {
        guard let pending = session.pendingPrint else { return }
        session.pendingPrint = nil
        emitValue(pending)
    }

    private func execute(_ statement: PythonStatement, location: Location?) throws {
        switch statement {
        case .importModules(let modules):
            for module in modules {
                guard PythonNames.modules.contains(module) else {
                    throw ShellError("ModuleNotFoundError", "No module named '\(module)' (sockshell knows socket, select and time)")
                }
            }
            session.pythonModules.formUnion(modules)
        case .importAll(let module):
            guard PythonNames.modules.contains(module) else {
                throw ShellError("ModuleNotFoundError", "No module named '\(module)' (sockshell knows socket, select and time)")
            }
            session.pythonStarImports.insert(module)
        case .print(let items, let keywords):
            try printItems(items.map { try evaluate($0, location: location) },
                           keywords.map { ($0.0, try evaluate($0.1, location: location)) })
        case .expression(let expression):
            if case .call(let calleeExpression, let argumentExpressions, let keywordExpressions) = expression {
                let callee = try evaluate(calleeExpression, location: location)
                if isCommand(callee) {
                    // The command prints its own value, as it does typed.
                    try run(call: callee, try argumentExpressions.map { try evaluate($0, location: location) },
                            keywords: try keywordExpressions.map { ($0.0, try evaluate($0.1, location: location)) },
                            newNames: [], keep: nil, location: location)
                    return
                }
                let arguments = try argumentExpressions.map { try evaluate($0, location: location) }
                let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, location: location)) }
                if case .builtin("print") = callee {
                    try printItems(arguments, keywords)
                    return
                }
                // The callee is evaluated once: `b.recv(100).strip()` reads once.
                let shown = try text(of: try call(callee, arguments, keywords, location: location), repr: true)
                if shown != "None" { emitValue(shown) }
                return
            }
            let object = try evaluate(expression, location: location)
            let shown = try text(of: object, repr: true)
            if shown != "None" { emitValue(shown) }
        case .assign(let targets, let expression):
            try assign(targets, expression, location: location)
        }
    }

    /// `print(*ITEMS, sep=' ', end='\n')`.
    private func printItems(_ items: [PythonObject], _ keywords: [(String, PythonObject)]) throws {
        var separator = " ", end = "\n"
        for (key, object) in keywords {
            let value = try self.value(of: object)
            switch key {
            case "sep", "end":
                let text: String
                switch value {
                case .none: text = key == "sep" ? " " : "\n"
                case .str(let string): text = string
                default: throw ShellError.type("\(key) must be None or a string, not \(PythonOperations.typeName(of: value))")
                }
                if key == "sep" { separator = text } else { end = text }
            case "flush": break
            case "file":
                guard value == .none else { throw ShellError("SyntaxError", "sockshell's print writes to the screen only, not to file=") }
            default:
                throw ShellError.type("'\(key)' is an invalid keyword argument for print()")
            }
        }
        var text = (session.pendingPrint ?? "") + (try items.map { try self.text(of: $0, repr: false) }.joined(separator: separator)) + end
        session.pendingPrint = nil
        guard text.hasSuffix("\n") else {
            // The part up to its last newline shows now; the rest waits for the line's end.
            if let newline = text.lastIndex(of: "\n") {
                emitValue(String(text[..<newline]))
                text = String(text[text.index(after: newline)...])
            }
            session.pendingPrint = text
            return
        }
        text.removeLast()
        emitValue(text)
    }

    private func isCommand(_ callee: PythonObject) -> Bool {
        switch callee {
        case .method, .function: return true
        default: return false
        }
    }

    private func assign(_ targets: [String], _ expression: PythonExpression, location: Location?) throws {
        guard case .call(let calleeExpression, let argumentExpressions, let keywordExpressions) = expression else {
            let object = try evaluate(expression, location: location)
            try keep(object, as: targets)
            return
        }
        let callee = try evaluate(calleeExpression, location: location)
        let arguments = try argumentExpressions.map { try evaluate($0, location: location) }
        let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, location: location)) }
        guard isCommand(callee) else {
            try keep(try call(callee, arguments, keywords, location: location), as: targets)
            return
        }
        let command = try self.command(for: callee)
        // A call that makes sockets names them after its targets, as the
        // command takes its new names first: `s = socket.socket()` is
        // `socket s`, `a, b = socket.socketpair()` is `socketpair a b`.
        let newNames = command.parameters.prefix { $0.kind == .newName }.count
        if newNames > 0, command.name != "accept" {
            guard targets.count == newNames else {
                throw ShellError("ValueError", "\(command.name) makes \(newNames) socket\(newNames == 1 ? "" : "s"): "
                                 + "assign \(newNames == 1 ? "it to one name" : "them to \(newNames) names")")
            }
            for target in targets { session.variables[target] = nil }
            // These commands print nothing, as Python's assignment does.
            try run(call: callee, arguments, keywords: keywords, newNames: targets, keep: nil, location: location)
            return
        }
        if command.name == "accept", targets.count == 2 {
            // `conn, addr = srv.accept()`: the new socket is conn, addr the address.
            try run(call: callee, arguments + [.literal(Argument(kind: .word(targets[0]), column: 1, text: targets[0]))],
                    keywords: keywords, newNames: [], keep: Runner.scratch, location: location)
            let value = session.variables.removeValue(forKey: Runner.scratch)
            if case .tuple(let items)? = value, items.count == 2 { session.variables[targets[1]] = items[1] }
            return
        }
        if targets.count == 1 {
            if session.contains(targets[0]) {
                throw ShellError("ValueError", "'\(targets[0])' names an open socket: keep the value under another name")
            }
            try run(call: callee, arguments, keywords: keywords, newNames: [], keep: targets[0], location: location)
            return
        }
        try run(call: callee, arguments, keywords: keywords, newNames: [], keep: Runner.scratch, location: location)
        let value = session.variables.removeValue(forKey: Runner.scratch) ?? .none
        try keep(.value(value), as: targets)
    }

    /// `x = VALUE` and `a, b = VALUE`, unpacked as Python unpacks.
    private func keep(_ object: PythonObject, as targets: [String]) throws {
        if case .socket(let name) = object {
            throw ShellError("SyntaxError", "sockshell names a socket once; '\(targets.joined(separator: ", ")) = \(name)' would give '\(name)' a second name")
        }
        let value = try self.value(of: object)
        for target in targets where session.contains(target) {
            throw ShellError("ValueError", "'\(target)' names an open socket: keep the value under another name")
        }
        if targets.count == 1 {
            session.variables[targets[0]] = value
            return
        }
        let items: [Value]
        switch value {
        case .tuple(let values), .list(let values): items = values
        case .str, .bytes, .dict: items = try PythonOperations.elements(value)
        default: throw ShellError.type("cannot unpack non-iterable \(PythonOperations.typeName(of: value)) object")
        }
        guard items.count == targets.count else {
            if items.count > targets.count { throw ShellError.value("too many values to unpack (expected \(targets.count))") }
            throw ShellError.value("not enough values to unpack (expected \(targets.count), got \(items.count))")
        }
        for (target, item) in zip(targets, items) { session.variables[target] = item }
    }

    private func command(for callee: PythonObject) throws -> Command {
        switch callee {
        case .method(_, let name):
            guard let command = PythonNames.command(forMethod: name) else {
                throw ShellError("SyntaxError", "sockshell has no command for socket.\(name)()")
            }
            return command
        case .function(let module, let name):
            guard let command = PythonNames.command(forFunction: name, in: module) else {
                // select.select's four lists are not the command's arguments.
                let spelt = CommandTable.lookup(name).map { "; as a command: \($0.usageLine)" } ?? ""
                throw ShellError("SyntaxError", "sockshell has no Python form of \(module).\(name)()\(spelt)")
            }
            return command
        default:
            throw ShellError.type("'\(typeName(of: callee))' object is not callable")
        }
    }

    /// A call in the middle of an expression: its value, not printed.
    private func call(_ callee: PythonObject, _ arguments: [PythonObject], _ keywords: [(String, PythonObject)],
                      location: Location?) throws -> PythonObject {
        switch callee {
        case .builtin("print"):
            try printItems(arguments, keywords)
            return .value(.none)
        case .builtin(let name):
            return .value(try PythonOperations.callBuiltin(name, try arguments.map(value(of:)),
                                                           keywords: try keywords.map { ($0.0, try value(of: $0.1)) }))
        case .boundMethod(let receiver, let name):
            return .value(try PythonOperations.callMethod(receiver, name, try arguments.map(value(of:)),
                                                          keywords: try keywords.map { ($0.0, try value(of: $0.1)) }))
        case .method, .function:
            try run(call: callee, arguments, keywords: keywords, newNames: [], keep: Runner.scratch, location: location)
            return .value(session.variables.removeValue(forKey: Runner.scratch) ?? .none)
        default:
            throw ShellError.type("'\(typeName(of: callee))' object is not callable")
        }
    }

    /// Runs the call's command. With `keep` the value is kept under that
    /// name instead of printed (a scratch name, for a value used in the line).
    private func run(call callee: PythonObject, _ positional: [PythonObject], keywords: [(String, PythonObject)],
                     newNames: [String], keep: String?, location: Location?) throws {
        let command = try self.command(for: callee)
        let arguments = try PythonNames.placing(keywords, after: positional, for: callee)
        var words: [Argument] = newNames.map { Argument(kind: .word($0), column: 1, text: $0) }
        if case .method(let socket, let method) = callee {
            words.append(Argument(kind: .word(socket), column: 1, text: socket))
            // Python's socket takes bytes only; the command also takes text.
            if ["send", "sendall", "sendto"].contains(method), let data = arguments.first, isText(data) {
                throw ShellError.type("a bytes-like object is required, not 'str'")
            }
            if command.pythonCall?.pairsAddress == true {
                let position = method == "sendto" ? 1 : 0
                if position < arguments.count { try checkAddress(arguments[position], of: socket, method: method) }
            }
        } else if newNames.isEmpty, command.parameters.first?.kind == .newName {
            let spelt = command.python.contains(" = ") ? command.python : "NAME = \(command.python)"
            throw ShellError("SyntaxError", "give the new socket a name: \(spelt)")
        }
        words += try arguments.map(argument(for:))
        // As the typed command would be logged for `export python`, its
        // assignment included: the export prints what this line printed.
        let source = (keep.map { "\($0) = " } ?? "") + ([command.name] + words.map(\.text)).joined(separator: " ")
        let parsed = ParsedCommand(name: command.name, arguments: words, redirect: nil, assignment: keep, source: source)
        let outcome = try run(parsed, location: location)
        if outcome != .succeeded { throw CommandFailed(outcome: outcome) }
    }

    /// An AF_INET or AF_INET6 address as Python's socket parses it before
    /// the call: a tuple of the right length (the command would take its
    /// HOST and PORT apart, and say so in its own words).
    private func checkAddress(_ object: PythonObject, of socket: String, method: String) throws {
        let family = try session.entry(named: socket).socket.family
        guard family == AF_INET || family == AF_INET6 else { return }
        let familyName = family == AF_INET ? "AF_INET" : "AF_INET6"
        let count: Int
        switch object {
        case .tuple(let items): count = items.count
        case .value(.tuple(let items)): count = items.count
        default: throw ShellError.type("\(method)(): \(familyName) address must be tuple, not \(typeName(of: object))")
        }
        if family == AF_INET, count != 2 { throw ShellError.type("AF_INET address must be a pair (host, port)") }
        if family == AF_INET6, !(2...4).contains(count) {
            throw ShellError.type("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])")
        }
    }

    private func isText(_ object: PythonObject) -> Bool {
        switch object {
        case .literal(let argument):
            if case .string = argument.kind { return true }
            if case .surrogateString = argument.kind { return true }
            return false
        case .value(.str): return true
        default: return false
        }
    }

    // MARK: Evaluation

    private func evaluate(_ expression: PythonExpression, location: Location?) throws -> PythonObject {
        switch expression {
        case .literal(let argument):
            return .literal(argument)
        case .name(let name):
            return try lookup(name)
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, location: location) })
        case .list(let items):
            return .list(try items.map { try evaluate($0, location: location) })
        case .attribute(let base, let attribute):
            return try self.attribute(attribute, of: try evaluate(base, location: location))
        case .index(let base, let position):
            let container = try value(of: try evaluate(base, location: location))
            return .value(try PythonOperations.index(container, try value(of: try evaluate(position, location: location))))
        case .slice(let base, let start, let stop, let step):
            let container = try value(of: try evaluate(base, location: location))
            func part(_ expression: PythonExpression?) throws -> Value? {
                try expression.map { try value(of: try evaluate($0, location: location)) }
            }
            return .value(try PythonOperations.slice(container, try part(start), try part(stop), try part(step)))
        case .binary(let operation, let leftExpression, let rightExpression):
            let left = try evaluate(leftExpression, location: location)
            if operation == "and" || operation == "or" {
                let truth = PythonOperations.truthy(try value(of: left))
                return truth == (operation == "or") ? left : try evaluate(rightExpression, location: location)
            }
            let right = try evaluate(rightExpression, location: location)
            return .value(try PythonOperations.binary(operation, try operand(left), try operand(right)))
        case .unary(let operation, let operandExpression):
            return .value(try PythonOperations.unary(operation, try operand(try evaluate(operandExpression, location: location))))
        case .conditional(let condition, let yes, let no):
            let truth = PythonOperations.truthy(try value(of: try evaluate(condition, location: location)))
            return try evaluate(truth ? yes : no, location: location)
        case .formatted(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let piece): text += piece
                case .field(let expression, let conversion, let spec):
                    let value = try PythonOperations.convert(try self.value(of: try evaluate(expression, location: location)), conversion)
                    text += try PythonOperations.format(value, spec: spec)
                }
            }
            return .value(.str(text))
        case .call(let calleeExpression, let argumentExpressions, let keywordExpressions):
            let callee = try evaluate(calleeExpression, location: location)
            let arguments = try argumentExpressions.map { try evaluate($0, location: location) }
            let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, location: location)) }
            return try call(callee, arguments, keywords, location: location)
        }
    }

    /// A value an operator works on: a big integer literal is refused in
    /// words, not taken for an object.
    private func operand(_ object: PythonObject) throws -> Value {
        if case .literal(let argument) = object {
            if case .bigInteger = argument.kind { throw ShellError("OverflowError", "integer past 64 bits: sockshell's Python keeps integers in 64 bits") }
            if case .surrogateString = argument.kind { throw ShellError("SyntaxError", "sockshell's Python computes nothing on a str with a lone surrogate") }
        }
        switch object {
        case .socket, .module, .function, .method, .builtin, .boundMethod:
            // Python compares them by identity; sockshell names them instead.
            throw ShellError.type("unsupported operand type for a \(typeName(of: object)) in sockshell's Python")
        default:
            return try value(of: object)
        }
    }

    private func lookup(_ name: String) throws -> PythonObject {
        if session.contains(name) { return .socket(name) }
        if let value = session.variables[name] { return .value(value) }
        if session.pythonModules.contains(name) { return .module(name) }
        // `exit()` and `quit()` leave, as at Python's prompt.
        if name == "exit" || name == "quit" { return .function(module: "builtins", name: name) }
        for module in session.pythonStarImports.sorted() {
            if let object = try? attribute(name, of: .module(module)) { return object }
        }
        if name == "print" || PythonOperations.builtins.contains(name) { return .builtin(name) }
        if PythonOperations.unsupportedBuiltins.contains(name) {
            let advice = name == "open" ? " (sendfile and recvall > FILE read and write files)"
                : name == "range" || name == "enumerate" ? " (sockshell runs one call a line)" : ""
            throw ShellError("SyntaxError", "sockshell's Python has no \(name)()\(advice)")
        }
        throw ShellError.name(name)
    }

    private func attribute(_ name: String, of object: PythonObject) throws -> PythonObject {
        switch object {
        case .module("socket"):
            if let number = PythonConstants.byName[name] { return .constant(name, number) }
            if PythonNames.socketModuleNames.contains(name) { return .function(module: "socket", name: name) }
            throw attributeError("module 'socket'", name, among: PythonNames.socketModuleDir)
        case .module(let module):
            if module == "time" && name == "sleep" || module == "select" && name == "select" {
                return .function(module: module, name: name)
            }
            throw ShellError("AttributeError", "module '\(module)' has no attribute '\(name)'")
        case .socket(let socket):
            // socket.py's properties are values, not methods.
            switch name {
            case "family", "type", "proto":
                let entry = try session.entry(named: socket).socket
                let number = Int(name == "family" ? entry.family : name == "type" ? entry.type : entry.proto)
                let names = name == "family" ? PythonConstants.addressFamilies : name == "type" ? PythonConstants.socketKinds : [:]
                return .value(names[number].map { constantValue($0, number) } ?? .int(number))
            case "timeout":
                return try call(.method(socket: socket, name: "gettimeout"), [], [], location: nil)
            default: break
            }
            if PythonNames.socketAttributes.contains(name) { return .method(socket: socket, name: name) }
            throw attributeError("'socket' object", name, among: PythonNames.socketAttributes)
        case .function, .method, .builtin, .boundMethod:
            throw ShellError("AttributeError", "'builtin_function_or_method' object has no attribute '\(name)'")
        default:
            let value = try self.value(of: object)
            let known = PythonOperations.attributes(of: value)
            if known.contains(name) {
                if case .str = value { return .boundMethod(value, name) }
                if case .bytes = value { return .boundMethod(value, name) }
                if PythonOperations.integer(value) != nil { return .boundMethod(value, name) }
                throw ShellError("SyntaxError", "sockshell's Python has no \(PythonOperations.typeName(of: value)).\(name)()")
            }
            throw attributeError("'\(PythonOperations.typeName(of: value))' object", name, among: known)
        }
    }

    private func attributeError(_ owner: String, _ name: String, among candidates: [String]) -> ShellError {
        var message = "\(owner) has no attribute '\(name)'"
        if let suggestion = PythonNames.suggestion(for: name, among: candidates) { message += ". Did you mean: '\(suggestion)'?" }
        return ShellError("AttributeError", message)
    }

    // MARK: Conversion

    private func value(of object: PythonObject) throws -> Value {
        switch object {
        case .literal(let argument): return literalValue(argument)
        case .value(let value): return value
        case .constant(let name, let number): return constantValue(name, number)
        case .tuple(let items): return .tuple(try items.map(value(of:)))
        case .list(let items): return .list(try items.map(value(of:)))
        case .module(let name): return .verbatim("<module '\(name)'>")
        case .socket(let name): return .verbatim(socketRepr(try session.entry(named: name)))
        case .function(_, let name), .builtin(let name): return .verbatim("<built-in function \(name)>")
        case .method(_, let name): return .verbatim("<built-in method \(name) of socket object>")
        case .boundMethod(let receiver, let name):
            return .verbatim("<built-in method \(name) of \(PythonOperations.typeName(of: receiver)) object>")
        }
    }

    private func typeName(of object: PythonObject) -> String {
        switch object {
        case .socket: return "socket"
        case .module: return "module"
        case .function, .method, .builtin, .boundMethod: return "builtin_function_or_method"
        default: return (try? value(of: object)).map(PythonOperations.typeName(of:)) ?? "object"
        }
    }

    private func text(of object: PythonObject, repr: Bool) throws -> String {
        let value = try self.value(of: object)
        return repr ? value.repr : value.str
    }

    private func literalValue(_ argument: Argument) -> Value {
        switch argument.kind {
        case .string(let text), .word(let text): return .str(text)
        case .bytes(let bytes): return .bytes(bytes)
        case .integer(let number): return .int(number)
        case .bigInteger(let digits): return .verbatim(digits)
        case .surrogateString(let points): return .verbatim(pythonStringRepr(codePoints: points))
        case .float(let number): return .float(number)
        case .bool(let flag): return .bool(flag)
        default: return .none
        }
    }

    /// A constant as Python shows it: the enum members of AddressFamily,
    /// SocketKind, MsgFlag and AddressInfo by name, other constants as ints.
    private func constantValue(_ name: String, _ number: Int) -> Value {
        if name.hasPrefix("AF_"), PythonConstants.addressFamilies[number] == name {
            return .enumMember(type: "AddressFamily", name: name, value: number)
        }
        if name.hasPrefix("SOCK_"), PythonConstants.socketKinds[number] == name {
            return .enumMember(type: "SocketKind", name: name, value: number)
        }
        if name.hasPrefix("MSG_") { return .enumMember(type: "MsgFlag", name: name, value: number) }
        if name.hasPrefix("AI_") { return .enumMember(type: "AddressInfo", name: name, value: number) }
        return .int(number)
    }

    /// An evaluated Python value as the argument a command reads: a tuple
    /// stays a tuple, `socket.X` the word X, a socket its name.
    private func argument(for object: PythonObject) throws -> Argument {
        switch object {
        case .literal(let argument): return argument
        case .constant(let name, _): return Argument(kind: .word(name), column: 1, text: name)
        case .socket(let name): return Argument(kind: .word(name), column: 1, text: name)
        case .tuple(let items):
            let arguments = try items.map(argument(for:))
            return Argument(kind: .tuple(arguments), column: 1, text: "(" + arguments.map(\.text).joined(separator: ", ")
                            + (arguments.count == 1 ? ",)" : ")"))
        case .list(let items):
            let arguments = try items.map(argument(for:))
            return Argument(kind: .list(arguments), column: 1, text: "[" + arguments.map(\.text).joined(separator: ", ") + "]")
        case .value(let value): return argument(for: value)
        case .module, .function, .method, .builtin, .boundMethod:
            throw ShellError("SyntaxError", "sockshell passes values, sockets and constants to a call, not \(try value(of: object).repr)")
        }
    }

    private func argument(for value: Value) -> Argument {
        let kind: Argument.Kind
        switch value {
        case .int(let number): kind = .integer(number)
        case .float(let number): kind = .float(number)
        case .bool(let flag): kind = .bool(flag)
        case .none: kind = .none
        case .str(let text): kind = .string(text)
        case .bytes(let bytes): kind = .bytes(bytes)
        case .tuple(let items): kind = .tuple(items.map(argument(for:)))
        case .list(let items): kind = .list(items.map(argument(for:)))
        // Flags or'ed together reach the command as their number.
        case .enumMember(_, let name, let number): kind = name.contains("|") ? .integer(number) : .word(name)
        default: kind = .string(value.repr)
        }
        let text: String
        if case .enumMember(_, let name, let number) = value { text = name.contains("|") ? String(number) : name } else { text = value.repr }
        return Argument(kind: kind, column: 1, text: text)
    }
}
