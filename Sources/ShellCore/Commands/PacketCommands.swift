import Glibc
import SocketCore

extension CommandTable {
    static let packetCommands: [Command] = [
        Command(name: "connections", group: .sockets, parameters: [],
                summary: "the kernel's table of the TCP and UDP sockets on the session's ports, as ss -tuan shows it: "
                    + "TIME_WAIT after a close and connections still in an accept queue too",
                python: "", cCall: "sock_diag(7) netlink, as ss reads it", run: connections),
        Command(name: "host", group: .sockets, parameters: [.required("add"), .required("NAME")],
                summary: "in a --sandbox: a second host NAME, its own network joined to the session's by a link, "
                    + "10.99.0.2 its address and 10.99.0.1 the session's end (the next host .6 and .5, ...)",
                python: "", cCall: "unshare(CLONE_NEWNET), ip link add type veth, SIOCSIFADDR", run: addHost),
        Command(name: "on", group: .sockets, parameters: [.required("HOST"), .required("COMMAND", .command), .repeated("ARG")],
                summary: "run COMMAND with its sockets made in HOST's network (host add made it)",
                python: "", cCall: "setns(2)", run: onHost),
        Command(name: "link", group: .sockets, parameters: [.required("HOST"), .required("mtu"), .required("BYTES", .integer)],
                summary: "set the MTU of HOST's link at both ends; segments are then cut to it as on a real network",
                python: "", cCall: "SIOCSIFMTU, SIOCETHTOOL", run: setLink),
        Command(name: "packets", group: .sockets, parameters: [.required("NAME", .socket)],
                summary: "the segments of NAME's connection captured so far (set packets on), as tcpdump prints them",
                python: "", cCall: "socket(AF_PACKET), recvfrom(2)", run: packetsOf),
    ]
}

/// `connections`: what the kernel holds, beside `sockets` (what the session holds).
private func connections(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let session = call.session
    // Which session socket (or server client) holds each kernel socket, by inode.
    var holders: [UInt64: String] = [:]
    func note(_ socket: Socket, _ name: String) {
        var info = stat()
        if socket.fileDescriptor >= 0, fstat(socket.fileDescriptor, &info) == 0 { holders[UInt64(info.st_ino)] = name }
    }
    for entry in session.entries { note(entry.socket, entry.name) }
    for server in session.servers.servers {
        note(server.listener, server.name)
        for client in server.clients { if let socket = client.socket { note(socket, "\(server.name)/\(client.number)") } }
    }
    let (pairs, listening) = session.endpoints()
    let all = try SocketDiagnostics.all()
    // In a sandbox the whole network is the session's. Elsewhere: what the
    // session holds, what is left of its connections (TIME_WAIT, FIN-WAIT),
    // and connections to its listeners (in the accept queue, or its server's).
    let shown = all.filter { entry in
        Sandbox.isActive || holders[UInt64(entry.inode)] != nil
            || pairs.contains(.init(local: entry.localPort, peer: entry.remotePort))
            || pairs.contains(.init(local: entry.remotePort, peer: entry.localPort))
            || entry.remotePort != 0 && listening.contains(entry.localPort)
    }
    guard !shown.isEmpty else { return .verbatim("(no TCP or UDP sockets on the session's ports)") }
    func endpoint(_ host: String, _ port: Int, family: Int32) -> String {
        let shownHost = family == AF_INET6 ? "[\(host)]" : host
        return port == 0 && (host == "0.0.0.0" || host == "::") ? "\(shownHost):*" : "\(shownHost):\(port)"
    }
    var rows = [["netid", "state", "recv-q", "send-q", "local", "peer", "held by"]]
    let sorted = shown.sorted {
        ($0.protocol, $0.localPort, $0.remotePort, $0.state) < ($1.protocol, $1.localPort, $1.remotePort, $1.state)
    }
    // A connection no socket holds yet, to a port a listener of the
    // session has, waits in that listener's accept queue.
    var listeners: [Int: String] = [:]
    for entry in sorted where entry.state == 10 {
        if let name = holders[UInt64(entry.inode)] { listeners[entry.localPort] = name }
    }
    for entry in sorted {
        var holder = entry.inode == 0 ? "-" : holders[UInt64(entry.inode)] ?? "another process"
        if entry.protocol == Int32(IPPROTO_TCP), entry.state == 1 || entry.state == 3 || entry.state == 12,
           holder == "-", let listener = listeners[entry.localPort] {
            holder = "accept queue of \(listener)"
        }
        rows.append([entry.protocol == Int32(IPPROTO_TCP) ? "tcp" : "udp",
                     SocketDiagnostics.stateName(entry.state, protocol: entry.protocol),
                     String(entry.receiveQueue), String(entry.sendQueue),
                     endpoint(entry.localHost, entry.localPort, family: entry.family),
                     endpoint(entry.remoteHost, entry.remotePort, family: entry.family),
                     escapedLine(holder)])
    }
    return .verbatim(formatTable(rows))
}

