import COpenSSL
import Glibc

/// Which call of CPython's `_ssl` module failed: its errors name the line of
/// `_ssl.c` that raised them, one line per call.
public enum TLSOperation: Equatable {
    case handshake, read, write, shutdown
    /// `load_cert_chain`'s certificate, its key and their match, and
    /// `load_verify_locations`.
    case loadCertificate, loadKey, checkKey, loadVerifyLocations
    /// Making the context or connection itself.
    case context
}

/// An OpenSSL failure in the terms CPython's `PySSL_SetError` gives it:
/// which exception, the library and reason names of OpenSSL's last queued
/// error, and the text after them. ShellCore prints it as Python does.
public struct TLSError: Error, Equatable {
    public enum Kind: Equatable {
        /// `ssl.SSLZeroReturnError`: the peer's close_notify ended the call.
        case zeroReturn
        case wantRead, wantWrite
        /// `ssl.SSLEOFError`: the connection ended where TLS said it must not.
        case eof
        /// `ssl.SSLSyscallError`.
        case syscall
        /// `ssl.SSLError`.
        case ssl
        /// `ssl.SSLCertVerificationError`, with OpenSSL's verify result.
        case certificateVerify(code: Int, message: String)
    }
    public let kind: Kind
    public let operation: TLSOperation
    /// `SSL`, `X509`, `PEM`, ... as Python's `lib_codes_to_names` names them.
    public let library: String?
    /// `CERTIFICATE_VERIFY_FAILED`, `WRONG_VERSION_NUMBER`, ...
    public let reason: String?
    /// What comes after the brackets: `certificate verify failed`.
    public let text: String
}

/// The socket's timeout ran out in a TLS call: Python's `TimeoutError`
/// names the operation (`The read operation timed out`).
public struct TLSTimeout: Error, Equatable {
    public let operation: TLSOperation
    /// The write side timed out in a call that also reads (`unwrap`).
    public let writing: Bool
}

/// An ALPN protocol name of 0 or more than 255 bytes.
public struct TLSALPNLength: Error {}

/// The socket was given a TLS call it cannot take in its state.
public struct TLSStateError: Error, Equatable {
    public let message: String
}

/// Python's names for OpenSSL's libraries (`_ssl_data_300.h`).
private let libraryNames: [Int32: String] = [
    2: "SYS", 3: "BN", 4: "RSA", 5: "DH", 6: "EVP", 7: "BUF", 8: "OBJ", 9: "PEM", 10: "DSA", 11: "X509",
    13: "ASN1", 14: "CONF", 15: "CRYPTO", 16: "EC", 20: "SSL", 32: "BIO", 33: "PKCS7", 34: "X509V3",
    35: "PKCS12", 36: "RAND", 37: "DSO", 38: "ENGINE", 39: "OCSP", 40: "UI", 41: "COMP", 42: "ECDSA",
    43: "ECDH", 44: "OSSL_STORE", 45: "FIPS", 46: "CMS", 47: "TS", 48: "HMAC", 50: "CT", 51: "ASYNC",
    52: "KDF", 53: "SM2", 54: "ESS", 55: "PROP", 56: "CRMF", 57: "PROV", 58: "CMP", 59: "OSSL_ENCODER",
    60: "OSSL_DECODER", 61: "HTTP",
]

