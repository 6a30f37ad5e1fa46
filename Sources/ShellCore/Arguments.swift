import SocketCore
import Glibc

/// Data to send: bytes in memory, or a file read as it goes (`@PATH`).
enum DataSource {
    case bytes([UInt8])
    case file(String)

    /// The bytes, reading a file whole.
    func load() throws -> [UInt8] {
        switch self {
        case .bytes(let bytes): return bytes
        case .file(let path): return try readFile(path)
        }
    }
}

/// Reads a file, with Python's `open()` error text (`... : 'path'`). A file
/// past `Files.largestRead` (/dev/zero, a sparse terabyte) is a MemoryError,
/// as `open(PATH, 'rb').read()` is in Python once memory runs out, but
/// before sockshell has taken that memory.
func readFile(_ path: String) throws -> [UInt8] {
    do { return try Files.read(path) } catch let error as Errno {
        throw fileError(error, path)
    } catch let error as Files.TooLong {
        throw ShellError("MemoryError", "file longer than \(error.limit) bytes, the most held in memory: \(pythonStringRepr(path))")
    }
}

func fileError(_ error: Errno, _ path: String) -> ShellError {
    .os(error, detail: "\(error.message): \(pythonStringRepr(path))")
}

/// The kinds of constant an argument may name; each accepts the short
/// lowercase words of SPEC section 2 that mean something there.
enum ConstantKind {
    case family, type, level, option, shutdown, flags, any

    /// Built once: a replayed script looks constants up thousands of times.
    var shortWords: [String: Int32] {
        switch self {
        case .family: return ConstantKind.familyWords
        case .type: return ConstantKind.typeWords
        case .level: return ConstantKind.levelWords
        case .shutdown: return ConstantKind.shutdownWords
        case .option, .flags, .any: return [:]
        }
    }

    private static let familyWords: [String: Int32] = ["inet": AF_INET, "inet6": AF_INET6, "unix": AF_UNIX, "unspec": AF_UNSPEC]
    private static let typeWords: [String: Int32] = [
        "stream": Int32(SOCK_STREAM.rawValue), "dgram": Int32(SOCK_DGRAM.rawValue),
        "raw": Int32(SOCK_RAW.rawValue), "seqpacket": Int32(SOCK_SEQPACKET.rawValue)]
    private static let levelWords: [String: Int32] = [
        "tcp": Int32(IPPROTO_TCP), "udp": Int32(IPPROTO_UDP), "ip": Int32(IPPROTO_IP),
        "ipv6": Int32(IPPROTO_IPV6), "socket": SOL_SOCKET]
    private static let shutdownWords: [String: Int32] = ["rd": Int32(SHUT_RD), "wr": Int32(SHUT_WR), "rdwr": Int32(SHUT_RDWR)]
}

/// A command's arguments as a cursor the binder (`Bindings`) takes them
/// from, in order, each checked and converted as it is taken. Any shortfall
/// or leftover is the command's usage as a `TypeError`.
struct Arguments {
    let command: Command
    let session: Session
    private let items: [Argument]
    private var index = 0

    init(_ items: [Argument], command: Command, session: Session) {
        self.items = items
        self.command = command
        self.session = session
    }

    /// The HOST as written at `position` (a word or string, or the first
    /// item of an address tuple), for `tls`'s server name; nil for any other.
    func writtenHost(at position: Int) -> String? {
        position < items.count ? items[position].writtenHost : nil
    }

    var remaining: Int { items.count - index }
    var isEmpty: Bool { remaining == 0 }
    var peek: Argument? { index < items.count ? items[index] : nil }

    func usageError() -> ShellError {
        .type("usage: \(command.usageLine)")
    }

    /// An argument of the wrong kind: names it, shows the usage.
    func badArgument(_ label: String, _ argument: Argument, expected: String) -> ShellError {
        // A str no call can encode fails as Python's encode does, wherever it goes.
        if case .surrogateString(let points) = argument.kind { return surrogateError(points) }
        return .type("\(label) must be \(expected), not \(argument.text) (usage: \(command.usageLine))")
    }

    mutating func next() throws -> Argument {
        guard index < items.count else { throw usageError() }
        index += 1
        // Most arguments stand for themselves: told by a flag here, without
        // a call, as every argument of every command passes.
        let argument = items[index - 1]
        return argument.needsResolving ? try resolved(argument) : argument
    }

    mutating func optional() throws -> Argument? {
        remaining > 0 ? try next() : nil
    }

    func finish() throws {
        if index < items.count { throw usageError() }
    }

