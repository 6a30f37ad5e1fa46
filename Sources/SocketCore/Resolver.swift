import Glibc

/// One answer of `getaddrinfo(3)`.
public struct AddressInfo: Equatable, Sendable {
    public let family: Int32
    public let type: Int32
    public let proto: Int32
    /// As the C library gave it: /etc/hosts may hold any bytes, and only
    /// the shell knows how CPython decodes them.
    public let canonicalName: [UInt8]
    public let address: SocketAddress?
}

/// An entry of the hosts database, as `gethostbyname_r`/`gethostbyaddr_r` give
/// it; names as bytes, undecoded (see `AddressInfo.canonicalName`).
public struct HostEntry: Equatable, Sendable {
    public let name: [UInt8]
    public let aliases: [[UInt8]]
    public let addresses: [String]
}

/// The name resolver and the netdb lookups, with CPython's error mapping:
/// getaddrinfo failures are `ResolverError` (EAI_SYSTEM becomes its `Errno`),
/// legacy netdb failures are `HostError`.
public enum Resolver {
    /// Throws what a nonzero `getaddrinfo`/`getnameinfo` status means.
    static func check(_ status: Int32) throws {
        guard status != 0 else { return }
        if status == EAI_SYSTEM { throw Errno.current }
        throw ResolverError(code: status)
    }

