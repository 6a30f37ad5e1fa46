import SocketCore
import Glibc

extension CommandTable {
    static let resolverCommands: [Command] = [
        Command(name: "gethostname", group: .resolver, parameters: [],
                summary: "this machine's host name", python: .function("socket.gethostname"), cCall: "gethostname(2)",
                run: { _, _ in .str(try Resolver.hostName()) }),
        Command(name: "gethostbyname", group: .resolver, parameters: [.required("HOST", .host)],
                summary: "the first IPv4 address of HOST", python: .function("socket.gethostbyname"), cCall: "getaddrinfo(3)",
                run: { _, bound in
                    let host = bound.text(0)
                    try checkEncodable(host, for: "gethostbyname")
                    return .str(try Resolver.numericHost(for: host, family: AF_INET).host)
                }),
        Command(name: "gethostbyname_ex", group: .resolver, parameters: [.required("HOST", .host)],
                summary: "(name, aliases, IPv4 addresses) of HOST", python: .function("socket.gethostbyname_ex"),
                cCall: "gethostbyname_r(3)", run: { _, bound in
                    let host = bound.text(0)
                    try checkEncodable(host, for: "gethostbyname_ex")
                    _ = try Resolver.numericHost(for: host, family: AF_INET)
                    return try hostEntryValue(try Resolver.hostByName(host))
                }),
        Command(name: "gethostbyaddr", group: .resolver, parameters: [.required("ADDR", .host)],
                summary: "(name, aliases, addresses) for an address or name", python: .function("socket.gethostbyaddr"),
                cCall: "gethostbyaddr_r(3)", run: { _, bound in
                    let host = bound.text(0)
                    try checkEncodable(host, for: "gethostbyaddr")
                    let resolved = try Resolver.numericHost(for: host, family: AF_UNSPEC)
                    return try hostEntryValue(try Resolver.hostByAddress(resolved.host, family: resolved.family))
                }),
        Command(name: "getfqdn", group: .resolver, parameters: [.optional("NAME", .host)],
                summary: "the fully qualified name of NAME (default: this host)", python: .function("socket.getfqdn"),
                signature: PythonSignature(owner: "getfqdn", names: ["name"], defaults: [nil]),
                cCall: "gethostbyaddr_r(3)", run: fullyQualifiedName),
        Command(name: "getservbyname", group: .resolver,
                parameters: [.required("SERVICE", .service), .optional("PROTO", .protocol)],
                summary: "the port of a service from /etc/services", python: .function("socket.getservbyname"),
                cCall: "getservbyname_r(3)", run: { _, bound in
                    let service = bound.text(0)
                    let proto = bound.optionalText(1)
                    try checkNoNull(service)
                    try checkNoNull(proto)
                    guard let port = Resolver.servicePort(name: service, proto: proto) else {
                        throw ShellError.osMessage("service/proto not found")
                    }
                    return .int(port)
                }),
        Command(name: "getservbyport", group: .resolver,
                parameters: [.required("PORT", .port), .optional("PROTO", .protocol)],
                summary: "the service name of a port", python: .function("socket.getservbyport"),
                cCall: "getservbyport_r(3)", run: { _, bound in
                    let port = bound.integer(0)
                    let proto = bound.optionalText(1)
                    try checkNoNull(proto)
                    guard (0...65535).contains(port) else { throw ShellError.overflow("getservbyport: port must be 0-65535.") }
                    guard let name = Resolver.serviceName(port: port, proto: proto) else {
                        throw ShellError.osMessage("port/proto not found")
                    }
                    return .str(name)
                }),
        Command(name: "getprotobyname", group: .resolver, parameters: [.required("NAME", .protocol)],
                summary: "the number of a protocol from /etc/protocols", python: .function("socket.getprotobyname"),
                cCall: "getprotobyname_r(3)", run: { _, bound in
                    let name = bound.text(0)
                    try checkNoNull(name)
                    guard let number = Resolver.protocolNumber(name: name) else { throw ShellError.osMessage("protocol not found") }
                    return .int(number)
                }),
        Command(name: "getaddrinfo", group: .resolver,
                parameters: [.required("HOST", .host).orNone, .required("PORT", .port).orNone, .optional("FAMILY", .family), .optional("TYPE", .type),
                             .optional("PROTO", .proto), .optional("FLAGS", .aiflags)],
                summary: "every (family, type, proto, canonname, address) for HOST and PORT",
                python: .function("socket.getaddrinfo"),
                signature: PythonSignature(owner: "getaddrinfo", names: ["host", "port", "family", "type", "proto", "flags"],
                                           defaults: [nil, nil, "0", "0", "0", "0"]),
                cCall: "getaddrinfo(3)", run: addressInfo),
        Command(name: "getnameinfo", group: .resolver,
                parameters: [.required("HOST", .host), .required("PORT", .port), .required("FLAGS", .niflags)],
                summary: "(host, service) names for an address", python: .function("socket.getnameinfo", address: true),
                cCall: "getnameinfo(3)", run: nameInfo),
        Command(name: "inet_aton", group: .resolver, parameters: [.required("ADDR", .host)],
                summary: "an IPv4 address as 4 bytes (accepts short forms like 127.1)", python: .function("socket.inet_aton", returns: .bytes),
                cCall: "inet_aton(3)", run: { _, bound in
                    let text = bound.text(0)
                    try checkNoNull(text)
                    guard let bytes = Resolver.parseIPv4Loosely(text) else {
                        throw ShellError.osMessage("illegal IP address string passed to inet_aton")
                    }
                    return .bytes(bytes)
                }),
        Command(name: "inet_ntoa", group: .resolver, parameters: [.required("PACKED", .data)],
                summary: "4 bytes as a dotted IPv4 address", python: .function("socket.inet_ntoa"),
                cCall: "inet_ntoa(3)", run: { _, bound in
                    let bytes = try bound.data(0).load()
                    guard bytes.count == 4 else { throw ShellError.osMessage("packed IP wrong length for inet_ntoa") }
                    return .str(try Resolver.networkToPresentation(family: AF_INET, bytes))
                }),
        Command(name: "inet_pton", group: .resolver,
                parameters: [.required("FAMILY", .family), .required("ADDR", .host)],
                summary: "a numeric address as packed bytes", python: .function("socket.inet_pton", returns: .bytes),
                cCall: "inet_pton(3)", run: { _, bound in
                    let family = bound.constant(0)
                    let text = bound.text(1)
                    try checkNoNull(text)
                    guard family == AF_INET || family == AF_INET6 else { throw ShellError.os(Errno(rawValue: EAFNOSUPPORT)) }
                    guard let bytes = try Resolver.presentationToNetwork(family: family, text) else {
                        throw ShellError.osMessage("illegal IP address string passed to inet_pton")
                    }
                    return .bytes(bytes)
                }),
        Command(name: "inet_ntop", group: .resolver,
                parameters: [.required("FAMILY", .family), .required("PACKED", .data)],
                summary: "packed bytes as a numeric address", python: .function("socket.inet_ntop"),
                cCall: "inet_ntop(3)", run: { _, bound in
                    let family = bound.constant(0)
                    let bytes = try bound.data(1).load()
                    guard family == AF_INET || family == AF_INET6 else { throw ShellError.value("unknown address family \(family)") }
                    guard bytes.count == (family == AF_INET ? 4 : 16) else {
                        throw ShellError.value("invalid length of packed IP address string")
                    }
                    return .str(try Resolver.networkToPresentation(family: family, bytes))
                }),
        byteOrder("htons", bits: 16), byteOrder("ntohs", bits: 16),
        byteOrder("htonl", bits: 32), byteOrder("ntohl", bits: 32),
        Command(name: "if_nameindex", group: .resolver, parameters: [],
                summary: "the network interfaces as (index, name)", python: .function("socket.if_nameindex"),
                cCall: "if_nameindex(3)", run: { _, _ in
                    .list(try Resolver.interfaces().map { .tuple([.int($0.index), .str($0.name)]) })
                }),
        Command(name: "getdefaulttimeout", group: .resolver, parameters: [],
                summary: "the timeout new sockets get (None: blocking)", python: .function("socket.getdefaulttimeout"),
                cCall: "", run: { call, _ in call.session.defaultTimeout.map(Value.float) ?? Value.none }),
        Command(name: "setdefaulttimeout", group: .resolver, parameters: [.required("SECONDS|None", .timeout)],
                summary: "set the timeout new sockets get", python: .function("socket.setdefaulttimeout", returns: .nothing),
                cCall: "", run: { call, bound in
                    call.session.defaultTimeout = bound.seconds(0)
                    return nil
                }),
    ]
}