    /// `$NAME.port` and friends become the values they stand for now.
    func resolved(_ argument: Argument) throws -> Argument {
        guard argument.needsResolving else { return argument }
        switch argument.kind {
        case .reference(let name, let field):
            // A server's listening address: `$web.port`, `$web.host`.
            if !session.contains(name), let server = session.servers.server(named: name), field == "port" || field == "host" {
                return argument.with(field == "port" ? .integer(server.local.port) : .string(server.local.host))
            }
            let entry = try session.entry(named: name)
            if field == "fd" {
                return argument.with(.integer(Int(entry.socket.fileDescriptor)))
            }
            if field.hasPrefix("peer") {
                // As NAME.getpeername(): OSError ENOTCONN when there is no peer.
                let peer = try entry.socket.peerAddress()
                if field == "peer" {
                    let column = argument.column
                    func item(_ value: Value) -> Argument {
                        switch value {
                        case .int(let number): return Argument(kind: .integer(number), column: column, text: value.repr)
                        case .bytes(let bytes): return Argument(kind: .bytes(bytes), column: column, text: value.repr)
                        default: return Argument(kind: .string(value.str), column: column, text: value.repr)
                        }
                    }
                    guard case .tuple(let values) = addressValue(peer) else { return item(addressValue(peer)) }
                    return argument.with(.tuple(values.map(item)))
                }
                guard let host = peer?.host, let port = peer?.port else {
                    throw ShellError.value("$\(name).\(field): socket '\(name)' has no peer host and port")
                }
                return argument.with(field == "peer.port" ? .integer(Int(port)) : .string(host))
            }
            guard let address = try entry.socket.localAddress(), let host = address.host, let port = address.port else {
                throw ShellError.value("$\(name).\(field): socket '\(name)' has no host and port")
            }
            return argument.with(field == "port" ? .integer(Int(port)) : .string(host))
        case .variable(let name):
            guard let value = session.variables[name] else { throw ShellError.name(name) }
            return argumentForValue(value, like: argument)
        case .scriptArgument(let number):
            guard let given = session.scriptArguments else {
                throw ShellError("IndexError", "script argument $\(number) not given (no script is running)")
            }
            guard number < given.count else {
                let count = given.count - 1
                throw ShellError("IndexError", "script argument $\(number) not given (the script has \(count) argument\(count == 1 ? "" : "s"))")
            }
            // As if its text were typed as one word: a number is a number
            // (a port), anything else a str, spaces and quotes included.
            let text = given[number]
            var utf8 = text
            if let value = utf8.withUTF8({ parseInteger($0) }) { return argument.with(.integer(value)) }
            return argument.with(.string(text))
        case .tuple(let items):
            return argument.with(.tuple(try items.map(resolved)))
        default:
            return argument
        }
    }

    /// A kept value as an argument, as if it had been typed as its literal:
    /// an int is an int, a tuple a tuple, and the repr of anything else
    /// (a socket in an accept's value) is text.
    private func argumentForValue(_ value: Value, like argument: Argument) -> Argument {
        func kind(_ value: Value) -> Argument.Kind {
            switch value {
            case .int(let number): return .integer(number)
            case .float(let number): return .float(number)
            case .bool(let flag): return .bool(flag)
            case .none: return .none
            case .str(let text): return .string(text)
            case .bytes(let bytes): return .bytes(bytes)
            case .tuple(let items): return .tuple(items.map { Argument(kind: kind($0), column: argument.column, text: $0.repr) })
            case .list(let items): return .list(items.map { Argument(kind: kind($0), column: argument.column, text: $0.repr) })
            case .enumMember(_, _, let number): return .integer(number)  // an IntEnum is an int
            default: return .string(value.repr)
            }
        }
        return argument.with(kind(value))
    }

    /// The Python value an argument literally is: what `echo` prints.
    func value(of argument: Argument) -> Value {
        switch argument.kind {
        case .word(let text), .string(let text): return .str(text)
        case .bytes(let bytes): return .bytes(bytes)
        case .integer(let number): return .int(number)
        case .bigInteger(let digits): return .verbatim(digits)
        case .surrogateString(let points): return .verbatim(pythonStringRepr(codePoints: points))
        case .float(let number): return .float(number)
        case .none: return .none
        case .bool(let flag): return .bool(flag)
        // Items are resolved one at a time as they are reached: resolving a
        // whole subtree at every level made 200 nested brackets quadratic.
        case .tuple(let items): return .tuple(items.map(value(of:)))
        case .list(let items): return .list(items.map(value(of:)))
        case .reference, .scriptArgument, .variable:
            if let value = try? resolved(argument), !value.isReference { return self.value(of: value) }
            return .str(argument.text)
        case .file: return .str(argument.text)
        }
    }

    // MARK: Names and sockets

    mutating func name(_ label: String = "NAME") throws -> String {
        let argument = try next()
        guard case .word(let word) = argument.kind else { throw badArgument(label, argument, expected: "a name") }
        return word
    }