/// The error OpenSSL queued last, as `fill_and_set_sslerror` reads it: a
/// reason common to every library (`PEM lib`) has no name in Python's
/// table, so only the library is shown for it.
private func lastQueuedError() -> (code: UInt, library: String?, reason: String?, text: String?) {
    let code = ERR_peek_last_error()
    guard code != 0 else { return (0, nil, nil, nil) }
    let text = ERR_reason_error_string(code).map { String(cString: $0) }
    let library = libraryNames[sockshell_ERR_GET_LIB(code)]
    var reason: String?
    if let text, sockshell_ERR_is_common(code) == 0, sockshell_ERR_is_system(code) == 0 {
        reason = String(text.uppercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }
    return (code, library, reason, text)
}

/// An error from setting up a context, as CPython's `_setSSLError` makes it.
func contextError(_ operation: TLSOperation = .context) -> TLSError {
    let queued = lastQueuedError()
    ERR_clear_error()
    return TLSError(kind: .ssl, operation: operation, library: queued.library, reason: queued.reason,
                    text: queued.text ?? "unknown error")
}

/// NSS key-log lines for every TLS connection (`set keylog FILE`,
/// `SSLKEYLOGFILE`), so Wireshark can decrypt a capture of them.
public enum TLSKeyLog {
    nonisolated(unsafe) static var descriptor: Int32 = -1
    nonisolated(unsafe) public private(set) static var path: String?

    /// `set keylog` was given: SSLKEYLOGFILE no longer counts.
    nonisolated(unsafe) static var chosen = false

    /// Before the first context: SSLKEYLOGFILE, as browsers and CPython's
    /// create_default_context honour it, unless `set keylog` chose.
    public static func useEnvironment() {
        guard !chosen else { return }
        chosen = true
        if let file = getenv("SSLKEYLOGFILE").map({ String(cString: $0) }), !file.isEmpty {
            try? open(file)
            chosen = true
        }
    }

    /// Opens FILE for appending (nil stops logging); a new file starts with
    /// the header line CPython writes.
    public static func open(_ newPath: String?) throws {
        chosen = true
        if descriptor >= 0 { _ = Glibc.close(descriptor); descriptor = -1 }
        path = nil
        guard let newPath else { return }
        let fd = Glibc.open(newPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Errno.current }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_size == 0 {
            let header = "# TLS secrets log file, generated by OpenSSL / Python\n"
            _ = header.withCString { Glibc.write(fd, $0, strlen($0)) }
        }
        descriptor = fd
        path = newPath
    }

    static func write(_ line: UnsafePointer<CChar>) {
        guard descriptor >= 0 else { return }
        var bytes = Array(UnsafeBufferPointer(start: line, count: strlen(line)).map { UInt8(bitPattern: $0) })
        bytes.append(0x0A)
        // One write(2) per line: O_APPEND keeps two sessions' lines whole.
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}

private let keyLogCallback: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { _, line in
    if let line { TLSKeyLog.write(line) }
}

/// What a `tls` or `tls_server` call asks of its context, as Python's
/// `ssl.create_default_context()` and its attributes set them.
public struct TLSSettings {
    public var serverSide = false
    /// `check_hostname` and `verify_mode = CERT_REQUIRED` (a client's default).
    public var verify = true
    /// Trust only these certificates; nil is the system's store.
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    public var alpn: [String] = []
    /// TLS1_2_VERSION or TLS1_3_VERSION: the only version allowed.
    public var version: Int32?
    public var serverHostname: String?

    public init() {}
}

/// One TLS connection over a socket's descriptor, driven as CPython's
/// `_ssl._SSLSocket` drives it: the descriptor stays non-blocking, and each
/// WANT_READ or WANT_WRITE waits in `waitUntilReady`, so the socket's
/// timeout, Ctrl-C and `kill %N` work as they do on a plain socket.
public final class TLSStream {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let fd: Int32
    public let serverSide: Bool
    public let serverHostname: String?
    public let verifies: Bool
    /// The handshake's messages as the message callback reported them, for
    /// `set trace on`: `>>> TLS 1.3, Handshake [length 00f4], ClientHello`.
    public var messageSink: ((String) -> Void)?
    /// The handshake has finished.
    public private(set) var isEstablished = false
    /// A server's ALPN protocols, which its select callback reads.
    private let alpnChoices: ALPNChoices?

    /// Makes the context and the connection; nothing is sent until `handshake`.
    public init(fd: Int32, settings: TLSSettings) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(settings.serverSide ? TLS_server_method() : TLS_client_method()) else {
            throw contextError()
        }
        self.context = context
        self.fd = fd
        serverSide = settings.serverSide
        serverHostname = settings.serverHostname
        verifies = settings.verify
        do {
            alpnChoices = try TLSStream.configure(context, settings)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        guard let ssl = SSL_new(context) else {
            let error = contextError()
            SSL_CTX_free(context)
            throw error
        }
        self.ssl = ssl
        _ = SSL_set_fd(ssl, fd)
        _ = sockshell_SSL_set_mode(ssl, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY))
        if settings.serverSide {
            SSL_set_accept_state(ssl)
        } else {
            if let host = settings.serverHostname {
                let isAddress = host.withCString { a2i_IPADDRESS($0) }
                if let isAddress { ASN1_OCTET_STRING_free(isAddress) } else { ERR_clear_error() }
                // SNI for names only, as CPython sends it.
                if isAddress == nil { _ = host.withCString { sockshell_SSL_set_tlsext_host_name(ssl, $0) } }
                if settings.verify {
                    let parameters = SSL_get0_param(ssl)
                    if isAddress == nil {
                        // As CPython: `f*.example.com` matches nothing.
                        X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                        _ = host.withCString { X509_VERIFY_PARAM_set1_host(parameters, $0, strlen($0)) }
                    } else {
                        _ = host.withCString { X509_VERIFY_PARAM_set1_ip_asc(parameters, $0) }
                    }
                }
            }
            SSL_set_connect_state(ssl)
        }
        SSL_set_msg_callback(ssl, messageCallback)
        _ = sockshell_SSL_set_msg_callback_arg(ssl, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// CPython 3.11's default cipher list for TLS 1.2 (`PY_SSL_DEFAULT_CIPHER_STRING`).
    static let pythonCiphers = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

    /// Sets the context up; returns a server's ALPN choices, which the
    /// stream keeps for as long as the context lives.
    private static func configure(_ context: OpaquePointer, _ settings: TLSSettings) throws -> ALPNChoices? {
        // What SSLContext.__new__ and create_default_context set.
        _ = SSL_CTX_set_options(context, sockshell_python_options())
        _ = SSL_CTX_set_cipher_list(context, pythonCiphers)
        _ = sockshell_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        if let version = settings.version {
            _ = sockshell_SSL_CTX_set_min_proto_version(context, version)
            _ = sockshell_SSL_CTX_set_max_proto_version(context, version)
        }
        TLSKeyLog.useEnvironment()
        SSL_CTX_set_keylog_callback(context, keyLogCallback)
        if settings.serverSide {
            // A server context keeps sessions for resumption, as CPython's does.
            _ = sockshell_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_SERVER))
        }
        if let certificate = settings.certificateFile {
            try requireReadable(certificate)
            if let key = settings.keyFile { try requireReadable(key) }
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else { throw contextError(.loadCertificate) }
            guard SSL_CTX_use_PrivateKey_file(context, settings.keyFile ?? certificate, SSL_FILETYPE_PEM) == 1 else {
                throw contextError(.loadKey)
            }
            guard SSL_CTX_check_private_key(context) == 1 else { throw contextError(.checkKey) }
        }
        if let caFile = settings.caFile {
            try requireReadable(caFile)
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else { throw contextError(.loadVerifyLocations) }
        } else if !settings.serverSide, settings.verify {
            _ = SSL_CTX_set_default_verify_paths(context)
            ERR_clear_error()
        }
        if settings.serverSide {
            SSL_CTX_set_verify(context, settings.caFile != nil ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE, nil)
        } else {
            SSL_CTX_set_verify(context, settings.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        }
        if !settings.alpn.isEmpty {
            var wire: [UInt8] = []
            for name in settings.alpn {
                let bytes = Array(name.utf8)
                guard !bytes.isEmpty, bytes.count <= 255 else { throw TLSALPNLength() }
                wire.append(UInt8(bytes.count))
                wire += bytes
            }
            if settings.serverSide {
                let choices = ALPNChoices(wire)
                SSL_CTX_set_alpn_select_cb(context, alpnSelect, Unmanaged.passUnretained(choices).toOpaque())
                return choices
            }
            if SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) != 0 { throw contextError() }
        }
        return nil
    }

    /// `open()` fails before OpenSSL reads a file: Python's
    /// `FileNotFoundError` comes from the same check.
    private static func requireReadable(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno.current }
        _ = Glibc.close(fd)
    }

    /// The SSL error of the last call, as `_PySSL_errno` saves it: the
    /// SSL_get_error code and errno, read at once.
    private func failure(_ result: Int32) -> (ssl: Int32, errno: Int32) {
        let saved = errno
        return (SSL_get_error(ssl, result), saved)
    }

    /// Waits as `PySSL_select` does for the direction OpenSSL asked for.
    private func wait(_ code: Int32, deadline: Double?, operation: TLSOperation) throws {
        let events = code == SSL_ERROR_WANT_WRITE ? Int16(POLLOUT) : Int16(POLLIN)
        do {
            try waitUntilReady(fd, events: events, deadline: deadline)
        } catch is TimeoutExpired {
            throw TLSTimeout(operation: operation, writing: code == SSL_ERROR_WANT_WRITE)
        }
    }

    /// The error `PySSL_SetError` raises for a failed call. `returned` is
    /// what the call returned; `exCall` says it was an `_ex` function, whose
    /// failure returns 0 (so a SYSCALL failure with nothing queued is EOF).
    private func error(_ code: Int32, errno savedErrno: Int32, returned: Int32, operation: TLSOperation) -> Error {
        let queued = lastQueuedError()
        defer { ERR_clear_error() }
        switch code {
        case SSL_ERROR_ZERO_RETURN:
            return TLSError(kind: .zeroReturn, operation: operation, library: queued.library, reason: queued.reason,
                            text: "TLS/SSL connection has been closed (EOF)")
        case SSL_ERROR_WANT_READ:
            return TLSError(kind: .wantRead, operation: operation, library: queued.library, reason: queued.reason,
                            text: "The operation did not complete (read)")
        case SSL_ERROR_WANT_WRITE:
            return TLSError(kind: .wantWrite, operation: operation, library: queued.library, reason: queued.reason,
                            text: "The operation did not complete (write)")
        case SSL_ERROR_SYSCALL:
            if queued.code == 0 {
                // What the socket BIO reported: EOF when the call returned
                // 0 or errno says nothing, else the OSError of errno.
                if returned == 0 || savedErrno == 0 {
                    return TLSError(kind: .eof, operation: operation, library: nil, reason: nil,
                                    text: "EOF occurred in violation of protocol")
                }
                return Errno(rawValue: savedErrno)
            }
            // PySSL_SetError keeps SSLError for a queued error here.
            return TLSError(kind: .ssl, operation: operation, library: queued.library, reason: queued.reason,
                            text: queued.text ?? "unknown error")
        case SSL_ERROR_SSL:
            let reason = sockshell_ERR_GET_REASON(queued.code)
            let isSSL = sockshell_ERR_GET_LIB(queued.code) == ERR_LIB_SSL
            if isSSL, reason == sockshell_SSL_R_UNEXPECTED_EOF_WHILE_READING() {
                return TLSError(kind: .eof, operation: operation, library: queued.library, reason: queued.reason,
                                text: "EOF occurred in violation of protocol")
            }
            if isSSL, reason == sockshell_SSL_R_CERTIFICATE_VERIFY_FAILED() {
                let result = Int(SSL_get_verify_result(ssl))
                let message: String
                switch result {
                case Int(X509_V_ERR_HOSTNAME_MISMATCH):
                    message = "Hostname mismatch, certificate is not valid for '\(serverHostname ?? "")'."
                case Int(X509_V_ERR_IP_ADDRESS_MISMATCH):
                    message = "IP address mismatch, certificate is not valid for '\(serverHostname ?? "")'."
                default:
                    message = X509_verify_cert_error_string(result).map { String(cString: $0) } ?? "None"
                }
                return TLSError(kind: .certificateVerify(code: result, message: message), operation: operation,
                                library: queued.library, reason: queued.reason, text: queued.text ?? "unknown error")
            }
            return TLSError(kind: .ssl, operation: operation, library: queued.library, reason: queued.reason,
                            text: queued.text ?? (queued.code == 0 ? "A failure in the SSL library occurred" : "unknown error"))
        default:
            return TLSError(kind: .ssl, operation: operation, library: nil, reason: nil, text: "Invalid error code")
        }
    }

    /// `do_handshake`, until it finishes or the deadline passes. A socket
    /// whose timeout is 0 gets SSLWantReadError as Python's would.
    public func handshake(deadline: Double?, nonBlocking: Bool) throws {
        ERR_clear_error()
        while true {
            let result = SSL_do_handshake(ssl)
            if result == 1 { isEstablished = true; return }
            let (code, savedErrno) = failure(result)
            guard code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE, !nonBlocking else {
                throw error(code, errno: savedErrno, returned: result, operation: .handshake)
            }
            ERR_clear_error()
            try wait(code, deadline: deadline, operation: .handshake)
        }
    }

    /// Decrypted bytes waiting in OpenSSL: readable without a wait.
    public var pending: Int { Int(SSL_pending(ssl)) }

    /// What ended a gathering read after it had bytes: the next read's.
    private var deferred: Error?
    private var deferredEnd = false

    /// `SSLSocket.recv`: up to `buffer.count` bytes; 0 when the peer closed,
    /// with close_notify or, as `suppress_ragged_eofs` allows, without.
    /// SSL_read gives one record (16 KiB at most) a call, as Python's recv
    /// does; `gather` goes on reading what has already arrived into the
    /// rest of the buffer (the bulk paths: recvall, recvline), and what
    /// ends the stream then is the next read's.
    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Double?, nonBlocking: Bool,
                     gather: Bool = false) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if deferredEnd { deferredEnd = false; return 0 }
        if let error = deferred { deferred = nil; throw error }
        ERR_clear_error()
        var total = 0
        while true {
            var count = 0
            let result = SSL_read_ex(ssl, buffer.baseAddress! + total, buffer.count - total, &count)
            if result == 1 {
                total += count
                if !gather || total == buffer.count { return total }
                continue
            }
            let (code, savedErrno) = failure(result)
            if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE {
                // Nothing more has arrived: what was read is the value.
                if total > 0 { ERR_clear_error(); return total }
                if nonBlocking { throw error(code, errno: savedErrno, returned: result, operation: .read) }
                ERR_clear_error()
                try wait(code, deadline: deadline, operation: .read)
                continue
            }
            var ended = code == SSL_ERROR_ZERO_RETURN && SSL_get_shutdown(ssl) == SSL_RECEIVED_SHUTDOWN
            var failed: Error?
            if !ended {
                let failure = error(code, errno: savedErrno, returned: result, operation: .read)
                if let tlsError = failure as? TLSError, tlsError.kind == .eof { ended = true } else { failed = failure }
            }
            if total > 0 {
                // The bytes first; the end or the error comes with the next read.
                deferredEnd = ended
                deferred = failed
                return total
            }
            if let failed { throw failed }
            return 0
        }
    }

    /// `SSLSocket.send`: every byte of `bytes` as records, as SSL_write_ex
    /// without partial writes sends them. Returns how many went.
    public func write(_ bytes: UnsafeRawBufferPointer, deadline: Double?, nonBlocking: Bool) throws -> Int {
        ERR_clear_error()
        while true {
            var count = 0
            let result = SSL_write_ex(ssl, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count, &count)
            if result == 1 { return count }
            let (code, savedErrno) = failure(result)
            guard code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE, !nonBlocking else {
                throw error(code, errno: savedErrno, returned: result, operation: .write)
            }
            ERR_clear_error()
            try wait(code, deadline: deadline, operation: .write)
        }
    }

    /// `SSLSocket.unwrap`: sends close_notify and waits for the peer's, as
    /// `_ssl._SSLSocket.shutdown` does (SSL_shutdown at most twice when it
    /// says 0).
    public func shutdown(deadline: Double?, nonBlocking: Bool) throws {
        ERR_clear_error()
        var zeros = 0
        var seenZero = false
        while true {
            if seenZero { SSL_set_read_ahead(ssl, 0) }
            let result = SSL_shutdown(ssl)
            if result > 0 { return }
            if result == 0 {
                zeros += 1
                if zeros > 1 { return }
                seenZero = true
                continue
            }
            let (code, savedErrno) = failure(result)
            guard code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE, !nonBlocking else {
                throw error(code, errno: savedErrno, returned: result, operation: .shutdown)
            }
            ERR_clear_error()
            try wait(code, deadline: deadline, operation: .shutdown)
        }
    }

    /// One SSL_shutdown: close_notify goes out (or into the send buffer).
    func sendCloseNotify() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    // MARK: What Python's SSLSocket tells

    /// `version()`: `TLSv1.3`; nil before the handshake.
    public var version: String? {
        guard isEstablished else { return nil }
        return SSL_get_version(ssl).map { String(cString: $0) }
    }

    /// `cipher()`: name, protocol and secret bits.
    public var cipher: (name: String, protocol: String, bits: Int)? {
        guard isEstablished, let current = SSL_get_current_cipher(ssl) else { return nil }
        let name = SSL_CIPHER_get_name(current).map { String(cString: $0) } ?? ""
        let version = SSL_CIPHER_get_version(current).map { String(cString: $0) } ?? ""
        let bits = SSL_CIPHER_get_bits(current, nil)
        return (name, version, Int(bits))
    }

    /// `selected_alpn_protocol()`.
    public var selectedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// `session_reused`.
    public var sessionReused: Bool { SSL_session_reused(ssl) == 1 }

    /// The peer's certificate, if it sent one.
    public var peerCertificate: Certificate? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        return Certificate(owning: certificate)
    }

    /// Whether the peer's certificate was verified (Python's `getpeercert()`
    /// gives `{}` for one it did not verify).
    public var peerVerified: Bool {
        SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER != 0 && SSL_get_verify_result(ssl) == X509_V_OK
    }

    fileprivate func report(_ line: String) { messageSink?(line) }
}

