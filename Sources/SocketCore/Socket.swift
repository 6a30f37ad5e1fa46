import Glibc

/// An open socket with CPython's timeout semantics.
///
/// `timeout` is Python's view: nil blocks for ever, 0 never blocks
/// (`BlockingIOError`), a positive value waits at most that long
/// (`TimeoutExpired`). Underneath, the descriptor is always non-blocking and every
/// wait goes through `pollUntilReady`, so Ctrl-C and timeouts behave the same
/// in every call.
public final class Socket {
    public private(set) var fileDescriptor: Int32
    public let family: Int32
    public let type: Int32
    public let proto: Int32
    public var timeout: Double?
    /// Bytes taken from the kernel so far (peeks aside): where the stream
    /// stands, so `watch` can tell new bytes from those it showed already.
    public private(set) var bytesTaken = 0

    public var isClosed: Bool { fileDescriptor < 0 }

    /// The TLS connection the socket's bytes go through, after `tls` or
    /// `tls_server`: every send and receive below is then SSL_write and
    /// SSL_read, with the same timeouts and Ctrl-C.
    public private(set) var tls: TLSStream?

    private func noteTaken(_ count: Int, flags: Int32) {
        if flags & Int32(MSG_PEEK) == 0 { bytesTaken += count }
    }

    init(adopting fd: Int32, family: Int32, type: Int32, proto: Int32, timeout: Double?) {
        self.fileDescriptor = fd
        self.family = family
        self.type = type
        self.proto = proto
        self.timeout = timeout
    }

    /// Opens a new socket. The corresponding C function is `socket`.
    public convenience init(family: Int32, type: Int32, proto: Int32, timeout: Double?) throws {
        let fd = try valueOrErrno { Sys.socket(family, type | Socket.creationFlags, proto) }
        self.init(adopting: fd, family: family, type: type, proto: proto, timeout: timeout)
    }

    /// Opens two connected sockets. The corresponding C function is `socketpair`.
    public static func pair(family: Int32, type: Int32, proto: Int32, timeout: Double?) throws -> (Socket, Socket) {
        var fds: [Int32] = [-1, -1]
        _ = try valueOrErrno { Sys.socketpair(family, type | Socket.creationFlags, proto, &fds) }
        return (Socket(adopting: fds[0], family: family, type: type, proto: proto, timeout: timeout),
                Socket(adopting: fds[1], family: family, type: type, proto: proto, timeout: timeout))
    }

