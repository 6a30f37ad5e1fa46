import Glibc

/// A socket address in the three families sockshell speaks, decoded.
///
/// Hosts are kept as numeric strings (`"127.0.0.1"`, `"::1"`): resolving a
/// name is the resolver's job, done before an address is built.
public enum SocketAddress: Equatable, Sendable {
    case ipv4(host: String, port: UInt16)
    case ipv6(host: String, port: UInt16, flowInfo: UInt32, scopeID: UInt32)
    /// A Unix path; a leading NUL byte means the abstract namespace. Empty for
    /// an unbound Unix socket.
    case unix(path: [UInt8])

    public var family: Int32 {
        switch self {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        case .unix: return AF_UNIX
        }
    }

    /// The port of an IP address, nil for a Unix one.
    public var port: UInt16? {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port, _, _): return port
        case .unix: return nil
        }
    }

    /// The host of an IP address, nil for a Unix one.
    public var host: String? {
        switch self {
        case .ipv4(let host, _), .ipv6(let host, _, _, _): return host
        case .unix: return nil
        }
    }

    /// Encodes the address as the C structure the kernel takes.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        var storage = sockaddr_storage()
        let length: socklen_t
        switch self {
        case .ipv4(let host, let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Errno(rawValue: EINVAL) }
            withUnsafeBytes(of: address) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6(let host, let port, let flowInfo, let scopeID):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_flowinfo = flowInfo.bigEndian
            address.sin6_scope_id = scopeID
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw Errno(rawValue: EINVAL) }
            withUnsafeBytes(of: address) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        case .unix(let path):
            var address = sockaddr_un()
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            // A filesystem path needs room for its terminating NUL; an abstract one does not.
            let isAbstract = path.first == 0
            guard path.count <= (isAbstract ? capacity : capacity - 1) else {
                throw UnixPathTooLong()
            }
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in path.enumerated() { buffer[index] = byte }
            }
            withUnsafeBytes(of: address) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
            // As CPython's getsockaddrarg: the terminating NUL is not counted,
            // so an empty path is the bare family, which autobinds.
            length = socklen_t(pathOffset + path.count)
        }
        return try withUnsafePointer(to: &storage) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// Decodes what the kernel wrote into `storage`; nil for a family sockshell
    /// does not decode.
    public init?(storage: sockaddr_storage, length: socklen_t) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            var addr = address.sin_addr
            self = .ipv4(host: numericHost(AF_INET, &addr), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = address.sin6_addr
            self = .ipv6(host: numericHost(AF_INET6, &addr), port: UInt16(bigEndian: address.sin6_port),
                         flowInfo: UInt32(bigEndian: address.sin6_flowinfo), scopeID: address.sin6_scope_id)
        case AF_UNIX:
            let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
            let count = max(0, Int(length) - pathOffset)
            var path = withUnsafeBytes(of: &storage) { Array($0[pathOffset..<(pathOffset + count)]) }
            // A filesystem path ends at its NUL, as CPython's makesockaddr reads it.
            if path.first != 0, let end = path.firstIndex(of: 0) { path.removeSubrange(end...) }
            self = .unix(path: path)
        default:
            if length == 0 { self = .unix(path: []); return }
            return nil
        }
    }
}

/// An AF_UNIX path longer than `sun_path` holds.
public struct UnixPathTooLong: Error, Equatable, Sendable {
    public init() {}
}

/// `inet_ntop` for an address the kernel gave, which is always valid.
func numericHost(_ family: Int32, _ address: UnsafeRawPointer) -> String {
    if family == AF_INET { return dottedQuad(UnsafeRawBufferPointer(start: address, count: 4)) }
    // On the stack: every getsockname formats one of these.
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buffer in
        guard let base = buffer.baseAddress, inet_ntop(family, address, base, socklen_t(buffer.count)) != nil else { return "" }
        return String(cString: base)
    }
}

/// An IPv4 address as inet_ntop(3) writes it (`127.0.0.1`), without glibc's
/// sprintf underneath: every getsockname and accept formats one.
func dottedQuad(_ address: UnsafeRawBufferPointer) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
        var count = 0
        for (index, byte) in address.enumerated() {
            if index > 0 { buffer[count] = UInt8(ascii: "."); count += 1 }
            if byte >= 100 { buffer[count] = UInt8(ascii: "0") + byte / 100; count += 1 }
            if byte >= 10 { buffer[count] = UInt8(ascii: "0") + byte / 10 % 10; count += 1 }
            buffer[count] = UInt8(ascii: "0") + byte % 10
            count += 1
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
    }
}
