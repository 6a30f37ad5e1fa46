import Glibc
import SocketCore

extension CommandTable {
    static let packetCommands: [Command] = [
        Command(name: "connections", group: .sockets, parameters: [],
                summary: "the kernel's table of the TCP and UDP sockets on the session's ports, as ss -tuan shows it: "
                    + "TIME_WAIT after a close and connections still in an accept queue too",
                python: "", cCall: "sock_diag(7) netlink, as ss reads it", run: connections),
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
