import Glibc
import SocketCore

extension CommandTable {
    static let serveCommands: [Command] = [
        Command(name: "serve", group: .shell,
                parameters: [.required("NAME", .newName), .required("HOST", .host), .required("PORT", .port),
                             .required("KIND"), .optional("DIR"), .optional("MODEL")],
                summary: "start a server in the background: KIND echo, discard, chargen, daytime, welcome, hello, "
                    + "gopher DIR or http DIR; MODEL iterative, threading, forking or select (the default)",
                python: "socketserver.ThreadingTCPServer((HOST, PORT), Handler).serve_forever()",
                cCall: "socket(2), bind(2), listen(2), accept4(2), poll(2)", run: serve),
        Command(name: "stop", group: .shell, parameters: [.required("NAME")],
                summary: "stop the server NAME: it closes its clients and its listening socket",
                python: "server.shutdown(); server.server_close()", cCall: "close(2)", run: stopServer),
    ]
}

/// `serve NAME HOST PORT KIND [DIR] [MODEL]`: DIR only for gopher and http.
private func serve(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let session = call.session
    let name = bound.name(0)
    let target = bound.hostPort(1)
    guard let kindArgument = bound.argument(3) else { throw call.arguments.usageError() }
    let kindText = try call.arguments.text(kindArgument, label: "KIND")
    guard let kind = ServeKind(rawValue: kindText) else {
        throw ShellError.value("KIND must be one of \(ServeKind.allCases.map(\.rawValue).joined(separator: ", ")), "
                               + "not \(pythonStringRepr(kindText))")
    }
    var rest = [bound.argument(4), bound.argument(5)].compactMap { $0 }
    var directory: String?
    if kind.takesDirectory {
        guard !rest.isEmpty else { throw ShellError.type("serve \(kind.rawValue) takes the directory to serve: serve NAME HOST PORT \(kind.rawValue) DIR [MODEL]") }
        let path = try call.arguments.text(rest.removeFirst(), label: "DIR")
        var info = stat()
        guard stat(path, &info) == 0 else { throw ShellError.os(Errno.current, detail: "\(Errno.current.message): \(pythonStringRepr(path))") }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ShellError.os(Errno(rawValue: ENOTDIR), detail: "\(Errno(rawValue: ENOTDIR).message): \(pythonStringRepr(path))")
        }
        directory = path
    }
    var model = ServeModel.select
    if let modelArgument = rest.first {
        guard rest.count == 1 else { throw call.arguments.usageError() }
        let text = try call.arguments.text(modelArgument, label: "MODEL")
        guard let chosen = ServeModel(rawValue: text) else {
            throw ShellError.value("MODEL must be one of \(ServeModel.allCases.map(\.rawValue).joined(separator: ", ")), "
                                   + "not \(pythonStringRepr(text))")
        }
        model = chosen
    }
    try session.checkFree(name)
    try checkHostHasNoNull(target.host)
    guard (0...65535).contains(target.port) else { throw ShellError.overflow("bind(): port must be 0-65535.") }
    // HOST as create_server takes it; an IPv6 literal serves IPv6.
    let family = target.host.contains(":") ? AF_INET6 : AF_INET
    let resolved = try Resolver.numericHost(for: target.host, family: family)
    let address: SocketAddress = family == AF_INET6
        ? .ipv6(host: resolved.host, port: UInt16(target.port), flowInfo: 0, scopeID: 0)
        : .ipv4(host: resolved.host, port: UInt16(target.port))
    // Timeout 0: the server's threads never block in a call, only in poll(2).
    let listener = try Socket(family: family, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: 0)
    do {
        try listener.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, integer: 1)
        if family == AF_INET6 { try? listener.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, integer: 1) }
        do {
            try listener.bind(address)
        } catch let error as Errno {
            let shown = Value.tuple([.str(target.host), .int(target.port)]).repr
            throw ShellError.os(error, detail: "\(error.message) (while attempting to bind on address \(shown))")
        }
        try listener.listen(backlog: 128)
    } catch {
        try? listener.close()
        throw error
    }
    let localAddress = (try? listener.localAddress()) ?? nil
    var local = (host: resolved.host, port: target.port)
    if case .ipv4(let host, let port)? = localAddress { local = (host, Int(port)) }
    if case .ipv6(let host, let port, _, _)? = localAddress { local = (host, Int(port)) }
    let server = Server(name: name, kind: kind, model: model, directory: directory, listener: listener, local: local)
    try session.servers.add(server)
    do {
        try server.startThread { server.run($0) }
    } catch {
        session.servers.remove(server)
        throw error
    }
    return .verbatim("serving \(kind.rawValue) on \(addressValue(localAddress).repr), \(model.rawValue)")
}

private func stopServer(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    guard let argument = bound.argument(0) else { throw call.arguments.usageError() }
    let name = try call.arguments.text(argument, label: "NAME")
    guard let server = call.session.servers.server(named: name) else {
        if call.session.contains(name) {
            throw ShellError.value("\(name) is a socket, not a server: close \(name) closes it")
        }
        throw ShellError("ProcessLookupError", "no server \(pythonStringRepr(name))")
    }
    call.session.servers.remove(server)
    return nil
}
