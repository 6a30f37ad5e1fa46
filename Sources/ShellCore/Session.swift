import Glibc
import SocketCore

/// A socket the session holds under a name.
public final class SocketEntry {
    public let name: String
    public let socket: Socket
    var pending = ReadBuffer()
    public internal(set) var bytesSent = 0
    public internal(set) var bytesReceived = 0
    /// The index `accept` tries next for default names `NAME_1`, `NAME_2`, ...
    var nextAcceptIndex = 1
    /// Whether the socket ever had a connection (connected or accepted), so a
    /// TCP socket in CLOSE can be told apart from a fresh one.
    var hadConnection = false
    /// Options set with `setsockopt` (or by `create_server`, or passed on by
    /// `accept` from its listener), as `NAME=VALUE`, for the `sockets` table.
    var optionsSet: [(name: String, value: String)] = []
    /// The job using the socket (`accept srv &`), or 0: other commands that
    /// would race it are refused until it ends.
    public internal(set) var busyJob = 0
    /// The HOST given to `connect` or `create_connection`: `tls` checks the
    /// certificate against it when no server_hostname= is given.
    var connectedHost: String?
    /// `tls` or `tls_server` on a socket not connected yet: the handshake
    /// comes with its `connect`, or with each `accept` of a listener.
    var deferredTLS: TLSSettings?

    func noteOption(_ name: String, _ value: String) {
        if let index = optionsSet.firstIndex(where: { $0.name == name }) {
            optionsSet[index].value = value
        } else {
            optionsSet.append((name, value))
        }
    }

    init(name: String, socket: Socket) {
        self.name = name
        self.socket = socket
    }

    /// Bytes already received and waiting for the next read.
    public var bufferedCount: Int { pending.count }

    /// A read would not wait: bytes sockshell holds, or bytes OpenSSL
    /// decrypted and holds, which no poll of the descriptor shows.
    var readsWithoutWaiting: Bool { pending.count > 0 || (socket.tls?.pending ?? 0) > 0 }
}

/// How `recv` and friends show bytes at the top level.
public enum DisplayMode: String, CaseIterable {
    case repr, hex, text
}

/// The state a command works on: named sockets, settings, and the hooks the
/// terminal provides (history).
public final class Session {
    /// Open sockets in the order they were made.
    public private(set) var entries: [SocketEntry] = []
    private var byName: [String: SocketEntry] = [:]

    public var display = DisplayMode.repr
    /// `$0`, `$1`, ...: the running script's path and arguments (`sys.argv`);
    /// nil when no script gave any.
    public var scriptArguments: [String]?
    /// Values kept by `NAME = COMMAND ...`, read back as `$NAME`.
    public var variables: [String: Value] = [:]
    /// Modules a Python line imported (`import socket`), and those whose
    /// names it imported with `from MODULE import *`.
    public var pythonModules: Set<String> = []
    public var pythonStarImports: Set<String> = []
    /// What a Python `print(..., end='')` wrote after its last newline: the
    /// next print continues the line, anything else shows it first.
    var pendingPrint: String?
    /// The longest line `recvline`/`recvuntil` will gather before giving up.
    public var maxLine = 1 << 20
    /// `socket.setdefaulttimeout`: given to every new socket.
    public var defaultTimeout: Double?

    /// The interactive history, oldest first, when there is one.
    public var history: (() -> [String])?

    /// `set explain on`: explain every error as `why` would.
    public var explain = false
    /// `set python on`: show each command's Python equivalent first.
    public var showPython = false
    /// `set trace on`: show each system call as strace would.
    public var trace = false
    /// `set pager off`: at the prompt, output taller than the terminal is
    /// printed as it is instead of going through the pager.
    public var pager = true
    /// `set hints off`: the prompt shows no usage hints as you type.
    public var hints = true
    /// `set newline crlf`: `interact` ends each typed line with \r\n.
    public var newline = LineEnding.lf