/// `packets NAME`: what `set packets on` captured of one socket.
private func packetsOf(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    guard call.session.packets.isCapturing || !call.session.packets.entries.isEmpty else {
        throw ShellError.value("no packets were captured: set packets on first")
    }
    // Late segments (a delayed ACK) first.
    call.runner.reportPackets()
    guard let local = ((try? entry.socket.localAddress()) ?? nil)?.port else { return .verbatim("(no packets)") }
    let peer = ((try? entry.socket.peerAddress()) ?? nil)?.port
    let lines = call.session.packets.lines(local: Int(local), peer: peer.map(Int.init))
    return .verbatim(lines.isEmpty ? "(no packets)" : lines.joined(separator: "\n"))
}

/// `host add NAME`.
private func addHost(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    guard let verb = bound.argument(0), let nameArgument = bound.argument(1) else { throw call.arguments.usageError() }
    guard try call.arguments.text(verb, label: "add") == "add" else { throw call.arguments.usageError() }
    let name = try call.arguments.text(nameArgument, label: "NAME")
    guard isIdentifier(name) else { throw ShellError.value("host names are identifiers, not \(pythonStringRepr(name))") }
    guard call.session.hosts[name] == nil else { throw ShellError.value("host \(pythonStringRepr(name)) exists already") }
    guard call.session.hosts.count < 60 else { throw ShellError.value("at most 60 hosts: 10.99.0.0/24 holds 60 links") }
    do {
        let host = try Hosts.add(name: name, index: call.session.hosts.count + 1)
        call.session.hosts[name] = host
        return .verbatim("host \(name): \(host.address), linked to this session's \(host.peerAddress)")
    } catch let failed as Hosts.Failed {
        throw ShellError("OSError", failed.reason)
    }
}

private func host(_ call: Call, _ argument: Argument?) throws -> NetworkHost {
    guard let argument else { throw call.arguments.usageError() }
    let name = try call.arguments.text(argument, label: "HOST")
    guard let host = call.session.hosts[name] else {
        throw ShellError("NameError", "no host \(pythonStringRepr(name)): host add \(name) makes it")
    }
    return host
}

/// `on HOST COMMAND ARG...`: the command's sockets are made in HOST.
private func onHost(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let target = try host(call, bound.argument(0))
    guard let command = bound.optionalText(1) else { throw call.arguments.usageError() }
    let line = ([command] + bound.repeated(2).map(\.text)).joined(separator: " ")
    let runner = call.runner
    let session = call.session
    let before = Set(session.entries.map(\.name))
    // The sockets the command makes are the host's lifelines in a diagram.
    defer { for entry in session.entries where !before.contains(entry.name) { session.timeline.hostOf[entry.name] = target.name } }
    do {
        let outcome = try Hosts.run(in: target) { try runner.run(line: line) }
        // The command reported its own error; `on` adds none.
        if outcome == .failed { throw SourceFailed() }
    } catch let failed as Hosts.Failed {
        throw ShellError("OSError", failed.reason)
    }
    return nil
}

/// `link HOST mtu BYTES`.
private func setLink(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let target = try host(call, bound.argument(0))
    guard let word = bound.argument(1), try call.arguments.text(word, label: "mtu") == "mtu" else {
        throw call.arguments.usageError()
    }
    let mtu = bound.integer(2)
    guard (68...65535).contains(mtu) else { throw ShellError.value("an MTU is 68 to 65535 bytes, not \(mtu)") }
    do {
        try Hosts.setMTU(target, mtu)
    } catch let failed as Hosts.Failed {
        throw ShellError("OSError", failed.reason)
    }
    return nil
}
