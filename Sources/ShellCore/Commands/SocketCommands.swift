import SocketCore
import Glibc

extension CommandTable {
    static let socketCommands: [Command] = [
        Command(name: "socket", group: .sockets,
                parameters: [.required("NAME", .newName), .optional("FAMILY", .family).python(default: "socket.AF_INET"),
                             .optional("TYPE", .type).python(default: "socket.SOCK_STREAM"), .optional("PROTO", .proto)],
                summary: "create a socket (AF_INET, SOCK_STREAM unless told; tcp, udp, tcp6, udp6 set both)",
                python: .function("socket.socket", returns: .nothing),
                signature: PythonSignature(owner: "socket.__init__", names: ["family", "type", "proto"],
                                           defaults: ["AF_INET", "SOCK_STREAM", "0"], unsupported: ["fileno"]),
                cCall: "socket(2)", run: socketCommand),
        Command(name: "socketpair", group: .sockets,
                parameters: [.required("A", .newName), .required("B", .newName), .optional("FAMILY", .family), .optional("TYPE", .type)],
                summary: "create two connected sockets (AF_UNIX, SOCK_STREAM unless told)",
                python: "A, B = socket.socketpair(FAMILY, TYPE)",
                signature: PythonSignature(owner: "socketpair", names: ["family", "type"], defaults: ["AF_UNIX", "SOCK_STREAM"],
                                           unsupported: ["proto"]),
                cCall: "socketpair(2)", run: socketPair),
        Command(name: "create_connection", group: .sockets,
                parameters: [.required("NAME", .newName), .required("HOST", .host), .required("PORT", .port), .optional("TIMEOUT", .timeout)],
                summary: "connect a new TCP socket to the first address of HOST that answers",
                python: .function("socket.create_connection", returns: .nothing, address: true),
                signature: PythonSignature(owner: "create_connection", names: ["address", "timeout"], defaults: [nil, nil],
                                           unsupported: ["source_address", "all_errors"]),
                cCall: "getaddrinfo(3), socket(2), connect(2)", run: createConnection),
        Command(name: "create_server", group: .sockets,
                parameters: [.required("NAME", .newName), .required("HOST", .host).starIsAny, .required("PORT", .port),
                             .optional("FAMILY", .family).keyword("family"), .optional("BACKLOG", .integer).c("int").keyword("backlog")],
                summary: "create a listening TCP socket with SO_REUSEADDR, bound to HOST PORT",
                python: .function("socket.create_server", returns: .nothing, address: true),
                signature: PythonSignature(owner: "create_server", names: ["address", "family", "backlog"],
                                           defaults: [nil, "AF_INET", nil], positionalLimit: 1,
                                           unsupported: ["reuse_port", "dualstack_ipv6"]),
                cCall: "socket(2), setsockopt(2), bind(2), listen(2)",
                run: createServer),
        Command(name: "bind", group: .sockets,
                parameters: [.required("NAME", .socket), .required("HOST", .host), .required("PORT", .port)],
                summary: "give the socket a local address (HOST '' or * is any; PORT 0 lets the kernel choose)",
                python: .method("bind", address: true), cCall: "bind(2)",
                run: bind),
        Command(name: "listen", group: .sockets, parameters: [.required("NAME", .socket), .optional("BACKLOG", .integer).c("int")],
                summary: "accept connections on the socket from now on",
                python: .method("listen"), cCall: "listen(2)",
                run: listen),
        Command(name: "accept", group: .sockets,
                parameters: [.required("NAME", .socket), .optional("NEWNAME", .newName)],
                summary: "wait for a connection; the new socket is NEWNAME (default NAME_1, NAME_2, ...)",
                python: "NEWNAME, addr = NAME.accept()", cCall: "accept(2)",
                run: accept),
        Command(name: "connect", group: .sockets,
                parameters: [.required("NAME", .socket), .required("HOST", .host), .required("PORT", .port)],
                summary: "connect the socket to a remote address",
                python: .method("connect", address: true), cCall: "connect(2)",
                run: connect),
        Command(name: "connect_ex", group: .sockets,
                parameters: [.required("NAME", .socket), .required("HOST", .host), .required("PORT", .port)],
                summary: "connect, returning the errno instead of raising (0 on success)",
                python: .method("connect_ex", returns: .value, address: true), cCall: "connect(2)",
                run: connectEx),
        Command(name: "shutdown", group: .sockets,
                parameters: [.required("NAME", .socket), .required("HOW", .shutdown)],
                summary: "stop reading (rd), writing (wr) or both (rdwr) on a connection",
                python: .method("shutdown"), cCall: "shutdown(2)",
                run: shutdown),
        Command(name: "close", group: .sockets, parameters: [.required("NAME", .socket)],
                summary: "close the socket and free its name",
                python: "NAME.close()", cCall: "close(2)",
                run: close),
        Command(name: "getsockname", group: .sockets, parameters: [.required("NAME", .socket)],
                summary: "the socket's local address",
                python: .method("getsockname", returns: .value), cCall: "getsockname(2)",
                run: { _, bound in addressValue(try bound.socket(0).socket.localAddress()) }),
        Command(name: "getpeername", group: .sockets, parameters: [.required("NAME", .socket)],
                summary: "the address of the socket's peer",
                python: .method("getpeername", returns: .value), cCall: "getpeername(2)",
                run: { _, bound in addressValue(try bound.socket(0).socket.peerAddress()) }),
        Command(name: "fileno", group: .sockets, parameters: [.required("NAME", .socket)],
                summary: "the socket's file descriptor",
                python: .method("fileno", returns: .value), cCall: "",
                run: { _, bound in .int(Int(bound.socket(0).socket.fileDescriptor)) }),
        Command(name: "select", group: .sockets,
                parameters: [.required("READ", .sockets), .optional("WRITE", .sockets), .optional("TIMEOUT", .seconds).orNone],
                summary: "wait until sockets in [a, b] are readable or writable; prints ([ready to read], [ready to write])",
                python: "select.select(READ, WRITE, [], TIMEOUT)", cCall: "poll(2)",
                run: select),
        Command(name: "sockets", group: .sockets, parameters: [],
                summary: "list the open sockets: name, fd, family, type, state, addresses, timeout, bytes",
                python: "", cCall: "getsockname(2), getpeername(2)",
                run: socketsTable),
    ]
}