/// The server's ALPN protocols, for the select callback: memory of its
/// own, since OpenSSL's choice may point into it after the callback.
private final class ALPNChoices {
    let wire: UnsafeMutableBufferPointer<UInt8>
    init(_ bytes: [UInt8]) {
        wire = .allocate(capacity: bytes.count)
        _ = wire.initialize(from: bytes)
    }
    deinit { wire.deallocate() }
}

/// Python's server chooses the first of its own protocols the client
/// offers (SSL_select_next_proto); none in common is no ALPN.
private let alpnSelect: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
                                        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?) -> Int32 = {
    _, out, outLength, offered, offeredLength, argument in
    guard let argument, let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
    let choices = Unmanaged<ALPNChoices>.fromOpaque(argument).takeUnretainedValue()
    var chosen: UnsafeMutablePointer<UInt8>?
    var length: UInt8 = 0
    let status = SSL_select_next_proto(&chosen, &length, choices.wire.baseAddress, UInt32(choices.wire.count),
                                       offered, offeredLength)
    guard status == OPENSSL_NPN_NEGOTIATED, let chosen else { return SSL_TLSEXT_ERR_NOACK }
    // `chosen` points into the server's list, which lives as long as the context.
    out.pointee = UnsafePointer(chosen)
    outLength.pointee = length
    return SSL_TLSEXT_ERR_OK
}

