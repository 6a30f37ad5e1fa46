import SocketCore
import Glibc

extension CommandTable {
    static let tlsCommands: [Command] = [
        Command(name: "tls", group: .tls, parameters: [.required("NAME", .socket), .repeated("OPTION=VALUE", .tlsOption)],
                summary: "wrap a socket in TLS as a client (now, or at its connect); options server_hostname= verify= cafile= alpn= version=",
                python: "ctx = ssl.create_default_context(cafile=CAFILE); NAME = ctx.wrap_socket(NAME, server_hostname=HOST)",
                cCall: "SSL_connect(3)", run: tlsClient),
        Command(name: "tls_server", group: .tls,
                parameters: [.required("NAME", .socket), .required("CERT", .path), .required("KEY", .path),
                             .repeated("OPTION=VALUE", .tlsOption)],
                summary: "wrap an accepted socket in TLS as the server (a listener: at each accept); cafile= asks for a client certificate",
                python: "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(CERT, KEY); NAME = ctx.wrap_socket(NAME, server_side=True)",
                cCall: "SSL_accept(3)", run: tlsServer),
        Command(name: "unwrap", group: .tls, parameters: [.required("NAME", .socket)],
                summary: "close TLS on the socket (close_notify both ways); the plain socket stays open",
                python: "NAME = NAME.unwrap()", cCall: "SSL_shutdown(3)", run: unwrap),
        Command(name: "tlsinfo", group: .tls, parameters: [.required("NAME", .socket)],
                summary: "what the TLS socket tells: version, cipher, ALPN, resumption, the peer's certificate",
                python: "NAME.version(), NAME.cipher(), NAME.selected_alpn_protocol(), NAME.session_reused, NAME.getpeercert()",
                cCall: "SSL_get_version(3), SSL_get_peer_certificate(3)", run: tlsInfo),
        Command(name: "certificate", group: .tls,
                parameters: [.required("make"), .required("CERT", .path), .required("KEY", .path), .optional("HOST", .host),
                             .repeated("days=N")],
                summary: "write a self-signed certificate for HOST (localhost) and its key; days=N, negative for an expired one",
                python: "", cCall: "X509_sign(3)", run: certificate),
    ]
}

/// `key=value` arguments: `verify=False`, `cafile='/a b.pem'` (the word
/// `cafile=` and the string right after it), `alpn=h2,http/1.1` or
/// `alpn=[h2, 'http/1.1']`. Each key once, each one of `allowed`.
func keywordOptions(_ arguments: [Argument], allowed: [String], command: String) throws -> [String: Argument] {
    var options: [String: Argument] = [:]
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        guard case .word(let word) = argument.kind, let equals = word.firstIndex(of: "="), equals != word.startIndex else {
            throw ShellError.type("\(command) takes OPTION=VALUE after its arguments, not \(argument.text) (options: \(allowed.joined(separator: ", ")))")
        }
        let key = String(word[..<equals])
        guard allowed.contains(key) else {
            throw ShellError.type("\(command)() got an unexpected keyword argument '\(key)' (options: \(allowed.joined(separator: ", ")))")
        }
        guard options[key] == nil else { throw ShellError.syntax("keyword argument repeated: \(key)", column: argument.column) }
        let rest = String(word[word.index(after: equals)...])
        if rest.isEmpty {
            // `key=` then a quoted string or a list, written right after it.
            guard index + 1 < arguments.count, arguments[index + 1].column == argument.column + word.utf8.count else {
                throw ShellError.value("\(key)= needs a value")
            }
            options[key] = arguments[index + 1]
            index += 2
        } else {
            options[key] = Argument(kind: .word(rest), column: argument.column + key.utf8.count + 1, text: rest)
            index += 1
        }
    }
    return options
}

private func optionText(_ argument: Argument) -> String {
    switch argument.kind {
    case .word(let text), .string(let text): return text
    default: return argument.text
    }
}

private func optionBool(_ argument: Argument, _ key: String) throws -> Bool {
    switch argument.kind {
    case .bool(let flag): return flag
    case .word("True"), .word("true"), .word("on"), .integer(1): return true
    case .word("False"), .word("false"), .word("off"), .integer(0): return false
    default: throw ShellError.value("\(key) must be True or False, not \(argument.text)")
    }
}

