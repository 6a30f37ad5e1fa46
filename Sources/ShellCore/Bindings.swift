import SocketCore
import Glibc

/// An address as typed for a command with no socket to say its family
/// (`create_connection`, `create_server`, `getnameinfo`): the host as given,
/// not yet resolved.
struct HostPort {
    let host: String
    let port: Int
    let flowInfo: Int
    let scopeID: Int
    /// How many items the `(HOST, PORT, ...)` tuple had; nil for `HOST PORT`.
    let tupleCount: Int?
}

/// What one parameter was bound to: its argument converted by the
/// parameter's kind, or `absent` for an optional one not given.
enum Bound {
    case absent
    case socket(SocketEntry)
    case name(String)
    case integer(Int)
    /// A constant's value and the argument's text as typed (`SO_REUSEADDR`).
    case constant(Int32, text: String)
    /// Seconds; nil for None.
    case seconds(Double?)
    case bool(Bool)
    /// A string; nil for None where the parameter takes None.
    case text(String?)
    case data(DataSource)
    /// HOST and PORT (or PATH) made one address for the receiver's family.
    case address(SocketAddress)
    case hostPort(HostPort)
    case sockets([SocketEntry])
    /// A `.any` parameter's argument, resolved, for the command to read.
    case argument(Argument)
    /// A repeated parameter's arguments, resolved.
    case arguments([Argument])
}

/// A command's arguments bound to its declared parameters: the one place
/// that turns what was typed into typed values. Each parameter's argument is
/// converted by its kind, in order, and a shortfall or leftover is the usage
/// `TypeError`, all before the command runs; the command's handler reads the
/// values by position and holds only what the command does.
struct Bindings {
    private(set) var values: [Bound]
    /// For what a `.any` or repeated argument needs: its conversions, its
    /// Python value, the usage error.
    let arguments: Arguments

    init(_ arguments: Arguments) throws {
        var cursor = arguments
        let parameters = arguments.command.parameters
        var values = [Bound](repeating: .absent, count: parameters.count)
        var index = 0
        while index < parameters.count {
            let parameter = parameters[index]
            let label = parameter.messageLabel
            let pairsWithNext = index + 1 < parameters.count && parameters[index + 1].kind == .port
            if parameter.isOptional && cursor.isEmpty { index += 1; continue }
            switch parameter.kind {
            case .socket:
                values[index] = .socket(try cursor.socket(label))
            case .newName:
                values[index] = .name(try cursor.name(label))
            case .host where pairsWithNext && parameter.acceptsNone:
                // getaddrinfo's HOST and PORT: each may be None, PORT a service name.
                values[index] = .text(try cursor.hostOrNone())
                values[index + 1] = .text(try cursor.serviceOrNone())
                index += 1
            case .host where pairsWithNext:
                // One address: for a socket, made for its family (a PATH for
                // AF_UNIX, one argument); else the host and port as given.
                if case .socket(let entry) = values.first {
                    let caller = arguments.command.pythonCall?.method ?? arguments.command.name
                    values[index] = .address(try cursor.address(family: entry.socket.family, caller: caller))
                } else {
                    values[index] = .hostPort(try cursor.hostAndPort())
                }
                index += 1
            case .family where index + 1 < parameters.count && parameters[index + 1].kind == .type:
                // `tcp`, `udp`, `tcp6`, `udp6`: FAMILY and TYPE in one word.
                if case .word(let word)? = cursor.peek?.kind, let pair = familyTypeWords[word] {
                    _ = try cursor.next()
                    values[index] = .constant(pair.family, text: word)
                    values[index + 1] = .constant(pair.type, text: word)
                    index += 1
                } else {
                    values[index] = try cursor.boundConstant(label, .family)
                }
            case .family: values[index] = try cursor.boundConstant(label, .family)
            case .type: values[index] = try cursor.boundConstant(label, .type)
            case .proto, .level: values[index] = try cursor.boundConstant(label, .level)
            case .option: values[index] = try cursor.boundConstant(label, .option)
            case .shutdown: values[index] = try cursor.boundConstant(label, .shutdown)
            case .flags, .aiflags, .niflags: values[index] = try cursor.boundConstant(label, .flags)
            case .integer, .port:
                values[index] = .integer(parameter.cType == "int"
                    ? Int(try cursor.cInteger(label)) : try cursor.integer(label, cType: parameter.cType))
            case .timeout:
                values[index] = .seconds(try cursor.timeout(label))
            case .seconds:
                let argument = try cursor.next()
                if parameter.acceptsNone, case .none = argument.kind {
                    values[index] = .seconds(nil)
                } else {
                    values[index] = .seconds(try cursor.seconds(argument, label: label, allowNone: parameter.acceptsNone))
                }
            case .bool:
                values[index] = .bool(try cursor.boolean(label))
            case .host, .service, .protocol, .path, .command, .setting:
                values[index] = .text(try cursor.text(label))
            case .data:
                // A file is read where its argument stands, as Python's
                // `open(PATH, 'rb').read()` would be, so its error comes before
                // a later argument's; only a last argument stays a stream
                // (`sendall NAME @FILE` sends a file of any size).
                let source = try cursor.data(label)
                values[index] = .data(cursor.isEmpty ? source : .bytes(try source.load()))
            case .sockets:
                // An optional list is given only if the next argument is one
                // (`select [a] 1.5`: 1.5 is the TIMEOUT, not WRITE).
                if parameter.isOptional, let next = cursor.peek, !next.isSocketList { break }
                values[index] = .sockets(try cursor.sockets(label))
            case .any:
                if parameter.repeats {
                    var given: [Argument] = []
                    while let argument = try cursor.optional() { given.append(argument) }
                    values[index] = .arguments(given)
                } else {
                    values[index] = .argument(try cursor.next())
                }
            }
            index += 1
        }
        try cursor.finish()
        self.values = values
        self.arguments = arguments
    }

