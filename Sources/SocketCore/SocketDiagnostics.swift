import CLinux
import Glibc

/// The kernel's own table of TCP and UDP sockets, as `ss -tan` reads it:
/// sock_diag netlink (SOCK_DIAG_BY_FAMILY, inet_diag), which lists what no
/// process holds any more too (TIME_WAIT after a close, a connection still
/// in an accept queue). The corresponding C function is `sendmsg` on a
/// NETLINK_SOCK_DIAG socket.
public enum SocketDiagnostics {
    public struct Entry: Equatable {
        public let `protocol`: Int32   // IPPROTO_TCP or IPPROTO_UDP
        public let family: Int32
        /// TCP's state number (TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12).
        public let state: Int
        public let receiveQueue: Int
        public let sendQueue: Int
        public let localHost: String
        public let localPort: Int
        public let remoteHost: String
        public let remotePort: Int
        /// The socket's inode (0 for a TIME_WAIT entry, which has none).
        public let inode: UInt32
    }

    /// Every TCP and UDP socket of the network namespace, IPv4 and IPv6.
    public static func all() throws -> [Entry] {
        var entries: [Entry] = []
        for family in [AF_INET, AF_INET6] {
            for proto in [Int32(IPPROTO_TCP), Int32(IPPROTO_UDP)] {
                entries += try dump(family: family, protocol: proto)
            }
        }
        return entries
    }

    private static func dump(family: Int32, protocol proto: Int32) throws -> [Entry] {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_SOCK_DIAG)
        guard fd >= 0 else { throw Errno.current }
        defer { _ = close(fd) }
        var request = sockshell_diag_request()
        request.header.nlmsg_len = UInt32(MemoryLayout<sockshell_diag_request>.size)
        request.header.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
        request.header.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
        request.header.nlmsg_seq = 1
        request.body.sdiag_family = UInt8(family)
        request.body.sdiag_protocol = UInt8(proto)
        request.body.idiag_states = 0xFFFF_FFFF
        let sent = withUnsafeBytes(of: &request) { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent >= 0 else { throw Errno.current }
        var entries: [Entry] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw count < 0 ? Errno.current : Errno(rawValue: EIO) }
            var offset = 0
            while offset + MemoryLayout<nlmsghdr>.size <= count {
                let header = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: nlmsghdr.self) }
                let length = Int(header.nlmsg_len)
                guard length >= MemoryLayout<nlmsghdr>.size, offset + length <= count else { return entries }
                if header.nlmsg_type == UInt16(NLMSG_DONE) { return entries }
                if header.nlmsg_type == UInt16(NLMSG_ERROR) {
                    let code = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + MemoryLayout<nlmsghdr>.size, as: Int32.self) }
                    // A protocol the kernel has no diag module for lists nothing.
                    if code == -ENOENT { return entries }
                    throw Errno(rawValue: -code)
                }
                let message = buffer.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: offset + MemoryLayout<nlmsghdr>.size, as: inet_diag_msg.self)
                }
                entries.append(entry(message, protocol: proto))
                offset += (length + 3) & ~3
            }
        }
    }

    private static func entry(_ message: inet_diag_msg, protocol proto: Int32) -> Entry {
        let family = Int32(message.idiag_family)
        func host(_ words: (UInt32, UInt32, UInt32, UInt32)) -> String {
            var bytes = words
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = withUnsafePointer(to: &bytes) { inet_ntop(family, $0, &text, socklen_t(text.count)) }
            return String(cString: text)
        }
        return Entry(protocol: proto, family: family, state: Int(message.idiag_state),
                     receiveQueue: Int(message.idiag_rqueue), sendQueue: Int(message.idiag_wqueue),
                     localHost: host(message.id.idiag_src), localPort: Int(UInt16(bigEndian: message.id.idiag_sport)),
                     remoteHost: host(message.id.idiag_dst), remotePort: Int(UInt16(bigEndian: message.id.idiag_dport)),
                     inode: message.idiag_inode)
    }

    /// `ss`'s names for TCP's states.
    public static func stateName(_ state: Int, protocol proto: Int32) -> String {
        if proto == Int32(IPPROTO_UDP) { return state == 1 ? "ESTAB" : "UNCONN" }
        let names = ["UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN",
                     "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "SYN-RECV"]
        return state < names.count ? names[state] : String(state)
    }
}