/// A NUL inside a name: CPython's "et" argument converter refuses the str
/// (gethostbyname and friends), where C would read a shorter name.
private func checkEncodable(_ text: String, for function: String) throws {
    if text.containsNull {
        throw ShellError.type("\(function)() argument 1 must be encoded string without null bytes, not str")
    }
}

/// A NUL inside a name: CPython's "s" argument converter refuses it
/// (getservbyname, getprotobyname, inet_aton, getnameinfo's host ...).
private func checkNoNull(_ text: String?) throws {
    if let text, text.containsNull { throw ShellError.value("embedded null character") }
}

/// CPython's gethost_common: the aliases are decoded first, then the name,
/// each strictly (a Latin-1 name in /etc/hosts is a UnicodeDecodeError).
private func hostEntryValue(_ entry: HostEntry) throws -> Value {
    let aliases = try entry.aliases.map { Value.str(try decodeUTF8Strictly($0)) }
    return .tuple([.str(try decodeUTF8Strictly(entry.name)), .list(aliases), .list(entry.addresses.map(Value.str))])
}

/// `socket.htons` and friends, with CPython's range errors.
private func byteOrder(_ name: String, bits: Int) -> Command {
    Command(name: name, group: .resolver, parameters: [.required("X", .integer).c(bits == 16 ? "long" : "unsigned long")],
            summary: "convert a \(bits)-bit integer between host and network byte order",
            python: .function("socket.\(name)"), cCall: "\(name)(3)", run: { _, bound in
                let value = bound.integer(0)
                if bits == 16 {
                    if value < 0 { throw ShellError.overflow("\(name): can't convert negative Python int to C 16-bit unsigned integer") }
                    guard value <= 0xFFFF else { throw ShellError.overflow("\(name): Python int too large to convert to C 16-bit unsigned integer") }
                    return .int(Int(UInt16(value).byteSwapped))
                }
                if value < 0 { throw ShellError.overflow("can't convert negative value to unsigned int") }
                guard value <= 0xFFFF_FFFF else { throw ShellError.overflow("int larger than 32 bits") }
                return .int(Int(UInt32(value).byteSwapped))
            })
}

