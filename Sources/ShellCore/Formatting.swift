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
    // A peer chooses its own Unix path: its control characters (newlines
    // too) are escaped here, where Python's repr would print them raw.
    let shown = { (value: Value) in escapedLine(value.str) }
    if let local = try? socket.localAddress() {
        let value = addressValue(local)
        if value != .str("") { text += ", laddr=\(shown(value))" }
    }
    if let peer = try? socket.peerAddress() {
        let value = addressValue(peer)
        if value != .str("") { text += ", raddr=\(shown(value))" }
    }
    return text + ">"
}

/// What the kernel says of a socket, for the `sockets` table: its state (the
/// TCP state from TCP_INFO for TCP sockets, else listening, connected, bound
/// or unbound) and its queues as `ss` shows them (bytes waiting to be read and
/// not yet acknowledged; for a TCP listener, connections waiting in the accept
/// queue and the backlog), and its addresses. One TCP_INFO call per socket,
/// and no call whose answer that one already gives: the table must stay
/// fast with thousands of sockets.
struct KernelView {
    var state: String
    var receiveQueue = "-"
    var sendQueue = "-"
    let local: SocketAddress?
    let peer: SocketAddress?

    init(_ socket: Socket, hadConnection: Bool) {
        let info = (socket.family == AF_INET || socket.family == AF_INET6) && socket.type == Int32(SOCK_STREAM.rawValue)
            ? try? socket.tcpInfo() : nil
        local = (try? socket.localAddress()) ?? nil
        // In TCP_CLOSE getpeername can only say ENOTCONN (as in SYN_SENT).
        peer = info?.state == 7 ? nil : ((try? socket.peerAddress()) ?? nil)
        if let info, info.state != 7 || hadConnection {
            // TCP_CLOSE (7) is also a fresh socket, or one whose connect was
            // refused: for those the words below say more.
            state = TCPInfo.stateName(info.state)
            if info.state == 10 {
                receiveQueue = info.field("unacked").map { String($0) } ?? "-"
                sendQueue = info.field("sacked").map { String($0) } ?? "-"
                return
            }
        } else if socket.isClosed {
            state = "closed"
        } else if info == nil, (try? socket.integerOption(level: SOL_SOCKET, name: SO_ACCEPTCONN)) == 1 {
            // (A TCP listener's state is LISTEN above.)
            state = "listening"
        } else if peer != nil {
            state = "connected"
        } else if let port = local?.port {
            state = port == 0 ? "unbound" : "bound"
        } else if case .unix(let path)? = local, !path.isEmpty {
            state = "bound"
        } else {
            state = "unbound"
        }
        receiveQueue = socket.queueLength(request: 0x541B).map(String.init) ?? "-"   // SIOCINQ
        sendQueue = socket.queueLength(request: 0x5411).map(String.init) ?? "-"      // SIOCOUTQ
    }
}

/// Left-aligned columns, two spaces apart, for tables.
func formatTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = header.map { $0.count }
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    var text: [UInt8] = []
    text.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * widths.count + 1))
    for (rowIndex, row) in rows.enumerated() {
        if rowIndex > 0 { text.append(0x0A) }
        for (index, cell) in row.enumerated() {
            text.append(contentsOf: cell.utf8)
            if index < row.count - 1 {
                text.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[index] - cell.count + 2))
            }
        }
    }
    return String(decoding: text, as: UTF8.self)
}

/// Text for HTML and SVG: `&`, `<`, `>` and `"` as entities (the http
/// server's pages and `export diagram`).
func htmlEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(character)
        }
    }
    return out
}