    /// The corresponding C function is `getaddrinfo`.
    public static func addressInfo(host: String?, service: String?, family: Int32 = AF_UNSPEC,
                                   type: Int32 = 0, proto: Int32 = 0, flags: Int32 = 0) throws -> [AddressInfo] {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = type
        hints.ai_protocol = proto
        hints.ai_flags = flags
        var list: UnsafeMutablePointer<addrinfo>?
        try check(blockingCall { getaddrinfo(host, service, &hints, &list) })
        defer { freeaddrinfo(list) }
        var answers: [AddressInfo] = []
        var cursor = list
        while let entry = cursor?.pointee {
            var address: SocketAddress?
            if let pointer = entry.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(entry.ai_addrlen)))
                }
                address = SocketAddress(storage: storage, length: entry.ai_addrlen)
            }
            answers.append(AddressInfo(family: entry.ai_family, type: entry.ai_socktype, proto: entry.ai_protocol,
                                       canonicalName: entry.ai_canonname.map { cStringBytes($0) } ?? [],
                                       address: address))
            cursor = entry.ai_next
        }
        return answers
    }

    /// What CPython's `setipaddr` does with a host before a call that takes an
    /// address: `""` is the wildcard, `"<broadcast>"` the broadcast address,
    /// numeric forms are parsed without a lookup, anything else goes through
    /// `getaddrinfo`. Returns the family found and the numeric host; a scope
    /// (`fe80::1%eth0`) is not part of it: CPython's getsockaddrarg sets the
    /// scope id from the address tuple (0 unless given), whatever setipaddr found.
    public static func numericHost(for name: String, family: Int32) throws -> (family: Int32, host: String) {
        // A dotted quad as inet_ntop writes it ('127.0.0.1') is its own
        // numeric form: every bind of a script gives one.
        if family == AF_UNSPEC || family == AF_INET, isCanonicalDottedQuad(name) { return (AF_INET, name) }
        if name.isEmpty {
            let answers = try addressInfo(host: nil, service: "0", family: family, type: Int32(SOCK_DGRAM.rawValue), flags: AI_PASSIVE)
            guard let first = answers.first?.address, let host = first.host else { throw Errno(rawValue: EAFNOSUPPORT) }
            if answers.count > 1 { throw WildcardAmbiguous() }
            return (first.family, host)
        }
        if name == "255.255.255.255" || name == "<broadcast>" {
            guard family == AF_INET || family == AF_UNSPEC else { throw AddressFamilyMismatch() }
            return (AF_INET, "255.255.255.255")
        }
        var scratch = in6_addr()
        // A canonical dotted quad returned above; what else inet_pton takes
        // is given back in its numeric form.
        if family == AF_UNSPEC || family == AF_INET, inet_pton(AF_INET, name, &scratch) == 1 {
            return (AF_INET, SocketCore.numericHost(AF_INET, &scratch))
        }
        if family == AF_UNSPEC || family == AF_INET6, !name.contains("%"), inet_pton(AF_INET6, name, &scratch) == 1 {
            return (AF_INET6, SocketCore.numericHost(AF_INET6, &scratch))
        }
        let answers = try addressInfo(host: name, service: nil, family: family)
        guard let first = answers.first?.address, let host = first.host else { throw Errno(rawValue: EAFNOSUPPORT) }
        return (first.family, host)
    }

    /// The corresponding C function is `getnameinfo`; the names as bytes.
    public static func nameInfo(_ address: SocketAddress, flags: Int32) throws -> (host: [UInt8], service: [UInt8]) {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        try address.withSockaddr { pointer, length in
            try check(blockingCall { getnameinfo(pointer, length, &host, socklen_t(host.count), &service, socklen_t(service.count), flags) })
        }
        return (host.withUnsafeBufferPointer { cStringBytes($0.baseAddress!) },
                service.withUnsafeBufferPointer { cStringBytes($0.baseAddress!) })
    }

    /// The corresponding C function is `gethostbyname_r` (IPv4 only, like the C call).
    public static func hostByName(_ name: String) throws -> HostEntry {
        try withHostBuffer { entry, buffer, result, hostError in
            blockingCall { gethostbyname_r(name, &entry, buffer.baseAddress, buffer.count, &result, &hostError) }
        }
    }

    /// The corresponding C function is `gethostbyaddr_r`.
    public static func hostByAddress(_ host: String, family: Int32) throws -> HostEntry {
        var raw = in6_addr()
        guard inet_pton(family, host, &raw) == 1 else { throw Errno(rawValue: EINVAL) }
        let length = socklen_t(family == AF_INET ? 4 : 16)
        return try withHostBuffer { entry, buffer, result, hostError in
            blockingCall { gethostbyaddr_r(&raw, length, family, &entry, buffer.baseAddress, buffer.count, &result, &hostError) }
        }
    }

    private static func withHostBuffer(
        _ call: (inout hostent, UnsafeMutableBufferPointer<CChar>, inout UnsafeMutablePointer<hostent>?, inout Int32) -> Int32
    ) throws -> HostEntry {
        var size = 16 * 1024
        while true {
            var entry = hostent()
            var result: UnsafeMutablePointer<hostent>?
            var hostError: Int32 = 0
            var buffer = [CChar](repeating: 0, count: size)
            let status = buffer.withUnsafeMutableBufferPointer { call(&entry, $0, &result, &hostError) }
            if status == ERANGE { size *= 4; continue }
            guard let found = result?.pointee else { throw HostError(code: hostError) }
            let family = found.h_addrtype
            let name = cStringBytes(found.h_name)
            var aliases: [[UInt8]] = []
            var alias = found.h_aliases
            while let pointer = alias?.pointee {
                aliases.append(cStringBytes(pointer))
                alias = alias! + 1
            }
            var addresses: [String] = []
            var addressList = found.h_addr_list
            while let pointer = addressList?.pointee {
                addresses.append(SocketCore.numericHost(family, pointer))
                addressList = addressList! + 1
            }
            return HostEntry(name: name, aliases: aliases, addresses: addresses)
        }
    }

    /// The port of a service, or nil when /etc/services has none.
    /// The corresponding C function is `getservbyname_r`.
    public static func servicePort(name: String, proto: String?) -> Int? {
        var entry = servent()
        var result: UnsafeMutablePointer<servent>?
        var buffer = [CChar](repeating: 0, count: 4096)
        _ = getservbyname_r(name, proto, &entry, &buffer, buffer.count, &result)
        guard let found = result?.pointee else { return nil }
        return Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: found.s_port)))
    }

    /// The name of the service on a port, or nil.
    /// The corresponding C function is `getservbyport_r`.
    public static func serviceName(port: Int, proto: String?) -> String? {
        var entry = servent()
        var result: UnsafeMutablePointer<servent>?
        var buffer = [CChar](repeating: 0, count: 4096)
        _ = getservbyport_r(Int32(UInt16(port).bigEndian), proto, &entry, &buffer, buffer.count, &result)
        guard let found = result?.pointee else { return nil }
        return String(cString: found.s_name)
    }

    /// The number of a protocol, or nil. The corresponding C function is `getprotobyname_r`.
    public static func protocolNumber(name: String) -> Int? {
        var entry = protoent()
        var result: UnsafeMutablePointer<protoent>?
        var buffer = [CChar](repeating: 0, count: 4096)
        _ = getprotobyname_r(name, &entry, &buffer, buffer.count, &result)
        guard let found = result?.pointee else { return nil }
        return Int(found.p_proto)
    }

    /// The corresponding C function is `gethostname`.
    public static func hostName() throws -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        _ = try valueOrErrno { gethostname(&buffer, buffer.count - 1) }
        return String(cString: buffer)
    }

    /// Parses a numeric address into its network-order bytes, or nil.
    /// The corresponding C function is `inet_pton`.
    public static func presentationToNetwork(family: Int32, _ text: String) throws -> [UInt8]? {
        var raw = in6_addr()
        let status = inet_pton(family, text, &raw)
        if status < 0 { throw Errno.current }
        guard status == 1 else { return nil }
        return withUnsafeBytes(of: raw) { Array($0.prefix(family == AF_INET ? 4 : 16)) }
    }

    /// Formats network-order bytes as a numeric address.
    /// The corresponding C function is `inet_ntop`.
    public static func networkToPresentation(family: Int32, _ bytes: [UInt8]) throws -> String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { target in
            for (index, byte) in bytes.prefix(16).enumerated() { target[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, &raw, &buffer, socklen_t(buffer.count)) != nil else { throw Errno.current }
        return String(cString: buffer)
    }

    /// The permissive IPv4 parser (`"127.1"`, `"0x7f.1"`), or nil.
    /// The corresponding C function is `inet_aton`.
    public static func parseIPv4Loosely(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_aton(text, &address) != 0 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }

    /// The network interfaces by index. The corresponding C function is `if_nameindex`.
    public static func interfaces() throws -> [(index: Int, name: String)] {
        guard let list = if_nameindex() else { throw Errno.current }
        defer { if_freenameindex(list) }
        var result: [(Int, String)] = []
        var cursor = list
        while cursor.pointee.if_index != 0, let name = cursor.pointee.if_name {
            result.append((Int(cursor.pointee.if_index), String(cString: name)))
            cursor += 1
        }
        return result
    }
}

/// The bytes of a C string, without its NUL and without decoding them.
func cStringBytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)).bindMemory(to: UInt8.self))
}

/// `''` (any address) with no family given matches both 0.0.0.0 and ::.
public struct WildcardAmbiguous: Error, Equatable, Sendable {
    public init() {}
}

/// The broadcast address was asked for in a family that has none.
public struct AddressFamilyMismatch: Error, Equatable, Sendable {
    public init() {}
}

/// Four decimal parts of 0-255 without leading zeros: what inet_pton(3)
/// accepts for AF_INET and inet_ntop(3) gives back unchanged.
func isCanonicalDottedQuad(_ name: String) -> Bool {
    func check(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parts = 0
        var value = 0
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return false }
                parts += 1
                value = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !(digits == 1 && value == 0) else { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            guard value <= 255 else { return false }
        }
        return parts == 3 && digits > 0
    }
    var name = name
    return name.withUTF8(check)
}
