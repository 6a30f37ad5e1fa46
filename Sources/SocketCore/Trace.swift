import Glibc

/// `set trace on`: every system call sockshell makes, printed as strace(1)
/// prints it, so a learner sees exactly what a command asked of the kernel.
///
/// The wrappers in `Sys` report each call here after it returns; formatting
/// happens only while a sink is set.
public enum SyscallTrace {
    nonisolated(unsafe) public static var sink: ((String) -> Void)?

    @inline(__always) static var isOn: Bool { sink != nil }

    /// A line that is not a system call (a TLS message), to the same place.
    static func note(_ line: String) {
        guard let sink else { return }
        if let context = WaitContext.current {
            context.traceSink?(line)
            return
        }
        sink(line)
    }

    static func emit(_ name: String, _ arguments: [String], result: Int, hex: Bool = false, errorNumber: Int32 = 0, suffix: String = "") {
        guard let sink else { return }
        var line = "\(name)(\(arguments.joined(separator: ", "))) = "
        if result == -1 {
            let error = Errno(rawValue: errorNumber)
            line += "-1 \(error.name ?? String(errorNumber)) (\(error.message))"
        } else {
            line += hex ? "0x" + String(result, radix: 16) : String(result)
            line += suffix
        }
        // A job's calls go to the job's own output.
        if let context = WaitContext.current {
            context.traceSink?(line)
            return
        }
        sink(line)
    }
}

/// strace's rendering of the pieces of a call.
enum TraceFormat {
    static let families: [Int32: String] = [AF_UNSPEC: "AF_UNSPEC", AF_UNIX: "AF_UNIX", AF_INET: "AF_INET", AF_INET6: "AF_INET6",
                                            AF_NETLINK: "AF_NETLINK", AF_PACKET: "AF_PACKET"]

    static func family(_ value: Int32) -> String { families[value] ?? String(value) }