    /// Commands running in the background (`CMD &`).
    public let jobs = JobTable()
    /// Sockets `watch` shows the events of.
    public let watches = WatchTable()
    /// Servers `serve` started.
    public let servers = ServerTable()
    /// `set packets on`: the segments the session's commands caused.
    public let packets = PacketLog()
    /// Hosts `host add` made inside the sandbox.
    public var hosts: [String: NetworkHost] = [:]
    /// The calls, segments and states `export diagram` draws.
    let timeline = Timeline()
    /// The names of closed sockets by their ports, for the segments they
    /// caused as they closed (a FIN read after `close`).
    private var closedNames: [PortPair: String] = [:]

    /// The session's name for the end of a segment with these ports: the
    /// connected socket, else the listener on the port, else a server's
    /// socket, else the port itself.
    func endName(local: Int, peer: Int) -> String {
        for entry in entries {
            if let pair = Session.ports(of: entry.socket), pair.local == local, pair.peer == peer { return entry.name }
        }
        if let name = closedNames[PortPair(local: local, peer: peer)] { return name }
        for entry in entries {
            if let pair = Session.ports(of: entry.socket), pair.local == local, pair.peer == 0 { return entry.name }
        }
        for server in servers.servers where server.local.port == local {
            for client in server.clients {
                if let socket = client.socket, let pair = Session.ports(of: socket), pair.peer == peer { return "\(server.name)/\(client.number)" }
            }
            return server.name
        }
        return "port \(local)"
    }

    /// Marks each TCP socket's state on its lifeline when it changed.
    func noteStates() {
        for entry in entries where entry.socket.type == Int32(SOCK_STREAM.rawValue)
            && (entry.socket.family == AF_INET || entry.socket.family == AF_INET6) {
            let state = KernelView(entry.socket, hadConnection: entry.hadConnection).state
            if state.allSatisfy({ $0.isUppercase || $0 == "_" }) { timeline.note(state: state, of: entry.name) }
        }
        // What the kernel keeps of the closed ones: FIN_WAIT_2, TIME_WAIT, then
        // nothing; those marked CLOSED need no more asking.
        let lingering = closedNames.filter { timeline.state(of: $0.value) != "CLOSED" }
        guard !lingering.isEmpty, let kernel = try? SocketDiagnostics.all() else { return }
        for (pair, name) in lingering {
            let found = kernel.first { $0.protocol == Int32(IPPROTO_TCP) && $0.localPort == pair.local && $0.remotePort == pair.peer }
            let state = found.map { TCPInfo.stateName($0.state) } ?? "CLOSED"
            timeline.note(state: state, of: name)
        }
    }
    /// Whether jobs, watches or servers may have lines to print between commands.
    public var hasAsynchronousLines: Bool { jobs.isActive || watches.isActive || servers.isActive || packets.isCapturing }

    /// The last command that failed, for `why`.
    public internal(set) var lastFailure: Failure?
    /// Every line run so far, for `export python`: kept as text (parsed
    /// again on export) so a long replay costs little memory.
    public internal(set) var commandLog: [LoggedLine] = []

    public init() {}

    public func entry(named name: String) throws -> SocketEntry {
        // Commands in a row mostly name the same socket: compare with the
        // last one found before hashing the name.
        if let last = lastFound, last.name == name { return last }
        guard let entry = byName[name] else { throw ShellError.name(name) }
        lastFound = entry
        return entry
    }

    /// The entry `entry(named:)` found last; nil once it is removed.
    private var lastFound: SocketEntry?

    public func contains(_ name: String) -> Bool { byName[name] != nil }

    /// Fails unless `name` is an identifier that no open socket holds.
    func checkFree(_ name: String) throws {
        guard isIdentifier(name) else {
            throw ShellError.value("socket names are identifiers ([A-Za-z_][A-Za-z0-9_]*), not \(pythonStringRepr(name))")
        }
        if byName[name] != nil {
            throw ShellError.value("name '\(name)' is already an open socket; close it first")
        }
        if servers.server(named: name) != nil {
            throw ShellError.value("name '\(name)' is a server; stop \(name) first")
        }
    }

