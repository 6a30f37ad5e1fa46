import Glibc

/// The kernel's view of a TCP connection: `struct tcp_info` from
/// `getsockopt(IPPROTO_TCP, TCP_INFO)`, decoded by its stable layout in
/// linux/tcp.h (fields are only ever appended, so a shorter answer from an
/// older kernel leaves the later ones nil).
public struct TCPInfo {
    private let bytes: [UInt8]

    /// The fields in the kernel's order, by the names `ss -i` and linux/tcp.h
    /// use (without the `tcpi_` prefix).
    public var fields: [(name: String, value: UInt64)] {
        TCPInfo.layout.compactMap { field in value(at: field.offset, size: field.size).map { (field.name, $0) } }
    }

    /// One field by name, nil when the kernel's answer is too short for it.
    public func field(_ name: String) -> UInt64? {
        guard let field = TCPInfo.layout.first(where: { $0.name == name }) else { return nil }
        return value(at: field.offset, size: field.size)
    }

    public var state: Int { Int(bytes.first ?? 0) }

    private func value(at offset: Int, size: Int) -> UInt64? {
        guard offset + size <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }

    /// The name of a TCP state (`ESTABLISHED`, `TIME_WAIT`, ...), as netstat shows it.
    public static func stateName(_ state: Int) -> String {
        let names = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
                     "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"]
        return names.indices.contains(state) && state > 0 ? names[state] : "UNKNOWN(\(state))"
    }

    /// Each field's name, byte offset and size in `struct tcp_info`.
    public static let layout: [(name: String, offset: Int, size: Int)] = [
        ("state", 0, 1), ("ca_state", 1, 1), ("retransmits", 2, 1), ("probes", 3, 1), ("backoff", 4, 1),
        ("options", 5, 1), ("rto", 8, 4), ("ato", 12, 4), ("snd_mss", 16, 4), ("rcv_mss", 20, 4),
        ("unacked", 24, 4), ("sacked", 28, 4), ("lost", 32, 4), ("retrans", 36, 4),
        ("last_data_sent", 44, 4), ("last_ack_sent", 48, 4), ("last_data_recv", 52, 4), ("last_ack_recv", 56, 4),
        ("pmtu", 60, 4), ("rcv_ssthresh", 64, 4), ("rtt", 68, 4), ("rttvar", 72, 4), ("snd_ssthresh", 76, 4),
        ("snd_cwnd", 80, 4), ("advmss", 84, 4), ("reordering", 88, 4), ("rcv_rtt", 92, 4), ("rcv_space", 96, 4),
        ("total_retrans", 100, 4), ("pacing_rate", 104, 8), ("max_pacing_rate", 112, 8),
        ("bytes_acked", 120, 8), ("bytes_received", 128, 8), ("segs_out", 136, 4), ("segs_in", 140, 4),
        ("notsent_bytes", 144, 4), ("min_rtt", 148, 4), ("data_segs_in", 152, 4), ("data_segs_out", 156, 4),
        ("delivery_rate", 160, 8), ("busy_time", 168, 8), ("rwnd_limited", 176, 8), ("sndbuf_limited", 184, 8),
        ("delivered", 192, 4), ("delivered_ce", 196, 4), ("bytes_sent", 200, 8), ("bytes_retrans", 208, 8),
        ("dsack_dups", 216, 4), ("reord_seen", 220, 4),
    ]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

extension Socket {
    /// The corresponding C function is `getsockopt` with `TCP_INFO`.
    public func tcpInfo() throws -> TCPInfo {
        TCPInfo(bytes: try option(level: Int32(IPPROTO_TCP), name: 11 /* TCP_INFO */, length: 232))
    }
}