    static func socketType(_ value: Int32) -> String {
        let base = value & 0xF
        let names: [Int32: String] = [1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET"]
        var parts = [names[base] ?? String(base)]
        if value & Int32(SOCK_CLOEXEC.rawValue) != 0 { parts.append("SOCK_CLOEXEC") }
        if value & Int32(SOCK_NONBLOCK.rawValue) != 0 { parts.append("SOCK_NONBLOCK") }
        return parts.joined(separator: "|")
    }

    static func socketFlags(_ value: Int32) -> String {
        var parts: [String] = []
        if value & Int32(SOCK_CLOEXEC.rawValue) != 0 { parts.append("SOCK_CLOEXEC") }
        if value & Int32(SOCK_NONBLOCK.rawValue) != 0 { parts.append("SOCK_NONBLOCK") }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }

    static func protocolName(_ value: Int32, family: Int32) -> String {
        if family == AF_INET || family == AF_INET6 {
            let names: [Int32: String] = [0: "IPPROTO_IP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 1: "IPPROTO_ICMP",
                                          58: "IPPROTO_ICMPV6", 132: "IPPROTO_SCTP", 255: "IPPROTO_RAW"]
            return names[value] ?? String(value)
        }
        return String(value)
    }

    static func level(_ value: Int32) -> String {
        [SOL_SOCKET: "SOL_SOCKET", 0: "SOL_IP", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6"][value] ?? String(value)
    }

    static func option(_ value: Int32, level: Int32) -> String {
        let socketOptions: [Int32: String] = [1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE",
                                              6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE", 10: "SO_OOBINLINE",
                                              13: "SO_LINGER", 15: "SO_REUSEPORT", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT",
                                              20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD", 30: "SO_ACCEPTCONN", 38: "SO_PROTOCOL", 39: "SO_DOMAIN"]
        let tcpOptions: [Int32: String] = [1: "TCP_NODELAY", 2: "TCP_MAXSEG", 3: "TCP_CORK", 4: "TCP_KEEPIDLE", 5: "TCP_KEEPINTVL",
                                           6: "TCP_KEEPCNT", 9: "TCP_DEFER_ACCEPT", 11: "TCP_INFO", 12: "TCP_QUICKACK", 13: "TCP_CONGESTION"]
        let ipOptions: [Int32: String] = [1: "IP_TOS", 2: "IP_TTL", 3: "IP_HDRINCL", 4: "IP_OPTIONS", 32: "IP_MULTICAST_IF",
                                          33: "IP_MULTICAST_TTL", 34: "IP_MULTICAST_LOOP", 35: "IP_ADD_MEMBERSHIP"]
        let ipv6Options: [Int32: String] = [26: "IPV6_V6ONLY", 16: "IPV6_UNICAST_HOPS"]
        let table: [Int32: String]
        switch level {
        case SOL_SOCKET: table = socketOptions
        case 6: table = tcpOptions
        case 0: table = ipOptions
        case 41: table = ipv6Options
        default: table = [:]
        }
        return table[value] ?? String(value)
    }

    static func shutdownHow(_ value: Int32) -> String {
        ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"].indices.contains(Int(value)) ? ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"][Int(value)] : String(value)
    }

    static func messageFlags(_ value: Int32) -> String {
        if value == 0 { return "0" }
        // In strace's order, the bit's: MSG_TRUNC (0x20) before MSG_DONTWAIT (0x40).
        let names: [(Int32, String)] = [(Int32(MSG_OOB), "MSG_OOB"), (Int32(MSG_PEEK), "MSG_PEEK"), (Int32(MSG_DONTROUTE), "MSG_DONTROUTE"),
                                        (Int32(MSG_TRUNC), "MSG_TRUNC"), (Int32(MSG_DONTWAIT), "MSG_DONTWAIT"),
                                        (Int32(MSG_WAITALL), "MSG_WAITALL"), (Int32(MSG_NOSIGNAL), "MSG_NOSIGNAL"),
                                        (Int32(MSG_MORE), "MSG_MORE")]
        var rest = value
        var parts: [String] = []
        for (bit, name) in names where value & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.joined(separator: "|")
    }

    /// strace's quoted string: at most 32 bytes shown, C escapes, octal for
    /// the rest (three digits when an octal digit follows).
    static func string(_ pointer: UnsafeRawPointer?, count: Int, limit: Int = 32) -> String {
        guard let pointer else { return "NULL" }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        var text = "\""
        let shown = min(count, limit)
        for index in 0..<shown {
            let byte = bytes[index]
            switch byte {
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x0C: text += "\\f"
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0x0B: text += "\\v"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let nextIsOctalDigit = index + 1 < shown && (0x30...0x37).contains(bytes[index + 1])
                text += "\\"
                if nextIsOctalDigit {
                    text += String(byte >> 6) + String((byte >> 3) & 7)
                } else if byte >> 3 != 0 {
                    if byte >> 6 != 0 { text += String(byte >> 6) }
                    text += String((byte >> 3) & 7)
                }
                text += String(byte & 7)
            }
        }
        text += "\""
        if count > limit { text += "..." }
        return text
    }

    /// A socket address as strace decodes it.
    static func address(_ pointer: UnsafePointer<sockaddr>?, length: socklen_t) -> String {
        guard let pointer else { return "NULL" }
        let addressFamily = Int32(pointer.pointee.sa_family)
        let raw = UnsafeRawPointer(pointer)
        switch addressFamily {
        case AF_INET where length >= socklen_t(MemoryLayout<sockaddr_in>.size):
            let address = raw.load(as: sockaddr_in.self)
            var addr = address.sin_addr
            return "{sa_family=AF_INET, sin_port=htons(\(UInt16(bigEndian: address.sin_port))), "
                + "sin_addr=inet_addr(\"\(numericHost(AF_INET, &addr))\")}"
        case AF_INET6 where length >= socklen_t(MemoryLayout<sockaddr_in6>.size):
            let address = raw.load(as: sockaddr_in6.self)
            var addr = address.sin6_addr
            return "{sa_family=AF_INET6, sin6_port=htons(\(UInt16(bigEndian: address.sin6_port))), "
                + "sin6_flowinfo=htonl(\(UInt32(bigEndian: address.sin6_flowinfo))), "
                + "inet_pton(AF_INET6, \"\(numericHost(AF_INET6, &addr))\", &sin6_addr), sin6_scope_id=\(address.sin6_scope_id)}"
        case AF_UNIX:
            let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
            let count = max(0, Int(length) - offset)
            if count == 0 { return "{sa_family=AF_UNIX}" }
            let path = raw + offset
            if path.load(as: UInt8.self) == 0 {
                return "{sa_family=AF_UNIX, sun_path=@" + string(path + 1, count: count - 1, limit: 108) + "}"
            }
            let bytes = UnsafeRawBufferPointer(start: path, count: count)
            let end = bytes.firstIndex(of: 0) ?? count
            return "{sa_family=AF_UNIX, sun_path=" + string(path, count: end, limit: 108) + "}"
        default:
            return "{sa_family=\(family(addressFamily)), sa_data=...}"
        }
    }

    static func pollEvents(_ events: Int16) -> String {
        let names: [(Int16, String)] = [(Int16(POLLIN), "POLLIN"), (Int16(POLLPRI), "POLLPRI"), (Int16(POLLOUT), "POLLOUT"),
                                        (Int16(POLLERR), "POLLERR"), (Int16(POLLHUP), "POLLHUP"), (Int16(POLLNVAL), "POLLNVAL")]
        let parts = names.filter { events & $0.0 != 0 }.map(\.1)
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}