private func socketCommand(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let name = bound.name(0)
    var family = bound.optionalConstant(1) ?? AF_INET
    var type = bound.optionalConstant(2) ?? Int32(SOCK_STREAM.rawValue)
    var proto = bound.optionalConstant(3) ?? 0
    try call.session.checkFree(name)
    // -1 is socket.socket's own default for each of the three (Lib/socket.py).
    if family == -1 { family = AF_INET }
    if type == -1 { type = Int32(SOCK_STREAM.rawValue) }
    if proto == -1 { proto = 0 }
    let socket = try Socket(family: family, type: type, proto: proto, timeout: call.session.defaultTimeout)
    call.session.add(socket, as: name)
    return nil
}

private func socketPair(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let first = bound.name(0)
    let second = bound.name(1)
    let family = bound.optionalConstant(2) ?? AF_UNIX
    let type = bound.optionalConstant(3) ?? Int32(SOCK_STREAM.rawValue)
    try call.session.checkFree(first)
    try call.session.checkFree(second)
    guard first != second else { throw ShellError.value("the two sockets of a pair need two names") }
    let (a, b) = try Socket.pair(family: family, type: type, proto: 0, timeout: call.session.defaultTimeout)
    call.session.add(a, as: first)
    call.session.add(b, as: second)
    return nil
}

/// Python's `create_connection`: every address getaddrinfo gives, in order,
/// until one connects; the last error if none does.
private func createConnection(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let name = bound.name(0)
    let target = bound.hostPort(1)
    let timeout = bound.isGiven(3) ? bound.seconds(3) : call.session.defaultTimeout
    try call.session.checkFree(name)
    let answers = try Resolver.addressInfo(host: target.host, service: String(target.port), type: Int32(SOCK_STREAM.rawValue))
    var lastError: Error = ShellError.osMessage("getaddrinfo returns an empty list")
    for answer in answers {
        guard let address = answer.address else { continue }
        do {
            let socket = try Socket(family: answer.family, type: answer.type, proto: answer.proto, timeout: timeout)
            try socket.connect(address)
            let entry = call.session.add(socket, as: name)
            entry.hadConnection = true
            entry.connectedHost = target.host
            return nil
        } catch let interrupted as Interrupted {
            throw interrupted
        } catch {
            lastError = error
        }
    }
    throw lastError
}

