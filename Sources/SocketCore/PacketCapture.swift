import CLinux
import Glibc

/// The IP packets on the network namespace's interfaces, as tcpdump sees
/// them: an AF_PACKET socket (SOCK_DGRAM, so each packet starts at its IP
/// header) with a classic BPF filter that keeps TCP and UDP over IPv4 and
/// IPv6. On loopback every packet passes twice (sent, then received); the
/// sent copy is dropped, as libpcap drops it. Needs CAP_NET_RAW, which a
/// `--sandbox` session has in its own namespace. The corresponding C
/// functions are `socket(AF_PACKET)`, `setsockopt(SO_ATTACH_FILTER)` and
/// `recvfrom`.
public final class PacketCapture {
    public struct Packet {
        /// Seconds since the epoch, when it was read.
        public let time: Double
        /// The IP packet from its header on, its first `snapLength` bytes.
        public let bytes: [UInt8]
        /// Its whole length on the wire.
        public let length: Int
    }

    /// The bytes kept of each packet: every header, and the start of its payload.
    public static let snapLength = 512

    private var fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536 + 64)
    /// What the reading thread took from the kernel and `take` has not.
    /// Reading and queueing happen under `lock`, so packets stay in order.
    private var queued: [Packet] = []
    private let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()
    private let stopping: Wakeup
    private let stopped: Wakeup
    /// Readable when the reading thread queued packets.
    private let arrived: Wakeup

    public init() throws {
        let protocolAll = UInt16(ETH_P_ALL).bigEndian
        let fd = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                        Int32(protocolAll))
        guard fd >= 0 else { throw Errno.current }
        let moved = Files.moveHigh(fd)
        self.fd = moved
        do {
            stopping = try Wakeup()
            stopped = try Wakeup()
            arrived = try Wakeup()
        } catch {
            _ = close(moved)
            throw error
        }
        do {
            try PacketCapture.attachFilter(moved)
            // Room for a burst: each packet queued counts whole (a loopback
            // segment is up to 64 KiB, however little of it the filter
            // keeps), and SO_RCVBUF stops at net.core.rmem_max (416 KiB by
            // default, six segments), too few when the reading thread waits
            // for a core. SO_RCVBUFFORCE passes that limit with CAP_NET_ADMIN,
            // which a --sandbox session has in its own namespace: 64 MiB is
            // a thousand such segments, memory the kernel takes only while
            // they wait.
            var size: Int32 = 32 << 20   // the kernel doubles it
            if setsockopt(moved, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(moved, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        } catch {
            _ = close(moved)
            throw error
        }
        // A thread of its own reads the kernel's queue as packets come, so
        // that a bulk transfer, which passes between two commands, loses
        // none to a full socket buffer. It holds only its own lock.
        try BackgroundThread.start { [self] in readUntilStopped() }
    }

    /// Ends the reading thread (which holds the capture until then) and
    /// closes every descriptor of the capture now, so that a session that
    /// stops capturing is left with none of them.
    public func stop() {
        guard fd >= 0 else { return }
        stopping.signal()
        var request = [pollfd(fd: stopped.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        _ = poll(&request, 1, 2000)
        pthread_mutex_lock(lock)
        _ = close(fd)
        fd = -1
        pthread_mutex_unlock(lock)
        for wakeup in [stopping, stopped, arrived] { wakeup.close() }
    }

    deinit {
        if fd >= 0 { _ = close(fd) }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Readable (for poll) when packets wait for `take`.
    public var fileDescriptor: Int32 { arrived.fileDescriptor }

    private func readUntilStopped() {
        var requests = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                        pollfd(fd: stopping.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        while true {
            requests[0].revents = 0
            requests[1].revents = 0
            if poll(&requests, 2, -1) < 0, errno != EINTR { break }
            if requests[1].revents != 0 { break }
            pthread_mutex_lock(lock)
            let packets = readWaiting()
            queued += packets
            pthread_mutex_unlock(lock)
            if !packets.isEmpty { arrived.signal() }
        }
        stopped.signal()
    }

    /// TCP or UDP over IPv4 (protocol byte at offset 9) or IPv6 (next header
    /// at offset 6; extension headers are not followed), not the sent copy
    /// of a loopback packet: the filter the kernel runs before a packet is
    /// queued for sockshell at all. (Jumps count from the next instruction;
    /// the numbers in the comments are those after the first four.)
    private static func attachFilter(_ fd: Int32) throws {
        func statement(_ code: Int32, _ k: UInt32) -> sock_filter { sock_filter(code: UInt16(code), jt: 0, jf: 0, k: k) }
        func jump(_ code: Int32, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> sock_filter {
            sock_filter(code: UInt16(code), jt: jt, jf: jf, k: k)
        }
        let load = BPF_LD | BPF_B | BPF_ABS, equal = BPF_JMP | BPF_JEQ | BPF_K
        // The kernel's own facts of the packet (SKF_AD_OFF + SKF_AD_PKTTYPE, + SKF_AD_HATYPE).
        let ancillary = BPF_LD | BPF_W | BPF_ABS, packetType = UInt32(bitPattern: -0x1000 + 4),
            hardwareType = UInt32(bitPattern: -0x1000 + 28)
        var program: [sock_filter] = [
            // The sent copy of a loopback packet is dropped here, in the
            // kernel, so it takes no room in the queue.
            statement(ancillary, packetType),                 // A = pkttype
            jump(equal, UInt32(PACKET_OUTGOING), 0, 2),       // outgoing -> next, else 0
            statement(ancillary, hardwareType),               // A = hatype
            jump(equal, UInt32(SOCKSHELL_ARPHRD_LOOPBACK), 11, 0),  // loopback -> drop (11), else 0
            statement(load, 0),                              // 0: A = first byte
            statement(BPF_ALU | BPF_RSH | BPF_K, 4),          // 1: A = IP version
            jump(equal, 4, 0, 3),                             // 2: v4 -> 3, else 6
            statement(load, 9),                               // 3: A = protocol
            jump(equal, 6, 5, 0),                             // 4: TCP -> accept (10)
            jump(equal, 17, 4, 5),                            // 5: UDP -> accept (10), else drop (11)
            jump(equal, 6, 0, 4),                             // 6: v6 -> 7, else drop (11)
            statement(load, 6),                               // 7: A = next header
            jump(equal, 6, 1, 0),                             // 8: TCP -> accept (10)
            jump(equal, 17, 0, 1),                            // 9: UDP -> accept (10), else drop (11)
            statement(BPF_RET | BPF_K, UInt32(snapLength)),   // 10: accept, its first snapLength bytes
            statement(BPF_RET | BPF_K, 0),                    // 11: drop
        ]
        let result = program.withUnsafeMutableBufferPointer { instructions -> Int32 in
            var filter = sock_fprog(len: UInt16(instructions.count), filter: instructions.baseAddress)
            return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, socklen_t(MemoryLayout<sock_fprog>.size))
        }
        guard result == 0 else { throw Errno.current }
    }

    /// An IP packet's length from its header (the capture keeps only its start).
    public static func wireLength(_ bytes: [UInt8]) -> Int? {
        guard let first = bytes.first else { return nil }
        if first >> 4 == 4, bytes.count >= 4 { return Int(bytes[2]) << 8 | Int(bytes[3]) }
        if first >> 4 == 6, bytes.count >= 6 { return 40 + (Int(bytes[4]) << 8 | Int(bytes[5])) }
        return nil
    }

    /// Every packet captured so far and not taken yet: those the thread
    /// queued, then those still in the kernel's queue, read here; and how
    /// many the kernel dropped since the last call, its queue full, as
    /// tcpdump's "packets dropped by kernel" counts them.
    public func take() -> (packets: [Packet], dropped: Int) {
        arrived.drain()
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        let packets = queued + readWaiting()
        queued.removeAll()
        return (packets, droppedSinceLastCall())
    }

    /// PACKET_STATISTICS, which the kernel resets as it reports them.
    private func droppedSinceLastCall() -> Int {
        guard fd >= 0 else { return 0 }
        var counts = tpacket_stats()
        var length = socklen_t(MemoryLayout<tpacket_stats>.size)
        guard getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &counts, &length) == 0 else { return 0 }
        return Int(counts.tp_drops)
    }

    private func readWaiting() -> [Packet] {
        var packets: [Packet] = []
        guard fd >= 0 else { return packets }
        while true {
            var address = sockaddr_ll()
            var length = socklen_t(MemoryLayout<sockaddr_ll>.size)
            // MSG_TRUNC: the packet's whole length, though snapLength bytes came.
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, Int32(MSG_TRUNC), $0, &length)
                    }
                }
            }
            guard count > 0 else { break }
            // The sent copy of a loopback packet (its received copy follows):
            // the filter drops it, but not one queued before it was attached.
            if address.sll_pkttype == UInt8(PACKET_OUTGOING), address.sll_hatype == UInt16(SOCKSHELL_ARPHRD_LOOPBACK) { continue }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let kept = Array(buffer[..<min(count, buffer.count)])
            packets.append(Packet(time: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9, bytes: kept,
                                  length: PacketCapture.wireLength(kept) ?? count))
        }
        return packets
    }
}
