import SocketCore
import Glibc

extension CommandTable {
    static let dataCommands: [Command] = [
        Command(name: "send", group: .data,
                parameters: [.required("NAME", .socket), .required("DATA", .data), .optional("FLAGS", .flags)],
                summary: "send what the kernel takes of DATA now; prints how many bytes went",
                python: .method("send", returns: .value), cCall: "send(2)",
                run: send),
        Command(name: "sendall", group: .data, parameters: [.required("NAME", .socket), .required("DATA", .data)],
                summary: "send every byte of DATA (b'...', 'text' or @FILE)",
                python: .method("sendall"), cCall: "send(2)",
                run: { call, bound in try sendAll(&call, bound, newline: false) }),
        Command(name: "sendline", group: .data, parameters: [.required("NAME", .socket), .required("DATA", .data)],
                summary: "send every byte of DATA followed by a newline",
                python: "NAME.sendall(DATA + b'\\n')", cCall: "send(2)",
                run: { call, bound in try sendAll(&call, bound, newline: true) }),
        Command(name: "sendto", group: .data,
                parameters: [.required("NAME", .socket), .required("DATA", .data), .required("HOST", .host), .required("PORT", .port)],
                summary: "send one datagram to an address",
                python: .method("sendto", returns: .value, address: true), cCall: "sendto(2)",
                run: sendTo),
        Command(name: "sendfile", group: .data, parameters: [.required("NAME", .socket), .required("PATH", .path)],
                summary: "send a whole file through the kernel, without copying it through sockshell",
                python: "NAME.sendfile(open(PATH, 'rb'))", cCall: "sendfile(2)",
                run: sendFile),
        Command(name: "recv", group: .data,
                parameters: [.required("NAME", .socket), .optional("BUFSIZE", .integer).c("ssize_t"), .optional("FLAGS", .flags)],
                summary: "receive at most BUFSIZE bytes (4096); b'' means the peer closed",
                python: "NAME.recv(BUFSIZE, FLAGS)", cCall: "recv(2)",
                run: receive),
        Command(name: "recvfrom", group: .data,
                parameters: [.required("NAME", .socket), .optional("BUFSIZE", .integer).c("ssize_t"), .optional("FLAGS", .flags)],
                summary: "receive one datagram and the address it came from",
                python: "NAME.recvfrom(BUFSIZE, FLAGS)", cCall: "recvfrom(2)",
                run: receiveFrom),
        Command(name: "recvline", group: .data, parameters: [.required("NAME", .socket)],
                summary: "receive up to and including the next newline",
                python: "NAME.makefile('rb').readline()", cCall: "recv(2)",
                run: { call, bound in
                    let entry = bound.socket(0)
                    call.receivedFrom = entry
                    return .bytes(try readUntil(entry, delimiter: [0x0A], session: call.session))
                }),
        Command(name: "recvuntil", group: .data, parameters: [.required("NAME", .socket), .required("DELIM", .data)],
                summary: "receive up to and including DELIM",
                python: "", cCall: "recv(2)",
                run: { call, bound in
                    let entry = bound.socket(0)
                    let delimiter = try bound.data(1).load()
                    guard !delimiter.isEmpty else { throw ShellError.value("empty delimiter") }
                    call.receivedFrom = entry
                    return .bytes(try readUntil(entry, delimiter: delimiter, session: call.session))
                }),
        Command(name: "recvall", group: .data, parameters: [.required("NAME", .socket), .optional("BUFSIZE", .integer).c("ssize_t")],
                summary: "receive until the peer closes; with > FILE the bytes stream to the file",
                python: "b''.join(iter(lambda: NAME.recv(BUFSIZE), b''))", cCall: "recv(2)",
                run: receiveAll),
    ]
}

/// One recv never returns more than the socket's receive buffer holds (at
/// most 2 x net.core.rmem_max; a few MiB), so a huge BUFSIZE is honoured by
/// allocating this much, not by failing to allocate gigabytes.
let largestReceive = 64 << 20

/// CPython allocates the whole BUFSIZE first, so an absurd one fails at once:
/// `OverflowError` past what a bytes object can hold, `MemoryError` past what
/// any machine has (1 TiB here; Python's limit is the machine's memory).
func checkBufferSize(_ size: Int, caller: String) throws {
    if size < 0 { throw ShellError.value("negative buffersize in \(caller)") }
    if size > Int.max - 64 { throw ShellError.overflow("byte string is too large") }
    if size > 1 << 40 { throw ShellError("MemoryError", "") }
}

/// What Python's SSLSocket refuses that a plain socket takes.
private func checkTLS(_ entry: SocketEntry, flags: Int32 = 0, call: String, method: Bool = false) throws {
    guard entry.socket.tls != nil else { return }
    if method { throw ShellError.value("\(call) not allowed on instances of <class 'ssl.SSLSocket'>") }
    if flags != 0 { throw ShellError.value("non-zero flags not allowed in calls to \(call)() on <class 'ssl.SSLSocket'>") }
}