    /// Every descriptor is close-on-exec and non-blocking from birth (one
    /// syscall, not three): waits happen in poll(2), never in the kernel call.
    static let creationFlags = Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)

    deinit {
        if fileDescriptor >= 0 { _ = Sys.close(fileDescriptor) }
    }

    /// Closes the descriptor; a second close does nothing, as in Python.
    /// The corresponding C function is `close`.
    public func close() throws {
        guard fileDescriptor >= 0 else { return }
        let fd = fileDescriptor
        fileDescriptor = -1
        // As SSLSocket.close: no close_notify, the connection just ends.
        tls = nil
        // close(2) must not be retried on EINTR: the descriptor is gone either way.
        if Sys.close(fd) < 0 && errno != EINTR { throw Errno.current }
    }

    private func openDescriptor() throws -> Int32 {
        guard fileDescriptor >= 0 else { throw Errno.badFileDescriptor }
        return fileDescriptor
    }

    /// Runs a call that may say EAGAIN, waiting for `events` between tries
    /// until the socket's timeout, as CPython's `sock_call` does.
    private func retryingWhenReady<T: FixedWidthInteger>(_ events: Int16, deadline: Double?, flags: Int32 = 0,
                                                         _ call: (Int32) -> T) throws -> T {
        let fd = try openDescriptor()
        while true {
            let result = call(fd)
            if result >= 0 { return result }
            let error = errno
            if error == EINTR {
                if Interruption.isPending { throw Interrupted() }
                continue
            }
            // MSG_DONTWAIT asks this one call not to wait, whatever the timeout.
            guard error == EAGAIN || error == EWOULDBLOCK, timeout != 0, flags & Int32(MSG_DONTWAIT) == 0 else {
                throw Errno(rawValue: error)
            }
            try waitUntilReady(fd, events: events, deadline: deadline)
        }
    }

    // MARK: Addresses

    /// The corresponding C function is `bind`.
    public func bind(_ address: SocketAddress) throws {
        let fd = try openDescriptor()
        _ = try address.withSockaddr { pointer, length in try valueOrErrno { Sys.bind(fd, pointer, length) } }
    }

    /// The corresponding C function is `listen`.
    public func listen(backlog: Int32) throws {
        let fd = try openDescriptor()
        _ = try valueOrErrno { Sys.listen(fd, backlog) }
    }

    /// Accepts one connection; the new socket gets `timeout`.
    /// The corresponding C function is `accept4`.
    public func accept(timeout newTimeout: Double?) throws -> (Socket, SocketAddress?) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                try retryingWhenReady(Int16(POLLIN), deadline: deadline(after: timeout)) {
                    length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    return Sys.accept4($0, address, &length, Socket.creationFlags)
                }
            }
        }
        let peer = SocketAddress(storage: storage, length: length)
        return (Socket(adopting: fd, family: family, type: type, proto: proto, timeout: newTimeout), peer)
    }

    /// Connects, waiting for the handshake as the timeout allows.
    /// The corresponding C function is `connect`.
    ///
    /// A blocking socket (timeout None) makes a real blocking connect, as
    /// CPython does: after a refusal the kernel then leaves the socket
    /// unconnected and reusable, where a non-blocking connect would leave it
    /// aborted (ECONNABORTED on the next try). Ctrl-C interrupts it with EINTR.
    /// A socket with a timeout connects without blocking and waits in poll(2),
    /// as CPython's `internal_connect` does, and so does a background job,
    /// whose wait `kill` must be able to end.
    public func connect(_ address: SocketAddress) throws {
        let fd = try openDescriptor()
        // A job waits in poll(2), where `kill` can end it and the prompt runs.
        if timeout == nil, WaitContext.current == nil {
            _ = Sys.setBlocking(fd, true)
            defer { _ = Sys.setBlocking(fd, false) }
            let result = try address.withSockaddr { pointer, length in Sys.connect(fd, pointer, length) }
            if result == 0 { return }
            let error = errno
            if error == EINTR && Interruption.isPending { throw Interrupted() }
            guard error == EINTR else { throw Errno(rawValue: error) }
            // Interrupted by another signal: the handshake goes on; wait for it.
        } else {
            let result = try address.withSockaddr { pointer, length in Sys.connect(fd, pointer, length) }
            if result == 0 { return }
            let error = errno
            guard (error == EINPROGRESS || error == EINTR) && timeout != 0 else { throw Errno(rawValue: error) }
        }
        try waitUntilReady(fd, events: Int16(POLLOUT), deadline: deadline(after: timeout))
        let pending = try integerOption(level: SOL_SOCKET, name: SO_ERROR)
        if pending != 0 { throw Errno(rawValue: Int32(pending)) }
    }

    // MARK: Data

    /// Sends what the kernel takes of `bytes` now; waits for room first when
    /// there is none. The corresponding C function is `send`.
    public func send(_ bytes: UnsafeRawBufferPointer, flags: Int32 = 0) throws -> Int {
        if let tls { return try tls.write(bytes, deadline: deadline(after: timeout), nonBlocking: timeout == 0) }
        return try retryingWhenReady(Int16(POLLOUT), deadline: deadline(after: timeout), flags: flags) {
            Sys.send($0, bytes.baseAddress, bytes.count, flags | Int32(MSG_NOSIGNAL))
        }
    }

    /// Sends every byte, the timeout counting for the whole call as in CPython
    /// 3.5+. `sent` counts what went out even when the call fails part way.
    public func sendAll(_ bytes: UnsafeRawBufferPointer, flags: Int32 = 0, sent: inout Int) throws {
        if let tls {
            // As SSLSocket.sendall, whose first SSL_write takes it all: one
            // deadline for the call; in pieces of a few records, so `sent`
            // tells how far it got when it fails part way.
            let callDeadline = deadline(after: timeout)
            var offset = 0
            repeat {
                let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(bytes.count, offset + Socket.tlsPiece)])
                let count = try tls.write(piece, deadline: callDeadline, nonBlocking: timeout == 0)
                offset += count
                sent += count
            } while offset < bytes.count
            return
        }
        let callDeadline = deadline(after: timeout)
        var offset = 0
        while offset < bytes.count || bytes.isEmpty {
            let count = try retryingWhenReady(Int16(POLLOUT), deadline: callDeadline) {
                Sys.send($0, bytes.baseAddress.map { $0 + offset }, bytes.count - offset, flags | Int32(MSG_NOSIGNAL))
            }
            offset += count
            sent += count
            if bytes.isEmpty { break }
        }
    }

    /// The corresponding C function is `sendto`.
    public func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress, flags: Int32 = 0) throws -> Int {
        try address.withSockaddr { pointer, length in
            try retryingWhenReady(Int16(POLLOUT), deadline: deadline(after: timeout), flags: flags) {
                Sys.sendto($0, bytes.baseAddress, bytes.count, flags | Int32(MSG_NOSIGNAL), pointer, length)
            }
        }
    }

    /// Receives at most `count` bytes; an empty result means the peer closed.
    /// The corresponding C function is `recv`.
    public func receive(upTo count: Int, flags: Int32 = 0) throws -> [UInt8] {
        if count == 0 { _ = try openDescriptor(); return [] }
        if let tls {
            // MSG_DONTWAIT (interact's reads) asks for no wait here too, and
            // says EAGAIN for nothing, as recv(2) would.
            let dontWait = flags & Int32(MSG_DONTWAIT) != 0
            do {
                let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    initialized = try tls.read(into: UnsafeMutableRawBufferPointer(buffer), deadline: deadline(after: timeout),
                                               nonBlocking: timeout == 0 || dontWait)
                }
                noteTaken(bytes.count, flags: 0)
                return bytes
            } catch let error as TLSError where dontWait && (error.kind == .wantRead || error.kind == .wantWrite) {
                throw Errno(rawValue: EAGAIN)
            }
        }
        var length = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            length = try retryingWhenReady(Int16(POLLIN), deadline: deadline(after: timeout), flags: flags) {
                Sys.recv($0, buffer.baseAddress, count, flags)
            }
            initialized = min(length, count)
        }
        noteTaken(min(length, count), flags: flags)
        return Socket.paddedToLength(bytes, length)
    }

    /// With MSG_TRUNC, recv(2) returns a datagram's whole length, past the
    /// buffer, and CPython resizes its bytes to that length; what the buffer
    /// did not hold is zeros here (in CPython, whatever the resize left).
    private static func paddedToLength(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        length > bytes.count ? bytes + repeatElement(0, count: length - bytes.count) : bytes
    }

    /// Receives into caller-owned memory, for the bulk paths that must not
    /// allocate per call. The corresponding C function is `recv`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0, deadline callDeadline: Double?) throws -> Int {
        if let tls {
            // The bulk paths take every record that has arrived, not one a call.
            let count = try tls.read(into: buffer, deadline: callDeadline, nonBlocking: timeout == 0, gather: true)
            noteTaken(count, flags: 0)
            return count
        }
        let count = try retryingWhenReady(Int16(POLLIN), deadline: callDeadline) {
            Sys.recv($0, buffer.baseAddress, buffer.count, flags)
        }
        noteTaken(count, flags: flags)
        return count
    }

    /// Datagram and seqpacket sockets keep message boundaries: one send is
    /// one message, and a recv shorter than the message drops the rest of it.
    public var keepsMessageBoundaries: Bool {
        // The low bits are the type; SOCK_NONBLOCK and SOCK_CLOEXEC sit above them.
        let kind = type & 0xF
        return kind == Int32(SOCK_DGRAM.rawValue) || kind == Int32(SOCK_SEQPACKET.rawValue)
    }

    /// Receives the next message whole, however long: recv(2) with
    /// MSG_PEEK|MSG_TRUNC says its real length without taking it, then one
    /// recv of exactly that length takes it, so no byte of it is dropped.
    /// Waits as recv does until `callDeadline`. An empty result is an empty
    /// datagram, or the end of a seqpacket stream.
    /// The corresponding C function is `recv`.
    public func receiveMessage(deadline callDeadline: Double?) throws -> [UInt8] {
        let size = try retryingWhenReady(Int16(POLLIN), deadline: callDeadline) {
            Sys.recv($0, nil, 0, Int32(MSG_PEEK | MSG_TRUNC))
        }
        let message = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = try retryingWhenReady(Int16(POLLIN), deadline: callDeadline) {
                Sys.recv($0, buffer.baseAddress, size, 0)
            }
        }
        noteTaken(message.count, flags: 0)
        return message
    }

    /// Moves everything the peer sends, until it closes, into the file `fileFD`
    /// without copying it through sockshell: socket to pipe to file with
    /// splice(2). Each wait has the socket's whole timeout, as recv would.
    /// `received` counts the bytes moved, even when the call fails part way.
    /// Returns false, having moved nothing, where the kernel cannot splice
    /// this socket or file (the caller then loops on recv).
    /// The corresponding C function is `splice`.
    public func receiveAll(intoFile fileFD: Int32, received: inout Int, unwritten: inout [UInt8]) throws -> Bool {
        let fd = try openDescriptor()
        // The kernel holds only ciphertext: TLS bytes are decrypted here.
        if tls != nil { return false }
        var pipeFDs: [Int32] = [-1, -1]
        guard Sys.pipe(&pipeFDs) == 0 else { return false }
        defer { _ = Sys.close(pipeFDs[0]); _ = Sys.close(pipeFDs[1]) }
        let chunk = 1 << 20
        _ = fcntl(pipeFDs[1], 1031 /* F_SETPIPE_SZ */, Int32(chunk))
        let move: UInt32 = 1, nonBlocking: UInt32 = 2
        var first = true
        while true {
            let count = Sys.splice(fd, pipeFDs[1], chunk, move | nonBlocking)
            if count == 0 { return true }
            if count < 0 {
                let error = errno
                if first && (error == EINVAL || error == ENOSYS) { return false }
                if error == EINTR {
                    if Interruption.isPending { throw Interrupted() }
                    continue
                }
                guard error == EAGAIN, timeout != 0 else { throw Errno(rawValue: error) }
                try waitUntilReady(fd, events: Int16(POLLIN), deadline: deadline(after: timeout))
                continue
            }
            noteTaken(count, flags: 0)
            var left = count
            while left > 0 {
                let written = Sys.splice(pipeFDs[0], fileFD, left, move)
                if written < 0 {
                    if errno == EINTR { continue }
                    // The bytes are in the pipe: take them out so none is lost.
                    // A file splice cannot write to gets them by write(2), and
                    // the caller goes on with recv; bytes no write takes (a full
                    // disk) go back to the caller, for the socket's buffer.
                    let error = Errno.current
                    unwritten = try drain(left, from: pipeFDs[0])
                    received += unwritten.count
                    if first && (error.rawValue == EINVAL || error.rawValue == ENOSYS) {
                        var done = 0
                        defer { unwritten.removeFirst(done) }
                        try unwritten.withUnsafeBytes { try Files.writeAll(fileFD, $0, written: &done) }
                        return false
                    }
                    throw error
                }
                left -= written
                received += written
            }
            first = false
        }
    }

    /// Reads the `count` bytes a pipe holds into memory.
    private func drain(_ count: Int, from source: Int32) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = try valueOrErrno { bytes.withUnsafeMutableBytes { read(source, $0.baseAddress! + got, count - got) } }
            if n == 0 { break }
            got += n
        }
        return Array(bytes[0..<got])
    }

    /// The corresponding C function is `recvfrom`.
    public func receiveFrom(upTo count: Int, flags: Int32 = 0) throws -> ([UInt8], SocketAddress?) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var received = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            received = try withUnsafeMutablePointer(to: &storage) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    try retryingWhenReady(Int16(POLLIN), deadline: deadline(after: timeout), flags: flags) {
                        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                        return Sys.recvfrom($0, buffer.baseAddress, count, flags, address, &length)
                    }
                }
            }
            initialized = min(received, count)
        }
        noteTaken(min(received, count), flags: flags)
        return (Socket.paddedToLength(bytes, received), length == 0 ? nil : SocketAddress(storage: storage, length: length))
    }

    /// Sends `count` bytes of the file `fileFD` from `offset`, returning how
    /// many went. The corresponding C function is `sendfile`.
    public func sendFile(from fileFD: Int32, offset: Int, count: Int, sent: inout Int) throws {
        let callDeadline = deadline(after: timeout)
        var position = off_t(offset)
        var left = count
        while left > 0 {
            let chunk = min(left, 1 << 30)
            let written = try retryingWhenReady(Int16(POLLOUT), deadline: callDeadline) {
                Sys.sendfile($0, fileFD, &position, chunk)
            }
            if written == 0 { break }
            left -= written
            sent += written
        }
    }

    /// The corresponding C function is `shutdown`.
    public func shutdown(how: Int32) throws {
        let fd = try openDescriptor()
        // As SSLSocket.shutdown: the TLS layer is dropped, without close_notify.
        tls = nil
        _ = try valueOrErrno { Sys.shutdown(fd, how) }
    }

    // MARK: TLS

    /// What one SSL_write in a sendall carries at most: four records.
    static let tlsPiece = 64 << 10

    /// The context and connection for `settings`, files loaded; nothing sent yet.
    public func prepareTLS(_ settings: TLSSettings) throws -> TLSStream {
        let fd = try openDescriptor()
        let stream = try TLSStream(fd: fd, settings: settings)
        stream.messageSink = { SyscallTrace.note($0) }
        return stream
    }

    /// The handshake, as `SSLContext.wrap_socket` makes it with
    /// `do_handshake_on_connect`; after it the socket's bytes are TLS.
    public func handshakeTLS(_ stream: TLSStream) throws {
        try stream.handshake(deadline: deadline(after: timeout), nonBlocking: timeout == 0)
        tls = stream
    }

    /// Sends close_notify and waits for nothing: this side will send no
    /// more, and the peer's bytes can still be read.
    public func closeTLSWriting() throws {
        _ = try openDescriptor()
        tls?.sendCloseNotify()
    }

    /// `SSLSocket.unwrap`: the TLS close, after which the socket is plain again.
    public func stopTLS() throws {
        _ = try openDescriptor()
        guard let stream = tls else { throw TLSStateError(message: "No SSL wrapper around the socket") }
        try stream.shutdown(deadline: deadline(after: timeout), nonBlocking: timeout == 0)
        tls = nil
    }

    // MARK: Options

    /// The corresponding C function is `setsockopt`.
    public func setOption(level: Int32, name: Int32, bytes: [UInt8]) throws {
        let fd = try openDescriptor()
        _ = try bytes.withUnsafeBytes { buffer in
            try valueOrErrno { Sys.setsockopt(fd, level, name, buffer.baseAddress, socklen_t(buffer.count)) }
        }
    }

    /// Sets an option whose value is a C `int`.
    public func setOption(level: Int32, name: Int32, integer: Int32) throws {
        let fd = try openDescriptor()
        _ = try withUnsafeBytes(of: integer) { buffer in
            try valueOrErrno { Sys.setsockopt(fd, level, name, buffer.baseAddress, socklen_t(buffer.count)) }
        }
    }

    /// The corresponding C function is `getsockopt`.
    public func option(level: Int32, name: Int32, length: Int) throws -> [UInt8] {
        let fd = try openDescriptor()
        var buffer = [UInt8](repeating: 0, count: length)
        var size = socklen_t(length)
        _ = try buffer.withUnsafeMutableBytes { raw in
            try valueOrErrno { Sys.getsockopt(fd, level, name, raw.baseAddress, &size) }
        }
        return Array(buffer.prefix(Int(size)))
    }

    /// Reads an option whose value is a C `int`.
    public func integerOption(level: Int32, name: Int32) throws -> Int {
        let bytes = try option(level: level, name: name, length: MemoryLayout<Int32>.size)
        var value: Int32 = 0
        withUnsafeMutableBytes(of: &value) { target in
            for (index, byte) in bytes.prefix(4).enumerated() { target[index] = byte }
        }
        return Int(value)
    }

    /// Bytes waiting to be read (SIOCINQ) or not yet acknowledged (SIOCOUTQ).
    public func queueLength(request: UInt) -> Int? {
        guard fileDescriptor >= 0 else { return nil }
        var value: Int32 = 0
        return Sys.ioctl(fileDescriptor, request, &value) == 0 ? Int(value) : nil
    }

    /// The corresponding C function is `getsockname`.
    public func localAddress() throws -> SocketAddress? {
        try address(using: Sys.getsockname)
    }

    /// The corresponding C function is `getpeername`.
    public func peerAddress() throws -> SocketAddress? {
        try address(using: Sys.getpeername)
    }

    private func address(using call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) throws -> SocketAddress? {
        let fd = try openDescriptor()
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                try valueOrErrno { call(fd, address, &length) }
            }
        }
        return SocketAddress(storage: storage, length: length)
    }
}
