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
    var values: [Bound]

    /// Walks `arguments` (the handler reads a `.any` or repeated one with
    /// them after); `storage` is an empty array to bind into, kept from an
    /// earlier command.
    init(_ arguments: inout Arguments, into storage: consuming [Bound]) throws {
        try bindParameters(&arguments, into: &storage)
        values = storage
    }

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

/// One side of the binder: how an argument becomes a value of a parameter's
/// kind. Running a command reads typed values (`Arguments`); `export python`
/// reads the Python source for the same arguments. Both are walked by
/// `bindParameters`, so the order, the optional parts, the address pairs and
/// the usage errors are the declaration's, once.
protocol ParameterReader {
    associatedtype Value
    /// What an optional parameter not given is bound to.
    static var absent: Value { get }
    var command: Command { get }
    var isEmpty: Bool { get }
    /// The next argument as typed, not yet taken.
    var peek: Argument? { get }
    /// The next argument, read as `parameter`'s kind.
    mutating func read(_ parameter: Parameter, label: String) throws -> Value
    /// HOST and PORT (or one tuple, or an AF_UNIX path) as one address: for
    /// `receiver`'s family when the command has a socket first.
    mutating func address(_ parameter: Parameter, receiver: Value?) throws -> Value
    /// getaddrinfo's HOST and PORT: either may be None, PORT a service name.
    mutating func hostAndServiceOrNone() throws -> (host: Value, port: Value)
    /// `tcp`, `udp`, `tcp6`, `udp6`: FAMILY and TYPE in one word, taken if it is one.
    mutating func familyAndType(_ word: String) throws -> (family: Value, type: Value)?
    /// A repeated parameter: every argument left.
    mutating func rest() throws -> Value
    func finish() throws
}

/// The binder: the command's declared parameters in order, each bound to its
/// argument by `reader`; an optional one with nothing left is `absent`, and
/// a shortfall or leftover is the usage `TypeError`.
func bindParameters<Reader: ParameterReader>(_ reader: inout Reader) throws -> [Reader.Value] {
    var values: [Reader.Value] = []
    try bindParameters(&reader, into: &values)
    return values
}

/// The binder, appending to `values` (empty): one value a parameter, in
/// order, a pair appending two.
func bindParameters<Reader: ParameterReader>(_ reader: inout Reader, into values: inout [Reader.Value]) throws {
    let parameters = reader.command.parameters
    values.reserveCapacity(parameters.count)
    while values.count < parameters.count {
        let index = values.count
        let parameter = parameters[index]
        if parameter.isOptional && reader.isEmpty { values.append(Reader.absent); continue }
        let next = index + 1 < parameters.count ? parameters[index + 1].kind : nil
        switch parameter.kind {
        case .host where next == .port && parameter.acceptsNone:
            let (host, port) = try reader.hostAndServiceOrNone()
            values.append(host)
            values.append(port)
            continue
        case .host where next == .port:
            let receiver = index > 0 && parameters[0].kind == .socket ? values[0] : nil
            values.append(try reader.address(parameter, receiver: receiver))
            values.append(Reader.absent)
            continue
        case .family where next == .type:
            if case .word(let word)? = reader.peek?.kind, let pair = try reader.familyAndType(word) {
                values.append(pair.family)
                values.append(pair.type)
                continue
            }
        case .sockets where parameter.isOptional:
            // An optional list is given only if the next argument is one
            // (`select [a] 1.5`: 1.5 is the TIMEOUT, not WRITE).
            if let argument = reader.peek, !argument.isSocketList { values.append(Reader.absent); continue }
        default:
            break
        }
        values.append(parameter.repeats ? try reader.rest() : try reader.read(parameter, label: parameter.messageLabel))
    }
    try reader.finish()
}

extension Arguments: ParameterReader {
    static var absent: Bound { .absent }

    mutating func read(_ parameter: Parameter, label: String) throws -> Bound {
        switch parameter.kind {
        case .socket: return .socket(try socket(label))
        case .newName: return .name(try name(label))
        case .family: return try boundConstant(label, .family)
        case .type: return try boundConstant(label, .type)
        case .proto, .level: return try boundConstant(label, .level)
        case .option: return try boundConstant(label, .option)
        case .shutdown: return try boundConstant(label, .shutdown)
        case .flags, .aiflags, .niflags: return try boundConstant(label, .flags)
        case .integer, .port:
            return .integer(parameter.isCInt ? Int(try cInteger(label)) : try integer(label, cType: parameter.cType))
        case .timeout: return .seconds(try timeout(label))
        case .seconds:
            let argument = try next()
            if parameter.acceptsNone, case .none = argument.kind { return .seconds(nil) }
            return .seconds(try seconds(argument, label: label, allowNone: parameter.acceptsNone))
        case .bool: return .bool(try boolean(label))
        case .host, .service, .protocol, .path, .command, .setting: return .text(try text(label))
        case .data:
            // A file is read where its argument stands, as Python's
            // `open(PATH, 'rb').read()` would be, so its error comes before
            // a later argument's; only a last argument stays a stream
            // (`sendall NAME @FILE` sends a file of any size).
            let source = try data(label)
            return .data(isEmpty ? source : .bytes(try source.load()))
        case .sockets: return .sockets(try sockets(label))
        case .any, .job, .tlsOption: return .argument(try next())
        }
    }

    mutating func address(_ parameter: Parameter, receiver: Bound?) throws -> Bound {
        if case .socket(let entry)? = receiver {
            return .address(try address(family: entry.socket.family, caller: command.pythonCall?.method ?? command.name))
        }
        let target = try hostAndPort()
        guard parameter.anyAddress, target.host == "*" else { return .hostPort(target) }
        return .hostPort(HostPort(host: "", port: target.port, flowInfo: target.flowInfo, scopeID: target.scopeID,
                                  tupleCount: target.tupleCount))
    }

    mutating func hostAndServiceOrNone() throws -> (host: Bound, port: Bound) {
        (.text(try hostOrNone()), .text(try serviceOrNone()))
    }

    mutating func familyAndType(_ word: String) throws -> (family: Bound, type: Bound)? {
        guard let pair = familyTypeWords[word] else { return nil }
        _ = try next()
        return (.constant(pair.family, text: word), .constant(pair.type, text: word))
    }

    mutating func rest() throws -> Bound {
        var given: [Argument] = []
        while let argument = try optional() { given.append(argument) }
        return .arguments(given)
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
                let entry = try session.entry(named: name)
                try checkNotBusy(entry, command: command.name)
                return entry
            }
        case .word(let name):
            let entry = try session.entry(named: name)
            try checkNotBusy(entry, command: command.name)
            return [entry]
        default:
            throw badArgument(label, argument, expected: "a list of socket names like [a, b]")
        }
    }
}