private func send(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let bytes = try bound.data(1).load()
    let flags = bound.optionalConstant(2) ?? 0
    try checkTLS(entry, flags: flags, call: "send")
    let count = try bytes.withUnsafeBytes { try entry.socket.send($0, flags: flags) }
    entry.bytesSent += count
    return .int(count)
}

private func sendAll(_ call: inout Call, _ bound: Bindings, newline: Bool) throws -> Value? {
    let entry = bound.socket(0)
    let source = bound.data(1)
    var sent = 0
    defer { entry.bytesSent += sent }
    switch source {
    case .bytes(var bytes):
        if newline { bytes.append(0x0A) }
        try bytes.withUnsafeBytes { try entry.socket.sendAll($0, sent: &sent) }
    case .file(let path) where entry.socket.keepsMessageBoundaries:
        // One datagram, as `s.sendall(open(PATH, 'rb').read())` sends: in
        // pieces, a 1.5 MB file arrived as two datagrams. So the file is held
        // in memory, as the other commands hold one, and the kernel either
        // takes it whole or says EMSGSIZE.
        var bytes = try readFile(path)
        if newline { bytes.append(0x0A) }
        try bytes.withUnsafeBytes { try entry.socket.sendAll($0, sent: &sent) }
    case .file(let path):
        let fd: Int32
        do { fd = try Files.openForReading(path) } catch let error as Errno { throw fileError(error, path) }
        defer { Files.close(fd) }
        try sendPieces(of: fd, path: path, to: entry, sent: &sent)
        if newline { try [UInt8(0x0A)].withUnsafeBytes { try entry.socket.sendAll($0, sent: &sent) } }
    }
    return nil
}

/// Sends the file `fd` from where it stands to its end, a MiB at a time:
/// a 1 GiB file must not become 1 GiB of memory.
private func sendPieces(of fd: Int32, path: String, to entry: SocketEntry, sent: inout Int) throws {
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count: Int
        do { count = try chunk.withUnsafeMutableBytes { try Files.read(fd, into: $0) } } catch let error as Errno {
            throw fileError(error, path)
        }
        if count == 0 { return }
        try chunk.withUnsafeBytes { try entry.socket.sendAll(UnsafeRawBufferPointer(rebasing: $0[0..<count]), sent: &sent) }
    }
}

private func sendTo(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    try checkTLS(entry, call: "sendto", method: true)
    let bytes = try bound.data(1).load()
    let count = try bytes.withUnsafeBytes { try entry.socket.send($0, to: bound.address(2)) }
    entry.bytesSent += count
    return .int(count)
}

/// Python's `socket.sendfile`: os.sendfile for SOCK_STREAM, refusing a
/// non-blocking socket as CPython does.
private func sendFile(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let path = bound.text(1)
    // `open(PATH, 'rb')` runs before `sendfile` is called, so its error comes first.
    let fd: Int32
    do { fd = try Files.openForReading(path) } catch let error as Errno { throw fileError(error, path) }
    // Closed on every path from here: a size that fails (a directory) once
    // leaked the descriptor, one a call.
    defer { Files.close(fd) }
    let size: Int
    do { size = try Files.size(of: fd) } catch let error as Errno { throw fileError(error, path) }
    guard entry.socket.type == Int32(SOCK_STREAM.rawValue) else {
        throw ShellError.value("only SOCK_STREAM type sockets are supported")
    }
    guard entry.socket.timeout != 0 else { throw ShellError.value("non-blocking sockets are not supported") }
    var sent = 0
    defer { entry.bytesSent += sent }
    if entry.socket.tls != nil {
        // The kernel cannot encrypt: as SSLSocket.sendfile, the file goes through send.
        try sendPieces(of: fd, path: path, to: entry, sent: &sent)
        return .int(sent)
    }
    try entry.socket.sendFile(from: fd, offset: 0, count: size, sent: &sent)
    return .int(sent)
}

private func receive(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let size = bound.optionalInteger(1) ?? 4096
    let flags = bound.optionalConstant(2) ?? 0
    try checkBufferSize(size, caller: "recv")
    try checkTLS(entry, flags: flags, call: "recv")
    if flags & Int32(MSG_PEEK) == 0 { call.receivedFrom = entry }
    if entry.pending.count > 0 {
        return .bytes(entry.pending.take(size, consume: flags & Int32(MSG_PEEK) == 0))
    }
    let bytes = try entry.socket.receive(upTo: min(size, largestReceive), flags: flags)
    if flags & Int32(MSG_PEEK) == 0 { entry.bytesReceived += bytes.count }
    return .bytes(bytes)
}

private func receiveFrom(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let size = bound.optionalInteger(1) ?? 4096
    let flags = bound.optionalConstant(2) ?? 0
    try checkBufferSize(size, caller: "recvfrom")
    try checkTLS(entry, call: "recvfrom", method: true)
    if entry.pending.count > 0 {
        let bytes = entry.pending.take(size, consume: flags & Int32(MSG_PEEK) == 0)
        // The buffered bytes were read by recv, which asks for no address:
        // None, as recvfrom gives on a stream.
        return .tuple([.bytes(bytes), Value.none])
    }
    let (bytes, peer) = try entry.socket.receiveFrom(upTo: min(size, largestReceive), flags: flags)
    if flags & Int32(MSG_PEEK) == 0 { entry.bytesReceived += bytes.count }
    return .tuple([.bytes(bytes), peer.map(addressValue) ?? Value.none])
}