/// Python's `create_server`: SO_REUSEADDR, IPV6_V6ONLY for AF_INET6, bind, listen.
private func createServer(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let name = bound.name(0)
    let target = bound.hostPort(1)
    let family = bound.optionalConstant(3) ?? AF_INET
    let backlog = bound.optionalInteger(4)
    try call.session.checkFree(name)
    try checkHostHasNoNull(target.host)
    guard (0...65535).contains(target.port) else { throw ShellError.overflow("bind(): port must be 0-65535.") }
    if family == AF_INET6, !(0...0xFFFFF).contains(target.flowInfo) {
        throw ShellError.overflow("bind(): flowinfo must be 0-1048575.")
    }
    let socket = try Socket(family: family, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: call.session.defaultTimeout)
    try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, integer: 1)
    if family == AF_INET6 { try? socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, integer: 1) }
    let resolved = try Resolver.numericHost(for: target.host, family: family)
    let address: SocketAddress = family == AF_INET6
        ? .ipv6(host: resolved.host, port: UInt16(target.port), flowInfo: UInt32(target.flowInfo),
                scopeID: UInt32(truncatingIfNeeded: target.scopeID))
        : .ipv4(host: resolved.host, port: UInt16(target.port))
    do {
        try socket.bind(address)
    } catch let error as Errno {
        let shown = Value.tuple([.str(target.host), .int(target.port)]).repr
        throw ShellError.os(error, detail: "\(error.message) (while attempting to bind on address \(shown))")
    }
    try socket.listen(backlog: Int32(clamping: max(0, backlog ?? 128)))
    let entry = call.session.add(socket, as: name)
    // What create_server set on it, for the `sockets` table.
    entry.noteOption("SO_REUSEADDR", "1")
    if family == AF_INET6 { entry.noteOption("IPV6_V6ONLY", "1") }
    return nil
}

private func bind(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    try bound.socket(0).socket.bind(bound.address(1))
    return nil
}

private func listen(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    // CPython's default: min(SOMAXCONN, 128); a negative backlog means 0.
    let backlog = bound.optionalInteger(1) ?? 128
    try bound.socket(0).socket.listen(backlog: Int32(clamping: max(0, backlog)))
    return nil
}

private func accept(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let listener = bound.socket(0)
    let newName = bound.optionalName(1)
    if let newName { try call.session.checkFree(newName) }
    let (socket, peer) = try listener.socket.accept(timeout: call.session.defaultTimeout)
    let entry = call.session.add(socket, as: newName ?? call.session.acceptedName(for: listener))
    entry.hadConnection = true
    // What the listener had set, as the kernel passed it on to the new socket
    // (read back, not assumed: Linux copies some options and not others).
    for option in listener.optionsSet where !option.value.hasPrefix("b") && !option.value.hasPrefix("'") {
        guard let address = optionAddress(option.name),
              let value = try? socket.integerOption(level: address.level, name: address.name) else { continue }
        entry.noteOption(option.name, String(value))
    }
    try handshakeAfterAccept(listener, entry, &call)
    return .tuple([.verbatim(socketRepr(entry)), addressValue(peer)])
}

private func connect(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    try entry.socket.connect(bound.address(1))
    entry.hadConnection = true
    entry.connectedHost = call.arguments.writtenHost(at: 1)
    try handshakeAfterConnect(entry)
    return nil
}

private func connectEx(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    do {
        try entry.socket.connect(bound.address(1))
        entry.hadConnection = true
        entry.connectedHost = call.arguments.writtenHost(at: 1)
        // A TLS error is raised, not returned, as SSLSocket.connect_ex raises it.
        try handshakeAfterConnect(entry)
        return .int(0)
    } catch let error as Errno {
        call.returnedError = error
        return .int(Int(error.rawValue))
    } catch let error as TimeoutExpired {
        // CPython's connect_ex reports an expired timeout as EWOULDBLOCK;
        // `why` explains the timeout it was.
        call.returnedError = error
        return .int(Int(EWOULDBLOCK))
    }
}

private func shutdown(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    try bound.socket(0).socket.shutdown(how: bound.constant(1))
    return nil
}

private func close(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    call.session.remove(entry.name)
    try entry.socket.close()
    return nil
}