/// `alpn=h2,http/1.1`, `alpn='h2'`, `alpn=[h2, 'http/1.1']`.
private func optionList(_ argument: Argument) -> [String] {
    switch argument.kind {
    case .list(let items), .tuple(let items): return items.map(optionText)
    default: return optionText(argument).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
}

/// `version=TLSv1_2`: Python's `ssl.TLSVersion` member names.
private func optionVersion(_ argument: Argument) throws -> Int32 {
    var text = optionText(argument)
    if text.hasPrefix("ssl.TLSVersion.") { text.removeFirst("ssl.TLSVersion.".count) }
    switch text {
    case "TLSv1_2", "TLSv1.2", "1.2": return 0x0303
    case "TLSv1_3", "TLSv1.3", "1.3": return 0x0304
    default: throw ShellError.value("version must be TLSv1_2 or TLSv1_3, not \(argument.text)")
    }
}

/// A TLS wrap only takes a stream socket, as Python's SSLSocket.
private func checkStream(_ entry: SocketEntry) throws {
    guard entry.socket.type & 0xF == Int32(SOCK_STREAM.rawValue) else {
        throw ShellError("NotImplementedError", "only stream sockets are supported")
    }
    guard entry.socket.tls == nil else {
        throw ShellError.value("\(entry.name) already speaks TLS (unwrap \(entry.name) first)")
    }
}

/// What wrap_socket checks once the socket is its own: a peer, bytes no
/// one read, a timeout that lets the handshake wait. Returns false for a
/// socket not connected yet, whose handshake comes later, as in Python: a
/// client's with `connect`, a listening server's with each `accept`.
private func checkReady(_ entry: SocketEntry, serverSide: Bool) throws -> Bool {
    do {
        _ = try entry.socket.peerAddress()
    } catch let error as Errno where error.rawValue == ENOTCONN {
        let listening = (try? entry.socket.integerOption(level: SOL_SOCKET, name: SO_ACCEPTCONN)) == 1
        guard listening == serverSide else { throw error }
        return false
    }
    // Clear bytes already read (recvline reads ahead) would be taken for TLS
    // data after the handshake, or hold the peer's ClientHello.
    if entry.bufferedCount > 0 {
        throw ShellError.value("\(entry.bufferedCount) bytes read before the handshake are still buffered on \(entry.name): "
                               + "recv them first (TLS would take them for its own)")
    }
    return true
}

/// What `tls` (or, with `serverSide`, `tls_server`) was told after its
/// arguments, as a context's settings: the handlers and `export python`
/// read the options here, and nowhere else.
func tlsSettings(_ arguments: [Argument], serverSide: Bool) throws -> TLSSettings {
    let allowed = serverSide ? ["cafile", "alpn", "version"] : ["server_hostname", "verify", "cafile", "alpn", "version"]
    let options = try keywordOptions(arguments, allowed: allowed, command: serverSide ? "tls_server" : "tls")
    var settings = TLSSettings()
    settings.serverSide = serverSide
    if let verify = options["verify"] { settings.verify = try optionBool(verify, "verify") }
    settings.caFile = options["cafile"].map(optionText)
    settings.alpn = options["alpn"].map(optionList) ?? []
    settings.version = try options["version"].map(optionVersion)
    settings.serverHostname = options["server_hostname"].map(optionText)
    return settings
}

private func tlsClient(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    var settings = try tlsSettings(bound.repeated(1), serverSide: false)
    if settings.serverHostname == nil { settings.serverHostname = entry.connectedHost }
    // In the order SSLSocket._create and _ssl.c check them.
    try checkStream(entry)
    let host = settings.serverHostname ?? ""
    if settings.verify, host.isEmpty { throw ShellError.value("check_hostname requires server_hostname") }
    if host.contains("\0") { throw ShellError.type("argument must be encoded string without null bytes, not str") }
    if host.hasPrefix(".") { throw ShellError("UnicodeError", "encoding with 'idna' codec failed (UnicodeError: label empty or too long)") }
    if settings.serverHostname != nil, host.isEmpty {
        throw ShellError.value("server_hostname cannot be an empty string or start with a leading dot.")
    }
    try wrap(entry, settings, &call)
    return nil
}

private func tlsServer(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    var settings = try tlsSettings(bound.repeated(3), serverSide: true)
    settings.certificateFile = bound.text(1)
    settings.keyFile = bound.text(2)
    try checkStream(entry)
    try wrap(entry, settings, &call)
    return nil
}

/// The handshake now, or, on a socket not connected yet, its settings kept
/// for the `connect` or `accept` that will make it (files loaded now, so
/// their errors come from this command, as from Python's context).
private func wrap(_ entry: SocketEntry, _ settings: TLSSettings, _ call: inout Call) throws {
    guard try checkReady(entry, serverSide: settings.serverSide) else {
        _ = try entry.socket.prepareTLS(settings)
        entry.deferredTLS = settings
        return
    }
    try handshake(entry, settings, &call)
}

/// `connect` on a socket `tls` wrapped before it connected: the handshake,
/// as SSLSocket.connect makes it. When it fails the socket stays, plain and
/// connected, as Python's does.
func handshakeAfterConnect(_ entry: SocketEntry) throws {
    guard let settings = entry.deferredTLS else { return }
    entry.deferredTLS = nil
    var withHost = settings
    if withHost.serverHostname == nil { withHost.serverHostname = entry.connectedHost }
    let stream = try entry.socket.prepareTLS(withHost)
    try entry.socket.handshakeTLS(stream)
}

/// `accept` on a listener `tls_server` wrapped: each new connection's
/// handshake; when it fails the new socket is closed, as Python's accept
/// closes it, and the listener stays.
func handshakeAfterAccept(_ listener: SocketEntry, _ accepted: SocketEntry, _ call: inout Call) throws {
    guard let settings = listener.deferredTLS else { return }
    try handshake(accepted, settings, &call)
}

/// The context, then the handshake. A file that does not load fails
/// before any byte is sent, and the socket stays; when the handshake
/// fails, Python's wrap_socket has closed the socket, so the name is freed
/// as `close` frees it.
private func handshake(_ entry: SocketEntry, _ settings: TLSSettings, _ call: inout Call) throws {
    let stream: TLSStream
    // A file that cannot be opened is Python's bare FileNotFoundError (no name).
    stream = try entry.socket.prepareTLS(settings)
    do {
        // Python's wrap_socket refuses this after making the SSL object, and closes the socket too.
        if entry.socket.timeout == 0 {
            throw ShellError.value("do_handshake_on_connect should not be specified for non-blocking sockets")
        }
        try entry.socket.handshakeTLS(stream)
    } catch {
        call.session.remove(entry.name)
        try? entry.socket.close()
        throw error
    }
}

private func unwrap(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    guard entry.socket.tls != nil else { throw ShellError("AttributeError", "'socket' object has no attribute 'unwrap'") }
    try entry.socket.stopTLS()
    return nil
}

/// Python's `getpeercert()` dict: subject and issuer as tuples of
/// relative names, then version, serial, validity and subjectAltName.
func peerCertificateValue(_ certificate: Certificate) -> Value {
    func name(_ name: Certificate.Name) -> Value {
        .tuple(name.map { relative in .tuple(relative.map { .tuple([.str($0.0), .str($0.1)]) }) })
    }
    var pairs: [(key: Value, value: Value)] = [
        (.str("subject"), name(certificate.subject)),
        (.str("issuer"), name(certificate.issuer)),
        (.str("version"), .int(certificate.version)),
        (.str("serialNumber"), .str(certificate.serialNumber)),
        (.str("notBefore"), .str(certificate.notBefore)),
        (.str("notAfter"), .str(certificate.notAfter)),
    ]
    let alternatives = certificate.subjectAltNames
    if !alternatives.isEmpty {
        pairs.append((.str("subjectAltName"), .tuple(alternatives.map { alternative in
            switch alternative {
            case .text(let kind, let text): return .tuple([.str(kind), .str(text)])
            case .directory(let directory): return .tuple([.str("DirName"), name(directory)])
            }
        })))
    }
    for (key, uris) in [("OCSP", certificate.ocspURIs), ("caIssuers", certificate.caIssuerURIs),
                        ("crlDistributionPoints", certificate.crlDistributionPoints)] where !uris.isEmpty {
        pairs.append((.str(key), .tuple(uris.map { .str($0) })))
    }
    return .dict(pairs)
}

private func tlsInfo(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    guard let stream = entry.socket.tls else { throw ShellError("AttributeError", "'socket' object has no attribute 'version'") }
    let cipher = stream.cipher.map { Value.tuple([.str($0.name), .str($0.protocol), .int($0.bits)]) } ?? .none
    let certificate: Value
    if let peer = stream.peerCertificate {
        // getpeercert() gives {} for a certificate it did not verify.
        certificate = stream.peerVerified ? peerCertificateValue(peer) : .dict([])
    } else {
        certificate = .none
    }
    let lines = [
        "version: " + (stream.version.map { Value.str($0) } ?? .none).repr,
        "cipher: " + cipher.repr,
        "selected_alpn_protocol: " + (stream.selectedALPN.map { Value.str($0) } ?? .none).repr,
        "session_reused: " + Value.bool(stream.sessionReused).repr,
        "getpeercert: " + certificate.repr,
    ]
    return .verbatim(lines.map(escapedLine).joined(separator: "\n"))
}

private func certificate(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    guard bound.argument(0)?.text == "make" else { throw ShellError.value("certificate takes make: certificate make CERT KEY [HOST] [days=N]") }
    let host = bound.optionalText(3) ?? "localhost"
    let options = try keywordOptions(bound.repeated(4), allowed: ["days"], command: "certificate make")
    var days = 365
    if let given = options["days"] {
        guard let number = Int(optionText(given)), (-36_500...36_500).contains(number) else {
            throw ShellError.value("days must be a whole number of days, at most 36500 either way, not \(given.text)")
        }
        days = number
    }
    guard !host.isEmpty, !host.contains(","), !host.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
        throw ShellError.value("HOST must be a host name or address, not \(pythonStringRepr(host))")
    }
    let made = try Certificate.makeSelfSigned(host: host, days: days)
    // The key first, private from birth (an old file's mode is made 0600
    // too); each file's error names it.
    for (path, bytes, mode) in [(bound.text(2), made.key, mode_t(0o600)), (bound.text(1), made.certificate, mode_t(0o644))] {
        do {
            try Files.replace(path, with: bytes, mode: mode)
        } catch let error as Errno {
            throw fileError(error, path)
        }
    }
    return nil
}