    mutating func socket(_ label: String = "NAME") throws -> SocketEntry {
        let entry = try session.entry(named: try name(label))
        if entry.busyJob != 0 { try checkNotBusy(entry, command: command.name) }
        return entry
    }

    // MARK: Numbers and constants

    /// An integer; one beyond Int is CPython's OverflowError for the C type
    /// the call converts it to (`long` unless told).
    mutating func integer(_ label: String, cType: String = "long") throws -> Int {
        let argument = try next()
        if case .bigInteger(let digits) = argument.kind {
            if digits.hasPrefix("-") && cType.hasPrefix("unsigned") {
                throw ShellError.overflow("can't convert negative value to unsigned int")
            }
            throw ShellError.overflow("Python int too large to convert to C \(cType)")
        }
        return try integer(argument, label: label, kind: .any)
    }

    /// An integer a C `int` holds, as CPython's `PyArg_Parse` "i" checks it.
    mutating func cInteger(_ label: String) throws -> Int32 {
        let value = try integer(label)
        if value > Int(Int32.max) { throw ShellError.overflow("signed integer is greater than maximum") }
        if value < Int(Int32.min) { throw ShellError.overflow("signed integer is less than minimum") }
        return Int32(value)
    }

    mutating func constant(_ label: String, _ kind: ConstantKind) throws -> Int32 {
        let argument = try next()
        let value = try integer(argument, label: label, kind: kind)
        guard let narrow = Int32(exactly: value) else {
            throw ShellError.overflow("signed integer is greater than maximum")
        }
        return narrow
    }