/// The message callback: each handshake message, alert and
/// ChangeCipherSpec, in openssl s_client -msg's words.
private let messageCallback: @convention(c) (Int32, Int32, Int32, UnsafeRawPointer?, Int, OpaquePointer?, UnsafeMutableRawPointer?) -> Void = {
    writing, version, contentType, buffer, length, _, argument in
    guard let argument else { return }
    let stream = Unmanaged<TLSStream>.fromOpaque(argument).takeUnretainedValue()
    guard stream.messageSink != nil, let line = TLSMessage.describe(writing: writing != 0, version: version,
                                                                   contentType: contentType, buffer: buffer, length: length) else { return }
    stream.report(line)
}

/// How `set trace on` names a TLS message.
public enum TLSMessage {
    static let handshakeTypes: [UInt8: String] = [
        0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest", 4: "NewSessionTicket",
        5: "EndOfEarlyData", 8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
        13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify", 16: "ClientKeyExchange",
        20: "Finished", 22: "CertificateStatus", 24: "KeyUpdate", 254: "MessageHash",
    ]
    static let alerts: [UInt8: String] = [
        0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
        40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
        45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
        49: "access_denied", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
        71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
        109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
        116: "certificate_required", 120: "no_application_protocol",
    ]

    /// At least four hex digits, as `%04x` prints.
    static func hex4(_ value: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func versionName(_ version: Int32) -> String {
        switch version {
        case TLS1_3_VERSION: return "TLS 1.3"
        case TLS1_2_VERSION: return "TLS 1.2"
        case TLS1_1_VERSION: return "TLS 1.1"
        case TLS1_VERSION: return "TLS 1.0"
        default: return "0x" + hex4(Int(version))
        }
    }

    /// `>>> TLS 1.3, Handshake [length 00f4], ClientHello`; nil for the
    /// record headers and inner content types the callback also reports.
    static func describe(writing: Bool, version: Int32, contentType: Int32, buffer: UnsafeRawPointer?, length: Int) -> String? {
        let bytes = buffer.map { UnsafeRawBufferPointer(start: $0, count: length) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let prefix = (writing ? ">>> " : "<<< ") + versionName(version) + ", "
        let size = "[length " + hex4(length) + "]"
        switch contentType {
        case 22:
            let name = bytes.first.map { handshakeTypes[$0] ?? "unknown (\($0))" } ?? "?"
            return prefix + "Handshake " + size + ", " + name
        case 21:
            guard bytes.count >= 2 else { return prefix + "Alert " + size }
            let level = bytes[0] == 1 ? "warning" : bytes[0] == 2 ? "fatal" : "level \(bytes[0])"
            return prefix + "Alert " + size + ", " + level + " " + (alerts[bytes[1]] ?? "unknown (\(bytes[1]))")
        case 20:
            return prefix + "ChangeCipherSpec " + size
        default:
            return nil
        }
    }
}