/// `select [a, b] [c] 1.5`: names in, names out. Bytes already buffered for
/// a socket make it readable at once, as Python's buffered readers do.
private func select(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let readers = bound.sockets(0)
    let writers = bound.sockets(1)
    let timeout = bound.seconds(2)
    if let seconds = timeout, seconds < 0 { throw ShellError.value("timeout must be non-negative") }

    // A socket with bytes already read is ready whatever the kernel says;
    // then the others are asked without waiting, so every ready one is listed.
    let anyBuffered = readers.contains { $0.readsWithoutWaiting }
    let requests = readers.map { (fd: $0.socket.fileDescriptor, events: Int16(POLLIN)) }
        + writers.map { (fd: $0.socket.fileDescriptor, events: Int16(POLLOUT)) }
    var ready = [Int16](repeating: 0, count: requests.count)
    do {
        ready = try pollUntilReady(requests, deadline: anyBuffered ? monotonicSeconds() : timeout.map { monotonicSeconds() + $0 })
    } catch is TimeoutExpired {
        // select's timeout is not an error: it returns empty lists.
    }
    let readable = readers.enumerated().filter { ready[$0.offset] != 0 || $0.element.readsWithoutWaiting }.map(\.element)
    let writable = writers.enumerated().filter { ready[readers.count + $0.offset] != 0 }.map(\.element)
    let list = { (entries: [SocketEntry]) in Value.list(entries.map { .verbatim($0.name) }) }
    return .tuple([list(readable), list(writable)])
}

/// A row of the `sockets` table: a session's socket, or one a server holds.
private func socketRow(_ name: String, _ socket: Socket, hadConnection: Bool, timeout: String, sent: Int, received: Int,
                       options: String) -> [String] {
    let view = KernelView(socket, hadConnection: hadConnection)
    // A peer's Unix path is one cell: a newline in it cannot forge a row.
    let local = view.local.map { escapedLine(addressValue($0).str) } ?? "-"
    let remote = view.peer.map { escapedLine(addressValue($0).str) } ?? "-"
    return [name, String(socket.fileDescriptor), familyName(socket.family), typeName(socket.type), view.state,
            view.receiveQueue, view.sendQueue, local.isEmpty ? "-" : local, remote.isEmpty ? "-" : remote,
            timeout, String(sent), String(received), options.isEmpty ? "-" : options]
}

private func socketsTable(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let servers = call.session.servers.servers
    guard !call.session.entries.isEmpty || !servers.isEmpty else { return .verbatim("(no open sockets)") }
    var rows = [["name", "fd", "family", "type", "state", "recv-q", "send-q", "local", "remote", "timeout", "sent", "received", "options"]]
    rows.reserveCapacity(call.session.entries.count + 1)
    for entry in call.session.entries {
        var options = entry.optionsSet.map { "\($0.name)=\($0.value)" }
        // A TLS socket says so, with what it agreed: `tls=TLSv1.3/TLS_AES_256_GCM_SHA384`.
        if let stream = entry.socket.tls {
            options.insert("tls=" + (stream.version ?? "?") + "/" + (stream.cipher?.name ?? "?"), at: 0)
        } else if let deferred = entry.deferredTLS {
            options.insert(deferred.serverSide ? "tls=on accept" : "tls=on connect", at: 0)
        }
        rows.append(socketRow(entry.name, entry.socket, hadConnection: entry.hadConnection,
                              timeout: entry.socket.timeout.map(pythonFloatRepr) ?? "None", sent: entry.bytesSent,
                              received: entry.bytesReceived, options: options.joined(separator: ",")))
    }
    // A server's listening socket, then each client it holds (`web/3`):
    // theirs, not the session's, so no command takes them.
    for server in servers {
        rows.append(socketRow(server.name, server.listener, hadConnection: false, timeout: "-", sent: 0, received: 0,
                              options: "serve \(server.kind.rawValue) \(server.model.rawValue)"))
        for client in server.clients {
            let name = "\(server.name)/\(client.number)"
            if let socket = client.socket {
                rows.append(socketRow(name, socket, hadConnection: true, timeout: "-", sent: client.sent,
                                      received: client.received, options: ""))
            } else {
                rows.append([name, "-", "AF_INET", "SOCK_STREAM", "-", "-", "-", "-", escapedLine(client.peer), "-", "-", "-",
                             "process \(client.pid)"])
            }
        }
    }
    // While a job uses a socket, a last column names it (`busy %1`).
    if call.session.entries.contains(where: { $0.busyJob != 0 }) {
        rows[0].append("job")
        for index in 1..<rows.count {
            let entry = index <= call.session.entries.count ? call.session.entries[index - 1] : nil
            rows[index].append(entry.map { $0.busyJob != 0 ? "busy %\($0.busyJob)" : "-" } ?? "-")
        }
    }
    call.fitted = { fitSocketsTable(rows, width: $0) }
    return .verbatim(formatTable(rows))
}
