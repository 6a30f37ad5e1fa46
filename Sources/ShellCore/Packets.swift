import Glibc
import SocketCore

/// `set packets on` (SPEC section 9, issue 14): the TCP and UDP segments
/// each command caused, one line each as tcpdump prints them, kept for
/// `packets NAME` and `export pcap FILE`.
public final class PacketLog {
    struct Entry {
        let time: Double
        /// The packet's first bytes (PacketCapture.snapLength), and its whole length.
        let bytes: [UInt8]
        let length: Int
        let line: String
        let sourcePort: Int
        let destinationPort: Int
        let payload: [UInt8]
    }

    private var capture: PacketCapture?
    private(set) var entries: [Entry] = []
    /// `set packets payload`: each segment's bytes below its line, escaped.
    var showsPayload = false
    private var formatter = TcpdumpFormatter()

    public var isCapturing: Bool { capture != nil }
    /// Readable when a packet waits; -1 when not capturing.
    public var descriptor: Int32 { capture?.fileDescriptor ?? -1 }

    func start() throws {
        guard capture == nil else { return }
        do {
            capture = try PacketCapture()
        } catch let error as Errno where error.rawValue == EPERM || error.rawValue == EACCES {
            throw ShellError("PermissionError", "capturing packets needs CAP_NET_RAW here: "
                             + "run sockshell --sandbox, where the session has its own network and may capture it")
        }
    }

    func stop() {
        capture?.stop()
        capture = nil
    }

    /// The packets captured since the last call that `belongs` says are
    /// the session's, formatted and kept; their lines.
    func takeNew(belongs: (Int, Int) -> Bool) -> (lines: [String], segments: [(line: String, source: Int, destination: Int)]) {
        guard let capture else { return ([], []) }
        var lines: [String] = []
        var segments: [(line: String, source: Int, destination: Int)] = []
        let (packets, dropped) = capture.take()
        for packet in packets {
            guard let parsed = TcpdumpFormatter.ports(packet.bytes), belongs(parsed.source, parsed.destination) else { continue }
            guard let (line, payload) = formatter.line(for: packet.bytes) else { continue }
            entries.append(Entry(time: packet.time, bytes: packet.bytes, length: packet.length, line: line, sourcePort: parsed.source,
                                 destinationPort: parsed.destination, payload: payload))
            // A long transfer is kept to a bound: the newest 100,000 segments.
            if entries.count > 100_000 { entries.removeFirst(entries.count - 100_000) }
            lines.append(line)
            segments.append((line, parsed.source, parsed.destination))
            if showsPayload, !payload.isEmpty { lines.append("    " + escapedText(payload, keepingLineBreaks: false)) }
        }
        // A segment the kernel dropped is said, never left out in silence.
        if dropped > 0 {
            lines.append("\(dropped) packet\(dropped == 1 ? "" : "s") dropped by kernel (the capture fell behind; "
                         + "these lines miss them)")
        }
        return (lines, segments)
    }

    /// The lines of the segments with these ports (either way), or to or from `port`.
    func lines(local: Int, peer: Int?) -> [String] {
        entries.filter { entry in
            guard let peer else { return entry.sourcePort == local || entry.destinationPort == local }
            return entry.sourcePort == local && entry.destinationPort == peer || entry.sourcePort == peer && entry.destinationPort == local
        }.map(\.line)
    }

    /// The packets as a pcap file (LINKTYPE_RAW: each record an IP packet),
    /// as tcpdump -r and Wireshark read it.
    func pcap() -> [UInt8] {
        var out: [UInt8] = []
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put32(0xA1B2_C3D4); put16(2); put16(4); put32(0); put32(0); put32(UInt32(PacketCapture.snapLength)); put32(101)
        for entry in entries {
            let seconds = entry.time.rounded(.down)
            put32(UInt32(seconds)); put32(UInt32(((entry.time - seconds) * 1e6).rounded(.down)))
            put32(UInt32(entry.bytes.count)); put32(UInt32(max(entry.length, entry.bytes.count)))
            out += entry.bytes
        }
        return out
    }
}

/// A segment as tcpdump 4.99 prints it with -n (numbers, not names), less
/// its time stamp and its `IP ` word: `127.0.0.1.51234 > 127.0.0.1.8080:
/// Flags [S], seq 1234, win 65495, options [mss 65495,...], length 0`.
/// Sequence numbers are relative as tcpdump's are: absolute up to the
/// SYN-ACK, then counted from each side's first.
struct TcpdumpFormatter {
    private struct Conversation: Hashable {
        let source: [UInt8]
        let destination: [UInt8]
        let ports: UInt32
    }
    private var bases: [Conversation: (seq: UInt32, ack: UInt32)] = [:]

    /// Where the transport header starts, the protocol, and the addresses.
    private static func network(_ bytes: [UInt8]) -> (offset: Int, end: Int, proto: UInt8, source: [UInt8], destination: [UInt8])? {
        guard let first = bytes.first else { return nil }
        switch first >> 4 {
        // `end` is where the packet ends on the wire: the capture may hold
        // only its start.
        case 4:
            let headerLength = Int(first & 0x0F) * 4
            guard bytes.count >= 20, headerLength >= 20 else { return nil }
            let total = Int(bytes[2]) << 8 | Int(bytes[3])
            return (headerLength, max(total, headerLength), bytes[9], Array(bytes[12..<16]), Array(bytes[16..<20]))
        case 6:
            guard bytes.count >= 40 else { return nil }
            let total = 40 + (Int(bytes[4]) << 8 | Int(bytes[5]))
            return (40, total, bytes[6], Array(bytes[8..<24]), Array(bytes[24..<40]))
        default:
            return nil
        }
    }

