import CLinux
import Glibc

/// `--sandbox`: the session in a private user and network namespace of its
/// own (no root, no setuid), with its own loopback brought up, so that
/// twenty students on one machine can all bind port 8080, and with
/// CAP_NET_RAW inside it for capturing its packets. The corresponding C
/// function is `unshare`.
public enum Sandbox {
    /// Why the sandbox could not be made, in words for one line.
    public struct Refused: Error {
        public let reason: String
    }

    /// Whether this process entered a sandbox.
    nonisolated(unsafe) public private(set) static var isActive = false

    /// Enters the namespaces; must run while the process has one thread.
    public static func enter() throws {
        let uid = getuid(), gid = getgid()
        if sockshell_unshare_user_and_network() != 0 {
            let error = Errno.current
            var reason = "unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: \(error.message)"
            if error.rawValue == EPERM || error.rawValue == ENOSPC || error.rawValue == EUSERS {
                reason = "this kernel does not let unprivileged users make user namespaces "
                    + "(unshare: \(error.message)"
                    + (setting("/proc/sys/kernel/unprivileged_userns_clone") == "0"
                       ? "; kernel.unprivileged_userns_clone is 0" : "")
                    + (setting("/proc/sys/user/max_user_namespaces") == "0"
                       ? "; user.max_user_namespaces is 0" : "")
                    + ")"
            }
            throw Refused(reason: reason)
        }
        // Root inside, the caller's own ids outside: the kernel's rule for a
        // user namespace made without privileges.
        _ = write("/proc/self/setgroups", "deny")
        guard write("/proc/self/uid_map", "0 \(uid) 1"), write("/proc/self/gid_map", "0 \(gid) 1") else {
            throw Refused(reason: "could not map the user into the new namespace: \(Errno.current.message)")
        }
        try bringUp("lo")
        isActive = true
    }

    /// A /proc/sys setting's value, or nil.
    private static func setting(_ path: String) -> String? {
        guard let bytes = try? Files.read(path, upTo: 64) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// A new network namespace for the calling thread (and the threads it
    /// starts from now on), its loopback up: inside a sandbox, whose user is
    /// root of its own namespace, this needs no privilege.
    public static func freshNetwork() throws {
        guard sockshell_unshare_network() == 0 else {
            throw Refused(reason: "unshare(CLONE_NEWNET) failed: \(Errno.current.message)")
        }
        try bringUp("lo")
    }

    private static func write(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { _ = close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// An `ifreq` naming the interface, for the SIOCGIF/SIOCSIF ioctls.
    static func interfaceRequest(_ name: String) -> ifreq {
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { bytes in
            for (index, byte) in name.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        return request
    }

    /// Sets IFF_UP on an interface. The corresponding C function is `ioctl` (SIOCSIFFLAGS).
    public static func bringUp(_ interface: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Refused(reason: "socket: \(Errno.current.message)") }
        defer { _ = close(fd) }
        var request = interfaceRequest(interface)
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &request) == 0 else {
            throw Refused(reason: "SIOCGIFFLAGS \(interface): \(Errno.current.message)")
        }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &request) == 0 else {
            throw Refused(reason: "could not bring \(interface) up: \(Errno.current.message)")
        }
    }
}