    func usageError() -> ShellError { arguments.usageError() }

    func isGiven(_ index: Int) -> Bool {
        if case .absent = values[index] { return false }
        return true
    }

    // Each accessor reads what the binder made of that parameter's kind; a
    // command reading a parameter as another kind is a fault of its declaration.

    func socket(_ index: Int) -> SocketEntry {
        guard case .socket(let entry) = values[index] else { preconditionFailure("parameter \(index) is not a socket") }
        return entry
    }

    func name(_ index: Int) -> String {
        guard let name = optionalName(index) else { preconditionFailure("parameter \(index) is not a name") }
        return name
    }

    func optionalName(_ index: Int) -> String? {
        if case .name(let name) = values[index] { return name }
        return nil
    }

    func integer(_ index: Int) -> Int {
        guard let value = optionalInteger(index) else { preconditionFailure("parameter \(index) is not an integer") }
        return value
    }

    func optionalInteger(_ index: Int) -> Int? {
        if case .integer(let value) = values[index] { return value }
        return nil
    }

    func constant(_ index: Int) -> Int32 {
        guard let value = optionalConstant(index) else { preconditionFailure("parameter \(index) is not a constant") }
        return value
    }

    func optionalConstant(_ index: Int) -> Int32? {
        if case .constant(let value, _) = values[index] { return value }
        return nil
    }

    /// The constant's argument as typed: `SO_REUSEADDR`, `socket.SO_REUSEADDR`, `1`.
    func constantText(_ index: Int) -> String {
        if case .constant(_, let text) = values[index] { return text }
        return ""
    }

    /// Seconds or None (nil) when given; `.absent` is told by `isGiven`.
    func seconds(_ index: Int) -> Double? {
        if case .seconds(let value) = values[index] { return value }
        return nil
    }

