import SocketCore
import Glibc

/// An address as Python returns it: `('127.0.0.1', 80)`, `('::1', 80, 0, 0)`,
/// a path string for AF_UNIX (bytes for the abstract namespace).
func addressValue(_ address: SocketAddress?) -> Value {
    switch address {
    case .ipv4(let host, let port)?: return .tuple([.str(host), .int(Int(port))])
    case .ipv6(let host, let port, let flowInfo, let scopeID)?:
        return .tuple([.str(host), .int(Int(port)), .int(Int(flowInfo)), .int(Int(scopeID))])
    case .unix(let path)?:
        if path.first == 0 { return .bytes(path) }
        return .str(String(decoding: path, as: UTF8.self))
    case nil:
        return .str("")
    }
}

func familyName(_ family: Int32) -> String {
    PythonConstants.addressFamilies[Int(family)] ?? String(family)
}

func typeName(_ type: Int32) -> String {
    PythonConstants.socketKinds[Int(type)] ?? String(type)
}

/// `<AddressFamily.AF_INET: 2>`, or the bare number for a value with no member.
func familyValue(_ family: Int32) -> Value {
    guard let name = PythonConstants.addressFamilies[Int(family)] else { return .int(Int(family)) }
    return .enumMember(type: "AddressFamily", name: name, value: Int(family))
}

func kindValue(_ type: Int32) -> Value {
    guard let name = PythonConstants.socketKinds[Int(type)] else { return .int(Int(type)) }
    return .enumMember(type: "SocketKind", name: name, value: Int(type))
}

/// A socket as Python's repr shows it, with its session name:
/// `<socket conn fd=5, family=AF_INET, type=SOCK_STREAM, proto=0, laddr=(...), raddr=(...)>`.
func socketRepr(_ entry: SocketEntry) -> String {
    let socket = entry.socket
    var text = "<socket \(entry.name) fd=\(socket.fileDescriptor), family=\(familyName(socket.family)), "
        + "type=\(typeName(socket.type)), proto=\(socket.proto)"
    if let local = try? socket.localAddress() {
        let value = addressValue(local)
        if value != .str("") { text += ", laddr=\(value.str)" }
    }
    if let peer = try? socket.peerAddress() {
        let value = addressValue(peer)
        if value != .str("") { text += ", raddr=\(value.str)" }
    }
    return text + ">"
}

/// What the kernel says the socket is doing: the TCP state from TCP_INFO for
/// TCP sockets, else listening, connected, bound or unbound.
func socketState(_ socket: Socket) -> String {
    if socket.isClosed { return "closed" }
    if (socket.family == AF_INET || socket.family == AF_INET6) && socket.type == Int32(SOCK_STREAM.rawValue),
       let info = try? socket.tcpInfo(), info.state != 7 {
        // TCP_CLOSE covers both a fresh socket and one whose connect failed:
        // the words below say which it is.
        return TCPInfo.stateName(info.state)
    }
    if (try? socket.integerOption(level: SOL_SOCKET, name: SO_ACCEPTCONN)) == 1 { return "listening" }
    if (try? socket.peerAddress()) != nil { return "connected" }
    if let local = try? socket.localAddress() {
        if let port = local.port { return port == 0 ? "unbound" : "bound" }
        if case .unix(let path) = local, !path.isEmpty { return "bound" }
    }
    return "unbound"
}

/// Recv-Q and Send-Q as `ss` shows them: bytes waiting to be read and bytes
/// not yet acknowledged; for a TCP listener, connections waiting in the
/// accept queue and the backlog.
func socketQueues(_ socket: Socket) -> (receive: String, send: String) {
    if (socket.family == AF_INET || socket.family == AF_INET6) && socket.type == Int32(SOCK_STREAM.rawValue),
       let info = try? socket.tcpInfo(), info.state == 10 {
        let field = { (name: String) in info.fields.first { $0.name == name }.map { String($0.value) } ?? "-" }
        return (field("unacked"), field("sacked"))
    }
    let receive = socket.queueLength(request: 0x541B).map(String.init) ?? "-"   // SIOCINQ
    let send = socket.queueLength(request: 0x5411).map(String.init) ?? "-"      // SIOCOUTQ
    return (receive, send)
}

/// Left-aligned columns, two spaces apart, for tables.
func formatTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = header.map { $0.count }
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