/// Python's `socket.getfqdn`, line for line: the first name with a dot among
/// the host's name and aliases, else its name, else NAME unchanged.
private func fullyQualifiedName(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    var name = bound.optionalText(0) ?? ""
    name = name.trimmingSpaces
    if name.isEmpty || name == "0.0.0.0" || name == "::" { name = try Resolver.hostName() }
    // Python's getfqdn catches only OSError around its gethostbyaddr.
    try checkEncodable(name, for: "gethostbyaddr")
    guard let resolved = try? Resolver.numericHost(for: name, family: AF_UNSPEC),
          let entry = try? Resolver.hostByAddress(resolved.host, family: resolved.family) else {
        return .str(name)
    }
    guard case .tuple(let parts) = try hostEntryValue(entry), case .list(let aliases) = parts[1] else { return .str(name) }
    return ([parts[0]] + aliases).first { $0.str.contains(".") } ?? parts[0]
}

private func addressInfo(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let host = bound.optionalText(0)
    let service = bound.optionalText(1)
    let family = bound.optionalConstant(2) ?? AF_UNSPEC
    let type = bound.optionalConstant(3) ?? 0
    let proto = bound.optionalConstant(4) ?? 0
    let flags = bound.optionalConstant(5) ?? 0
    let answers = try Resolver.addressInfo(host: host, service: service, family: family, type: type, proto: proto, flags: flags)
    return .list(try answers.map { answer in
        .tuple([familyValue(answer.family), kindValue(answer.type), .int(Int(answer.proto)),
                .str(try decodeUTF8Strictly(answer.canonicalName)), addressValue(answer.address)])
    })
}

/// CPython's `getnameinfo`: the host must be numeric or resolve to one
/// address; the port goes to getaddrinfo as text, unchecked, as in 3.11.
private func nameInfo(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let target = bound.hostPort(0)
    let flags = bound.constant(2)
    try checkNoNull(target.host)
    let answers = try Resolver.addressInfo(host: target.host, service: String(target.port),
                                           type: Int32(SOCK_DGRAM.rawValue), flags: AI_NUMERICHOST)
    guard let address = answers.first?.address else { throw ShellError.osMessage("sockaddr resolved to no address") }
    if answers.count > 1 { throw ShellError.osMessage("sockaddr resolved to multiple addresses") }
    switch address {
    case .ipv4:
        if let count = target.tupleCount, count != 2 {
            throw ShellError.osMessage("IPv4 sockaddr must be 2 tuple")
        }
        let result = try Resolver.nameInfo(address, flags: flags)
        return .tuple([.str(try decodeUTF8Strictly(result.host)), .str(try decodeUTF8Strictly(result.service))])
    case .ipv6(let host, let port, _, _):
        // The tuple's flowinfo and scope id replace what getaddrinfo found
        // (`fe80::1%lo` included), as in CPython.
        let withScope = SocketAddress.ipv6(host: host, port: port, flowInfo: UInt32(truncatingIfNeeded: target.flowInfo),
                                           scopeID: UInt32(truncatingIfNeeded: target.scopeID))
        let result = try Resolver.nameInfo(withScope, flags: flags)
        return .tuple([.str(try decodeUTF8Strictly(result.host)), .str(try decodeUTF8Strictly(result.service))])
    case .unix:
        throw ShellError.osMessage("getnameinfo(): unsupported family")
    }
}