    func bool(_ index: Int) -> Bool {
        guard case .bool(let flag) = values[index] else { preconditionFailure("parameter \(index) is not a bool") }
        return flag
    }

    func text(_ index: Int) -> String {
        guard let text = optionalText(index) else { preconditionFailure("parameter \(index) is not a text") }
        return text
    }

    /// The text, or nil when not given or None.
    func optionalText(_ index: Int) -> String? {
        if case .text(let text) = values[index] { return text }
        return nil
    }

    func data(_ index: Int) -> DataSource {
        guard case .data(let source) = values[index] else { preconditionFailure("parameter \(index) is not data") }
        return source
    }

    func address(_ index: Int) -> SocketAddress {
        guard case .address(let address) = values[index] else { preconditionFailure("parameter \(index) is not an address") }
        return address
    }

    func hostPort(_ index: Int) -> HostPort {
        guard case .hostPort(let target) = values[index] else { preconditionFailure("parameter \(index) is not HOST PORT") }
        return target
    }

    /// The sockets of a list; none when an optional list was not given.
    func sockets(_ index: Int) -> [SocketEntry] {
        if case .sockets(let entries) = values[index] { return entries }
        return []
    }

    func argument(_ index: Int) -> Argument? {
        if case .argument(let argument) = values[index] { return argument }
        return nil
    }

    func repeated(_ index: Int) -> [Argument] {
        if case .arguments(let arguments) = values[index] { return arguments }
        return []
    }
}

/// `socket s tcp` and friends: family and type in one word.
let familyTypeWords: [String: (family: Int32, type: Int32)] = [
    "tcp": (AF_INET, Int32(SOCK_STREAM.rawValue)), "udp": (AF_INET, Int32(SOCK_DGRAM.rawValue)),
    "tcp6": (AF_INET6, Int32(SOCK_STREAM.rawValue)), "udp6": (AF_INET6, Int32(SOCK_DGRAM.rawValue)),
]

extension Argument {
    /// A list, a tuple or one word: what a list of sockets may be given as.
    var isSocketList: Bool {
        switch kind {
        case .list, .tuple, .word: return true
        default: return false
        }
    }
}

extension Parameter {
    /// The label errors name: `SECONDS` of `SECONDS|None`, `FILE` of `FILE|off`.
    var messageLabel: String {
        guard let bar = label.firstIndex(of: "|") else { return label }
        return String(label[..<bar])
    }
}

extension Arguments {
    mutating func boundConstant(_ label: String, _ kind: ConstantKind) throws -> Bound {
        let text = peek?.text ?? ""
        return .constant(try constant(label, kind), text: text)
    }

    /// A host name, an address or None (getaddrinfo's HOST).
    mutating func hostOrNone() throws -> String? {
        let argument = try next()
        switch argument.kind {
        case .none: return nil
        case .string(let text), .word(let text): return text
        default: throw badArgument("HOST", argument, expected: "a host name, an address or None")
        }
    }

    /// A port, a service name or None (getaddrinfo's PORT), as text.
    mutating func serviceOrNone() throws -> String? {
        let argument = try next()
        switch argument.kind {
        case .none: return nil
        case .integer(let number): return String(number)
        case .bigInteger: throw ShellError.overflow("Python int too large to convert to C long")
        case .string(let text), .word(let text): return text
        default: throw badArgument("PORT", argument, expected: "a port, a service name or None")
        }
    }

    /// `[a, b]`, `(a,)` or one name: open sockets.
    mutating func sockets(_ label: String) throws -> [SocketEntry] {
        let argument = try next()
        switch argument.kind {
        case .list(let items), .tuple(let items):
            return try items.map { item in
                guard case .word(let name) = item.kind else { throw badArgument(label, item, expected: "a socket name") }
                return try session.entry(named: name)
            }
        case .word(let name):
            return [try session.entry(named: name)]
        default:
            throw badArgument(label, argument, expected: "a list of socket names like [a, b]")
        }
    }
}