    static func ports(_ bytes: [UInt8]) -> (source: Int, destination: Int)? {
        guard let ip = network(bytes), ip.offset + 4 <= min(ip.end, bytes.count) else { return nil }
        return (Int(bytes[ip.offset]) << 8 | Int(bytes[ip.offset + 1]), Int(bytes[ip.offset + 2]) << 8 | Int(bytes[ip.offset + 3]))
    }

    private static func address(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(cString: text)
    }

    /// The line, and the segment's payload.
    mutating func line(for bytes: [UInt8]) -> (String, [UInt8])? {
        guard let ip = TcpdumpFormatter.network(bytes), let ports = TcpdumpFormatter.ports(bytes) else { return nil }
        let head = "\(TcpdumpFormatter.address(ip.source)).\(ports.source) > \(TcpdumpFormatter.address(ip.destination)).\(ports.destination):"
        // What was captured of the segment, and its length on the wire.
        let segment = Array(bytes[ip.offset..<max(ip.offset, min(ip.end, bytes.count))])
        let wireLength = ip.end - ip.offset
        if ip.proto == 17 {
            guard segment.count >= 8 else { return (head + " UDP, bad length", []) }
            let length = (Int(segment[4]) << 8 | Int(segment[5])) - 8
            return (head + " UDP, length \(length)", Array(segment.dropFirst(8)))
        }
        guard ip.proto == 6, segment.count >= 20 else { return nil }
        func u32(_ at: Int) -> UInt32 { segment[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        var seq = u32(4), ack = u32(8)
        let headerLength = Int(segment[12] >> 4) * 4
        let flags = segment[13]
        let window = Int(segment[14]) << 8 | Int(segment[15])
        let length = max(0, wireLength - headerLength)
        let (fin, syn, rst, push, ackFlag, urg, ece, cwr): (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
        var thSeq: UInt32 = 0, thAck: UInt32 = 0, reversed = false
        if flags & ackFlag != 0 {
            reversed = ports.source > ports.destination
                || ports.source == ports.destination && ip.source.lexicographicallyPrecedes(ip.destination) == false
                    && ip.source != ip.destination
            let key = reversed
                ? Conversation(source: ip.destination, destination: ip.source, ports: UInt32(ports.destination) << 16 | UInt32(ports.source))
                : Conversation(source: ip.source, destination: ip.destination, ports: UInt32(ports.source) << 16 | UInt32(ports.destination))
            if let base = bases[key], flags & syn == 0 {
                if reversed { seq &-= base.ack; ack &-= base.seq } else { seq &-= base.seq; ack &-= base.ack }
                (thSeq, thAck) = base
            } else {
                let base = reversed ? (seq: ack &- 1, ack: seq) : (seq: seq, ack: ack &- 1)
                bases[key] = base
                (thSeq, thAck) = base
            }
        }
        var text = head + " Flags ["
        for (bit, mark) in [(fin, "F"), (syn, "S"), (rst, "R"), (push, "P"), (ackFlag, "."), (urg, "U"), (ece, "E"), (cwr, "W")]
        where flags & bit != 0 { text += mark }
        if segment[12] & 0x01 != 0 { text += "e" }
        text += "]"
        if length > 0 || flags & (syn | fin | rst) != 0 {
            text += ", seq \(seq)"
            if length > 0 { text += ":\(seq &+ UInt32(length))" }
        }
        if flags & ackFlag != 0 { text += ", ack \(ack)" }
        text += ", win \(window)"
        if flags & urg != 0 { text += ", urg \(Int(segment[18]) << 8 | Int(segment[19]))" }
        if headerLength > 20, headerLength <= segment.count {
            text += ", options [" + TcpdumpFormatter.options(Array(segment[20..<headerLength]), reversed: reversed,
                                                              thSeq: thSeq, thAck: thAck) + "]"
        }
        text += ", length \(length)"
        return (text, length > 0 && headerLength < segment.count ? Array(segment[headerLength...]) : [])
    }

    private static func options(_ bytes: [UInt8], reversed: Bool, thSeq: UInt32, thAck: UInt32) -> String {
        var parts: [String] = []
        var index = 0
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        while index < bytes.count {
            let kind = bytes[index]
            if kind == 0 { parts.append("eol"); index += 1; continue }
            if kind == 1 { parts.append("nop"); index += 1; continue }
            guard index + 1 < bytes.count else { parts.append("[bad opt]"); break }
            let length = Int(bytes[index + 1])
            guard length >= 2, index + length <= bytes.count else { parts.append("[bad opt]"); break }
            let body = index + 2
            switch kind {
            case 2 where length == 4: parts.append("mss \(Int(bytes[body]) << 8 | Int(bytes[body + 1]))")
            case 3 where length == 3: parts.append("wscale \(bytes[body])")
            case 4: parts.append("sackOK")
            case 5:
                var text = "sack \((length - 2) / 8) "
                var at = body
                while at + 8 <= index + length {
                    var start = u32(at), end = u32(at + 4)
                    if reversed { start &-= thSeq; end &-= thSeq } else { start &-= thAck; end &-= thAck }
                    text += "{\(start):\(end)}"
                    at += 8
                }
                parts.append(text)
            case 8 where length == 10: parts.append("TS val \(u32(body)) ecr \(u32(body + 4))")
            default: parts.append("unknown-\(kind) 0x" + bytes[body..<index + length].map(hexByte).joined())
            }
            index += length
        }
        return parts.joined(separator: ",")
    }
}