/// Reads until `delimiter` (returned with it), or until the peer closes.
/// What is read past the delimiter stays buffered. A line longer than
/// `maxLine` is an error and stays buffered too: nothing is ever dropped.
/// A datagram is read whole, whatever its size or maxline: a recv shorter
/// than a datagram drops the rest of it, as 64 KiB pieces once dropped most
/// of a 200,000-byte one.
private func readUntil(_ entry: SocketEntry, delimiter: [UInt8], session: Session) throws -> [UInt8] {
    var searched = 0
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        if let end = entry.pending.end(of: delimiter, searchingFrom: searched) {
            return entry.pending.take(end)
        }
        searched = entry.pending.count
        guard entry.pending.count < session.maxLine else {
            throw ShellError.value("no \(pythonBytesRepr(delimiter)) within maxline (\(session.maxLine) bytes); "
                                   + "what was read stays buffered (set maxline to raise the limit)")
        }
        if entry.socket.keepsMessageBoundaries {
            let message = try entry.socket.receiveMessage(deadline: entry.socket.timeout.map { monotonicSeconds() + $0 })
            if message.isEmpty { return entry.pending.takeAll() }
            entry.bytesReceived += message.count
            message.withUnsafeBytes { entry.pending.append($0) }
            continue
        }
        // Read no further than maxline (plus a delimiter that may straddle it);
        // `room` is positive here, and the sum cannot overflow past chunk.count.
        let room = session.maxLine - entry.pending.count
        let want = room >= chunk.count ? chunk.count : min(chunk.count, room + delimiter.count)
        let count = try chunk.withUnsafeMutableBytes {
            try entry.socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]),
                                     deadline: entry.socket.timeout.map { monotonicSeconds() + $0 })
        }
        if count == 0 { return entry.pending.takeAll() }
        entry.bytesReceived += count
        chunk.withUnsafeBytes { entry.pending.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}

/// Receives until the peer closes. With `> FILE` each piece goes straight to
/// the file, so a transfer of any size takes constant memory. On a timeout
/// or Ctrl-C, what arrived is still printed (or written), then the error;
/// when nothing arrived, only the error: `b''` would say the peer closed.
/// Each datagram is read whole, as `readUntil` reads it.
private func receiveAll(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    // Streaming to a file, bigger pieces mean fewer calls at the same bounded memory.
    let sizeGiven = bound.isGiven(1)
    let size = bound.optionalInteger(1) ?? (call.redirect == nil ? 64 * 1024 : 1 << 20)
    guard size > 0 else { throw ShellError.value("BUFSIZE must be positive") }
    try checkBufferSize(size, caller: "recv")

    // The runner opened the `> FILE` before the call; the bytes stream into it.
    let sink = call.sink
    if sink >= 0 { call.redirectConsumed = true }
    call.receivedFrom = entry

    var collected = entry.pending.takeAll()
    if sink >= 0 {
        try writeReceived(collected, to: sink, from: entry)
        collected.removeAll()
    }
    // To a file, the kernel moves the bytes itself (splice), unless this
    // socket or file cannot be spliced; an explicit BUFSIZE asks for recv.
    // splice(2) cannot write to a file opened for appending (`>>`).
    // A datagram is not spliced: splice(2) moves what fits in the pipe and
    // the kernel drops the rest of the datagram.
    if sink >= 0, !sizeGiven, call.redirect?.append == false, !entry.socket.keepsMessageBoundaries {
        var moved = 0
        var unwritten: [UInt8] = []
        defer { entry.bytesReceived += moved }
        do {
            let spliced = try entry.socket.receiveAll(intoFile: sink, received: &moved, unwritten: &unwritten)
            // Bytes the file refused stay the socket's, for the next read.
            entry.pending.unread(unwritten)
            if spliced { return nil }
        } catch {
            entry.pending.unread(unwritten)
            throw PartialResult(value: nil, error: error)
        }
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(size, largestReceive), alignment: 16)
    defer { buffer.deallocate() }
    do {
        while true {
            // Each recv has the socket's whole timeout, as in the Python loop.
            let deadline = entry.socket.timeout.map { monotonicSeconds() + $0 }
            if entry.socket.keepsMessageBoundaries {
                let message = try entry.socket.receiveMessage(deadline: deadline)
                if message.isEmpty { break }
                entry.bytesReceived += message.count
                if sink >= 0 { try writeReceived(message, to: sink, from: entry) } else { collected += message }
                continue
            }
            let count = try entry.socket.receive(into: buffer, deadline: deadline)
            if count == 0 { break }
            entry.bytesReceived += count
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if sink >= 0 { try writeReceived(piece, to: sink, from: entry) } else { collected.append(contentsOf: piece) }
        }
    } catch {
        // The Python loop has no value to print when its first recv fails.
        throw PartialResult(value: sink >= 0 || collected.isEmpty ? nil : .bytes(collected), error: error)
    }
    return sink >= 0 ? nil : .bytes(collected)
}