    @discardableResult
    func add(_ socket: Socket, as name: String) -> SocketEntry {
        let entry = SocketEntry(name: name, socket: socket)
        entries.append(entry)
        byName[name] = entry
        lastFound = entry
        return entry
    }

    /// Port pairs (local, peer) of connections the session closed:
    /// `connections` still shows what the kernel keeps of them (TIME_WAIT).
    /// At most a few thousand.
    private var closedPairs: Set<PortPair> = []

    /// A connection's ports, local then peer (0 for a socket with no peer).
    struct PortPair: Hashable {
        let local: Int
        let peer: Int
    }

    /// Whether a segment with these ports is the session's: in a sandbox
    /// every one is; elsewhere those of its connections, open or closed,
    /// and those to or from its listeners.
    func owns(sourcePort: Int, destinationPort: Int) -> Bool {
        if Sandbox.isActive { return true }
        let (pairs, listening) = endpoints()
        return pairs.contains(PortPair(local: sourcePort, peer: destinationPort))
            || pairs.contains(PortPair(local: destinationPort, peer: sourcePort))
            || listening.contains(sourcePort) || listening.contains(destinationPort)
    }

    /// The port pairs of every socket the session holds or held, and the
    /// ports it listens on (its own and its servers').
    func endpoints() -> (pairs: Set<PortPair>, listening: Set<Int>) {
        var pairs = closedPairs
        var listening: Set<Int> = []
        for entry in entries {
            guard let pair = Session.ports(of: entry.socket) else { continue }
            pairs.insert(pair)
            if pair.peer == 0 { listening.insert(pair.local) }
        }
        for server in servers.servers { listening.insert(server.local.port) }
        return (pairs, listening)
    }

    private static func ports(of socket: Socket) -> PortPair? {
        guard let local = ((try? socket.localAddress()) ?? nil)?.port, local != 0 else { return nil }
        return PortPair(local: Int(local), peer: Int(((try? socket.peerAddress()) ?? nil)?.port ?? 0))
    }

    func remove(_ name: String) {
        guard let entry = byName.removeValue(forKey: name) else { return }
        if closedPairs.count < 4096, let pair = Session.ports(of: entry.socket), pair.peer != 0 {
            closedPairs.insert(pair)
            if packets.isCapturing { closedNames[pair] = entry.name }
        }
        if lastFound === entry { lastFound = nil }
        // The newest sockets are the likeliest to close: search from the end.
        if let index = entries.lastIndex(where: { $0 === entry }) { entries.remove(at: index) }
    }

    /// Closes every socket, as the end of a session does.
    public func closeAll() {
        jobs.stopAll()
        servers.stopAll()
        packets.stop()
        for entry in entries { try? entry.socket.close() }
        entries.removeAll()
        byName.removeAll()
        lastFound = nil
    }

    /// The next free default name for a socket accepted on `listener`.
    func acceptedName(for listener: SocketEntry) -> String {
        while true {
            let candidate = "\(listener.name)_\(listener.nextAcceptIndex)"
            listener.nextAcceptIndex += 1
            if byName[candidate] == nil { return candidate }
        }
    }
}

/// One line of a session, as `export python` writes it again.
public enum LoggedLine: Equatable {
    /// A command, in sockshell's syntax.
    case command(String)
    /// A line of Python, as typed (a pasted prompt taken off). `refusal` is
    /// the error sockshell gave instead of running it, where the refusal is
    /// sockshell's own (its SyntaxError, a block, a module it does not know):
    /// python3 would run the line, or fail it otherwise. (Boxed: every
    /// command run is logged, and the error would make each entry as large.)
    indirect case python(String, refusal: ShellError?)
}
