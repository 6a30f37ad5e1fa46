import CLinux
import Glibc

/// A second host inside a `--sandbox` (`host add B`): a network namespace
/// of its own joined to the session's by a veth pair, with an address from
/// 10.99.0.0/24 at each end. Nothing routes out of either namespace. The
/// corresponding C functions are `unshare(CLONE_NEWNET)`, `setns` and the
/// SIOCSIF* ioctls; the veth pair is made by `ip link add` (iproute2).
public final class NetworkHost {
    public let name: String
    /// This host's address, and the session's end of the link.
    public let address: String
    public let peerAddress: String
    /// The veth ends: the session's, and the host's.
    public let localInterface: String
    public let remoteInterface: String
    let namespace: Int32

    init(name: String, address: String, peerAddress: String, localInterface: String, remoteInterface: String, namespace: Int32) {
        self.name = name
        self.address = address
        self.peerAddress = peerAddress
        self.localInterface = localInterface
        self.remoteInterface = remoteInterface
        self.namespace = namespace
    }

    deinit { _ = close(namespace) }
}

public enum Hosts {
    public struct Failed: Error {
        public let reason: String
    }

    /// The session's own network namespace, as a descriptor, once opened.
    nonisolated(unsafe) private static var home: Int32 = -1

    private static func homeNamespace() throws -> Int32 {
        if home >= 0 { return home }
        let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failed(reason: "cannot open this network namespace: \(Errno.current.message)") }
        home = Files.moveHigh(fd)
        return home
    }

    /// Makes host number `index` (1, 2, ...): a /30 of 10.99.0.0/24 for
    /// each link, its first address on the session's side, its second on the host's.
    public static func add(name: String, index: Int) throws -> NetworkHost {
        guard Sandbox.isActive else {
            throw Failed(reason: "hosts exist only inside a sandbox: start sockshell --sandbox")
        }
        guard let ip = ChildProcess.findProgram("ip") else {
            throw Failed(reason: "host add makes its link with ip (iproute2), which is not installed")
        }
        let homeFD = try homeNamespace()
        guard sockshell_unshare_network() == 0 else {
            throw Failed(reason: "unshare(CLONE_NEWNET) failed: \(Errno.current.message)")
        }
        let opened = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let namespaceFD = opened >= 0 ? Files.moveHigh(opened) : -1
        let lo = Result { try Sandbox.bringUp("lo") }
        guard sockshell_setns(homeFD, 0x40000000) == 0 else {
            throw Failed(reason: "could not come back to the session's network: \(Errno.current.message)")
        }
        guard namespaceFD >= 0 else { throw Failed(reason: "cannot open the new namespace: \(Errno.current.message)") }
        if case .failure(let error) = lo { _ = close(namespaceFD); throw error }
        let local = "sb\(index)a", remote = "sb\(index)b"
        let mine = "10.99.0.\(4 * (index - 1) + 1)", theirs = "10.99.0.\(4 * (index - 1) + 2)"
        let command = "\(ip) link add \(local) type veth peer name \(remote) netns /proc/\(getpid())/fd/\(namespaceFD) 2>&1"
        let termination = try ChildProcess.run(shell: command)
        guard termination == .exited(0) else {
            _ = close(namespaceFD)
            throw Failed(reason: "ip link add \(local) type veth failed (\(termination))")
        }
        try configure(local, address: mine)
        try inside(namespaceFD) { try configure(remote, address: theirs) }
        return NetworkHost(name: name, address: theirs, peerAddress: mine, localInterface: local, remoteInterface: remote,
                           namespace: namespaceFD)
    }

    /// Runs `body` with the calling thread in the host's network namespace:
    /// the sockets it makes are the host's. The corresponding C function is `setns`.
    public static func run<T>(in host: NetworkHost, _ body: () throws -> T) throws -> T {
        try inside(host.namespace, body)
    }

    private static func inside<T>(_ namespace: Int32, _ body: () throws -> T) throws -> T {
        let homeFD = try homeNamespace()
        guard sockshell_setns(namespace, 0x40000000) == 0 else {
            throw Failed(reason: "setns into the host's network failed: \(Errno.current.message)")
        }
        defer { _ = sockshell_setns(homeFD, 0x40000000) }
        return try body()
    }

    /// Both ends of the host's link get `mtu`, and segmentation offloads
    /// are switched off on them, so that segments are cut to the MTU as a
    /// real network would cut them (a veth otherwise passes 64 KiB ones).
    public static func setMTU(_ host: NetworkHost, _ mtu: Int) throws {
        try interface(host.localInterface, mtu: mtu)
        try inside(host.namespace) { try interface(host.remoteInterface, mtu: mtu) }
    }

    private static func control(_ body: (Int32) throws -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failed(reason: "socket: \(Errno.current.message)") }
        defer { _ = close(fd) }
        try body(fd)
    }

    /// An address with a /30 mask, the link up, offloads off.
    private static func configure(_ name: String, address: String) throws {
        try control { fd in
            var request = Sandbox.interfaceRequest(name)
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, address, &sin.sin_addr)
            withUnsafeMutableBytes(of: &request.ifr_ifru) { bytes in
                withUnsafeBytes(of: sin) { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(bytes.count))) }
            }
            guard ioctl(fd, UInt(SIOCSIFADDR), &request) == 0 else {
                throw Failed(reason: "SIOCSIFADDR \(name) \(address): \(Errno.current.message)")
            }
            var mask = sockaddr_in()
            mask.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, "255.255.255.252", &mask.sin_addr)
            withUnsafeMutableBytes(of: &request.ifr_ifru) { bytes in
                withUnsafeBytes(of: mask) { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(bytes.count))) }
            }
            guard ioctl(fd, UInt(SIOCSIFNETMASK), &request) == 0 else {
                throw Failed(reason: "SIOCSIFNETMASK \(name): \(Errno.current.message)")
            }
        }
        try Sandbox.bringUp(name)
        try offloadsOff(name)
    }

    private static func interface(_ name: String, mtu: Int) throws {
        try control { fd in
            var request = Sandbox.interfaceRequest(name)
            request.ifr_ifru.ifru_mtu = Int32(mtu)
            guard ioctl(fd, UInt(SIOCSIFMTU), &request) == 0 else {
                throw Failed(reason: "SIOCSIFMTU \(name) \(mtu): \(Errno.current.message)")
            }
        }
    }

    /// ETHTOOL_STSO, ETHTOOL_SGSO and ETHTOOL_SGRO set to 0 through SIOCETHTOOL.
    private static func offloadsOff(_ name: String) throws {
        try control { fd in
            for command: UInt32 in [0x1F, 0x24, 0x2C] {
                var value = (command, UInt32(0))
                var request = Sandbox.interfaceRequest(name)
                let result = withUnsafeMutablePointer(to: &value) { pointer -> Int32 in
                    request.ifr_ifru.ifru_data = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: CChar.self)
                    return ioctl(fd, UInt(0x8946), &request)
                }
                _ = result  // an offload the driver lacks is no error
            }
        }
    }
}