    func integer(_ argument: Argument, label: String, kind: ConstantKind) throws -> Int {
        switch argument.kind {
        case .integer(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .word(let word):
            // No constant's name has a '|' in it, so try the whole word first.
            if let value = constantValue(word, kind: kind) { return value }
            // FLAGS may be combined: MSG_PEEK|MSG_DONTWAIT.
            var total = 0
            for part in word.split(separator: "|", omittingEmptySubsequences: false) {
                guard let value = constantValue(String(part), kind: kind) else {
                    throw badArgument(label, argument, expected: kind == .any ? "an integer" : "an integer or a constant")
                }
                total |= value
            }
            return total
        default:
            throw badArgument(label, argument, expected: "an integer")
        }
    }

    /// A duration such as `sleep`'s.
    mutating func number(_ label: String) throws -> Double {
        try seconds(try next(), label: label)
    }

    /// Seconds or `None`, as `settimeout` takes them.
    mutating func timeout(_ label: String = "SECONDS") throws -> Double? {
        let argument = try next()
        if case .none = argument.kind { return nil }
        return try checkedTimeout(seconds(argument, label: label, allowNone: true))
    }

    /// A duration in seconds, converted as CPython converts one (to
    /// nanoseconds in an int64 first), with its overflow errors.
    func seconds(_ argument: Argument, label: String, allowNone: Bool = false) throws -> Double {
        switch argument.kind {
        case .bigInteger:
            throw ShellError.overflow("timestamp too large to convert to C _PyTime_t")
        case .integer(let number):
            guard number.magnitude <= UInt(Int.max / 1_000_000_000) else {
                throw ShellError.overflow("timestamp too large to convert to C _PyTime_t")
            }
            return Double(number)
        case .float(let number):
            guard number.isNaN || abs(number * 1e9) < 9.223372036854775807e18 else {
                throw ShellError.overflow("timestamp out of range for platform time_t")
            }
            return number
        default:
            throw badArgument(label, argument, expected: allowNone ? "a number or None" : "a number")
        }
    }

    private func checkedTimeout(_ seconds: Double) throws -> Double {
        if seconds.isNaN { throw ShellError.value("Invalid value NaN (not a number)") }
        if seconds < 0 { throw ShellError.value("Timeout value out of range") }
        // CPython keeps a timeout as whole nanoseconds, rounded up, and
        // gives it back divided by 1e9: 1e-10 is 1e-09.
        let nanoseconds = Int64((seconds * 1e9).rounded(.up))
        if nanoseconds % 1_000_000_000 == 0 { return Double(nanoseconds / 1_000_000_000) }
        return Double(nanoseconds) / 1e9
    }

    mutating func boolean(_ label: String) throws -> Bool {
        try boolean(try next(), label: label)
    }

    func boolean(_ argument: Argument, label: String) throws -> Bool {
        switch argument.kind {
        case .bool(let flag): return flag
        case .integer(let number): return number != 0
        case .word(let word) where ["on", "yes", "true"].contains(word.lowercased()): return true
        case .word(let word) where ["off", "no", "false"].contains(word.lowercased()): return false
        default: throw badArgument(label, argument, expected: "True or False")
        }
    }

    // MARK: Text and data

    /// A string or a bare word.
    mutating func text(_ label: String) throws -> String {
        try text(try next(), label: label)
    }

    func text(_ argument: Argument, label: String) throws -> String {
        switch argument.kind {
        case .string(let text), .word(let text): return text
        case .integer, .float: return argument.text
        default: throw badArgument(label, argument, expected: "a string")
        }
    }

    /// Bytes to send: `b'...'`, a string (sent as UTF-8), a bare word, `@PATH`.
    mutating func data(_ label: String = "DATA") throws -> DataSource {
        let argument = try next()
        switch argument.kind {
        case .bytes(let bytes): return .bytes(bytes)
        case .string(let text), .word(let text): return .bytes(Array(text.utf8))
        case .file(let path): return .file(path)
        default: throw badArgument(label, argument, expected: "bytes, a string or @FILE")
        }
    }

    // MARK: Addresses

    /// An address for a socket of `family`: `HOST PORT`, `(HOST, PORT)`,
    /// `(HOST, PORT, FLOWINFO, SCOPEID)` or, for AF_UNIX, a path. Host names
    /// are resolved as CPython's `getsockaddrarg` resolves them; `caller` names
    /// the Python method in range errors.
    mutating func address(family: Int32, caller: String) throws -> SocketAddress {
        if family == AF_UNIX {
            let argument = try next()
            switch argument.kind {
            case .string(let path), .word(let path): return .unix(path: Array(path.utf8))
            case .bytes(let path): return .unix(path: path)
            default: throw badArgument("PATH", argument, expected: "a path")
            }
        }
        let parts = try hostAndPort()
        try checkHostHasNoNull(parts.host)
        let host = parts.host == "*" ? "" : parts.host
        guard (0...65535).contains(parts.port) else {
            throw ShellError.overflow("\(caller)(): port must be 0-65535.")
        }
        let resolved = try Resolver.numericHost(for: host, family: family)
        if family == AF_INET6 || resolved.family == AF_INET6 {
            guard (0...0xFFFFF).contains(parts.flowInfo) else {
                throw ShellError.overflow("\(caller)(): flowinfo must be 0-1048575.")
            }
            return .ipv6(host: resolved.host, port: UInt16(parts.port), flowInfo: UInt32(parts.flowInfo),
                         scopeID: UInt32(truncatingIfNeeded: parts.scopeID))
        }
        return .ipv4(host: resolved.host, port: UInt16(parts.port))
    }

    /// `HOST PORT` or one tuple; the host as given, not yet resolved.
    mutating func hostAndPort() throws -> HostPort {
        let first = try next()
        var hostArgument = first
        let portArgument: Argument
        var flowInfoArgument: Argument?
        var scopeIDArgument: Argument?
        var tupleCount: Int?
        if case .tuple(let items) = first.kind {
            tupleCount = items.count
            guard (2...4).contains(items.count) else {
                throw badArgument("ADDR", first, expected: "a tuple (HOST, PORT)")
            }
            hostArgument = items[0]
            portArgument = items[1]
            if items.count > 2 { flowInfoArgument = items[2] }
            if items.count > 3 { scopeIDArgument = items[3] }
        } else {
            portArgument = try next()
        }
        let host: String
        switch hostArgument.kind {
        case .string(let text), .word(let text): host = text
        case .none: host = ""
        default: throw badArgument("HOST", hostArgument, expected: "a host name or address")
        }
        return HostPort(host: host, port: try integer(portArgument, label: "PORT", kind: .any),
                        flowInfo: try flowInfoArgument.map { try integer($0, label: "FLOWINFO", kind: .any) } ?? 0,
                        scopeID: try scopeIDArgument.map { try integer($0, label: "SCOPEID", kind: .any) } ?? 0,
                        tupleCount: tupleCount)
    }
}

/// CPython's idna_converter for an address's host, before any lookup
/// (getaddrinfo would read the name only up to the NUL).
func checkHostHasNoNull(_ host: String) throws {
    if host.containsNull { throw ShellError.type("host name must not contain null character") }
}

extension String {
    /// A NUL anywhere in it: what CPython refuses in a host or service name.
    var containsNull: Bool {
        utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? utf8.contains(0)
    }
}

extension PythonConstants {
    static let table = NameTable(byName)
}

/// The value of a constant written by its Python name (with or without the
/// `socket.` prefix) or by a short word that means something for `kind`.
func constantValue(_ word: String, kind: ConstantKind) -> Int? {
    // Python's names are upper case and the short words lower case: one
    // table lookup, chosen by the first letter, not two.
    guard let first = word.utf8.first else { return nil }
    if first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") { return PythonConstants.table[word] }
    if word.hasPrefix("socket.") { return PythonConstants.table[String(word.dropFirst("socket.".count))] }
    return kind.shortWords[word].map(Int.init)
}
