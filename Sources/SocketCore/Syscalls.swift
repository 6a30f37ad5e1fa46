import Glibc

/// One thin wrapper per C call, with no logic in it: every other file in
/// sockshell reaches the kernel through here. Each returns what the C call
/// returns (-1 with `errno` set on failure); `valueOrErrno` and the `Socket`
/// methods decide what a failure means. Each also reports itself to
/// `SyscallTrace`, in strace's words, when `set trace on` asks.
/// accept4(2) is a GNU extension that Glibc's Swift module does not export.
@_silgen_name("accept4")
private func c_accept4(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?,
                       _ flags: Int32) -> Int32

/// splice(2) is a GNU extension that Glibc's Swift module does not export.
@_silgen_name("splice")
private func c_splice(_ fdIn: Int32, _ offsetIn: UnsafeMutablePointer<Int64>?, _ fdOut: Int32,
                      _ offsetOut: UnsafeMutablePointer<Int64>?, _ count: Int, _ flags: UInt32) -> Int

enum Sys {
    /// Reports a finished call to the trace, keeping `errno` as the call left it.
    @inline(__always)
    private static func trace(_ name: String, _ result: Int, hex: Bool = false, suffix: @autoclosure () -> String = "",
                              _ arguments: @autoclosure () -> [String]) {
        guard SyscallTrace.isOn else { return }
        let saved = errno
        SyscallTrace.emit(name, arguments(), result: result, hex: hex, errorNumber: saved, suffix: result == -1 ? "" : suffix())
        errno = saved
    }

    private static func pointer(_ value: UnsafeRawPointer?) -> String {
        value.map { "0x" + String(UInt(bitPattern: $0), radix: 16) } ?? "NULL"
    }

    /// `[128 => 16]`: a length the kernel was given and the one it wrote back.
    private static func lengths(_ before: socklen_t, _ after: socklen_t, _ result: Int) -> String {
        result == -1 || before == after ? "[\(before)]" : "[\(before) => \(after)]"
    }

    /// The corresponding C function is `socket`.
    static func socket(_ family: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
        let result = Glibc.socket(family, type, proto)
        trace("socket", Int(result), [TraceFormat.family(family), TraceFormat.socketType(type),
                                      TraceFormat.protocolName(proto, family: family)])
        return result
    }

    /// The corresponding C function is `socketpair`.
    static func socketpair(_ family: Int32, _ type: Int32, _ proto: Int32, _ fds: inout [Int32]) -> Int32 {
        let result = Glibc.socketpair(family, type, proto, &fds)
        trace("socketpair", Int(result), [TraceFormat.family(family), TraceFormat.socketType(type),
                                          TraceFormat.protocolName(proto, family: family), "[\(fds[0]), \(fds[1])]"])
        return result
    }

    /// The corresponding C function is `close`.
    static func close(_ fd: Int32) -> Int32 {
        let result = Glibc.close(fd)
        trace("close", Int(result), [String(fd)])
        return result
    }

    /// The corresponding C function is `bind`.
    static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        let result = Glibc.bind(fd, address, length)
        trace("bind", Int(result), [String(fd), TraceFormat.address(address, length: length), String(length)])
        return result
    }

    /// The corresponding C function is `listen`.
    static func listen(_ fd: Int32, _ backlog: Int32) -> Int32 {
        let result = Glibc.listen(fd, backlog)
        trace("listen", Int(result), [String(fd), String(backlog)])
        return result
    }

    /// The corresponding C function is `accept4`.
    static func accept4(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>,
                        _ flags: Int32) -> Int32 {
        let before = length.pointee
        let result = c_accept4(fd, address, length, flags)
        trace("accept4", Int(result), [String(fd),
                                       result == -1 ? pointer(address) : TraceFormat.address(address, length: length.pointee),
                                       lengths(before, length.pointee, Int(result)), TraceFormat.socketFlags(flags)])
        return result
    }

    /// The corresponding C function is `connect`.
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        let result = Glibc.connect(fd, address, length)
        trace("connect", Int(result), [String(fd), TraceFormat.address(address, length: length), String(length)])
        return result
    }

    /// The corresponding C function is `send` (the kernel's `sendto`, as strace shows it).
    static func send(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
        let result = Glibc.send(fd, buffer, count, flags)
        trace("sendto", result, [String(fd), TraceFormat.string(buffer, count: count), String(count),
                                 TraceFormat.messageFlags(flags), "NULL", "0"])
        return result
    }

    /// The corresponding C function is `sendto`.
    static func sendto(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int {
        let result = Glibc.sendto(fd, buffer, count, flags, address, length)
        trace("sendto", result, [String(fd), TraceFormat.string(buffer, count: count), String(count),
                                 TraceFormat.messageFlags(flags), TraceFormat.address(address, length: length), String(length)])
        return result
    }

    /// The corresponding C function is `recv` (the kernel's `recvfrom`, as strace shows it).
    static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: Int32) -> Int {
        let result = Glibc.recv(fd, buffer, count, flags)
        // With MSG_TRUNC the result is the datagram's length, which may pass the buffer's end.
        trace("recvfrom", result, [String(fd), result < 0 ? pointer(buffer) : TraceFormat.string(buffer, count: min(result, count)),
                                   String(count), TraceFormat.messageFlags(flags), "NULL", "NULL"])
        return result
    }

    /// The corresponding C function is `recvfrom`.
    static func recvfrom(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int {
        let before = length.pointee
        let result = Glibc.recvfrom(fd, buffer, count, flags, address, length)
        trace("recvfrom", result, [String(fd), result < 0 ? pointer(buffer) : TraceFormat.string(buffer, count: min(result, count)),
                                   String(count), TraceFormat.messageFlags(flags),
                                   result < 0 || length.pointee == 0 ? pointer(address) : TraceFormat.address(address, length: length.pointee),
                                   lengths(before, length.pointee, result)])
        return result
    }

    /// The corresponding C function is `shutdown`.
    static func shutdown(_ fd: Int32, _ how: Int32) -> Int32 {
        let result = Glibc.shutdown(fd, how)
        trace("shutdown", Int(result), [String(fd), TraceFormat.shutdownHow(how)])
        return result
    }

    /// An option value as strace shows it: `[1]` for an int, else the bytes.
    private static func optionValue(_ value: UnsafeRawPointer?, _ length: Int) -> String {
        guard let value else { return "NULL" }
        if length == 4 { return "[\(value.loadUnaligned(as: Int32.self))]" }
        return TraceFormat.string(value, count: length)
    }

    /// The corresponding C function is `setsockopt`.
    static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeRawPointer?, _ length: socklen_t) -> Int32 {
        let result = Glibc.setsockopt(fd, level, name, value, length)
        trace("setsockopt", Int(result), [String(fd), TraceFormat.level(level), TraceFormat.option(name, level: level),
                                          optionValue(value, Int(length)), String(length)])
        return result
    }

    /// The corresponding C function is `getsockopt`.
    static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        let before = length.pointee
        let result = Glibc.getsockopt(fd, level, name, value, length)
        trace("getsockopt", Int(result), [String(fd), TraceFormat.level(level), TraceFormat.option(name, level: level),
                                          result == -1 ? pointer(value) : optionValue(value, Int(length.pointee)),
                                          lengths(before, length.pointee, Int(result))])
        return result
    }

    /// The corresponding C function is `getsockname`.
    static func getsockname(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        let before = length.pointee
        let result = Glibc.getsockname(fd, address, length)
        trace("getsockname", Int(result), [String(fd),
                                           result == -1 ? pointer(address) : TraceFormat.address(address, length: length.pointee),
                                           lengths(before, length.pointee, Int(result))])
        return result
    }

    /// The corresponding C function is `getpeername`.
    static func getpeername(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        let before = length.pointee
        let result = Glibc.getpeername(fd, address, length)
        trace("getpeername", Int(result), [String(fd),
                                           result == -1 ? pointer(address) : TraceFormat.address(address, length: length.pointee),
                                           lengths(before, length.pointee, Int(result))])
        return result
    }

    /// The corresponding C function is `sendfile`.
    static func sendfile(_ outFD: Int32, _ inFD: Int32, _ offset: UnsafeMutablePointer<off_t>?, _ count: Int) -> Int {
        let before = offset?.pointee ?? 0
        let result = Glibc.sendfile(outFD, inFD, offset, count)
        let position = offset.map { result == -1 ? "[\(before)]" : "[\(before)] => [\($0.pointee)]" } ?? "NULL"
        trace("sendfile", result, [String(outFD), String(inFD), position, String(count)])
        return result
    }

    private static func fileStatusFlags(_ flags: Int32) -> String {
        var parts = [["O_RDONLY", "O_WRONLY", "O_RDWR"][Int(flags & O_ACCMODE)]]
        if flags & O_NONBLOCK != 0 { parts.append("O_NONBLOCK") }
        if flags & O_APPEND != 0 { parts.append("O_APPEND") }
        return parts.joined(separator: "|")
    }

    /// The corresponding C function is `fcntl`: sets O_NONBLOCK and FD_CLOEXEC.
    static func setNonBlocking(_ fd: Int32) -> Int32 {
        let flags = Glibc.fcntl(fd, F_GETFL)
        trace("fcntl", Int(flags), hex: true, suffix: " (flags \(fileStatusFlags(flags)))", [String(fd), "F_GETFL"])
        if flags < 0 { return flags }
        let cloexec = Glibc.fcntl(fd, F_SETFD, FD_CLOEXEC)
        trace("fcntl", Int(cloexec), [String(fd), "F_SETFD", "FD_CLOEXEC"])
        let result = Glibc.fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        trace("fcntl", Int(result), [String(fd), "F_SETFL", fileStatusFlags(flags | O_NONBLOCK)])
        return result
    }

    /// The corresponding C function is `fcntl`: sets or clears O_NONBLOCK.
    static func setBlocking(_ fd: Int32, _ blocking: Bool) -> Int32 {
        let flags = Glibc.fcntl(fd, F_GETFL)
        trace("fcntl", Int(flags), hex: true, suffix: " (flags \(fileStatusFlags(flags)))", [String(fd), "F_GETFL"])
        if flags < 0 { return flags }
        let newFlags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK
        let result = Glibc.fcntl(fd, F_SETFL, newFlags)
        trace("fcntl", Int(result), [String(fd), "F_SETFL", fileStatusFlags(newFlags)])
        return result
    }

    /// The corresponding C function is `fcntl` with `F_DUPFD_CLOEXEC`.
    static func duplicate(_ fd: Int32, atLeast minimum: Int32) -> Int32 {
        Glibc.fcntl(fd, F_DUPFD_CLOEXEC, minimum)
    }

    /// The corresponding C function is `pipe`.
    static func pipe(_ fds: inout [Int32]) -> Int32 { Glibc.pipe(&fds) }

    /// The corresponding C function is `splice`.
    static func splice(_ fdIn: Int32, _ fdOut: Int32, _ count: Int, _ flags: UInt32) -> Int {
        let result = c_splice(fdIn, nil, fdOut, nil, count, flags)
        trace("splice", result, [String(fdIn), "NULL", String(fdOut), "NULL", String(count),
                                 flags & 2 != 0 ? "SPLICE_F_MOVE|SPLICE_F_NONBLOCK" : "SPLICE_F_MOVE"])
        return result
    }

    /// The corresponding C function is `ioctl`.
    static func ioctl(_ fd: Int32, _ request: UInt, _ value: UnsafeMutablePointer<Int32>) -> Int32 {
        let result = Glibc.ioctl(fd, request, value)
        let names: [UInt: String] = [0x541B: "FIONREAD", 0x5411: "TIOCOUTQ"]
        trace("ioctl", Int(result), [String(fd), names[request] ?? "0x" + String(request, radix: 16), "[\(value.pointee)]"])
        return result
    }

    /// The corresponding C function is `poll`.
    static func poll(_ fds: inout [pollfd], _ timeout: Int32) -> Int32 {
        let result = Glibc.poll(&fds, nfds_t(fds.count), timeout)
        if SyscallTrace.isOn {
            let requested = fds.map { "{fd=\($0.fd), events=\(TraceFormat.pollEvents($0.events))}" }.joined(separator: ", ")
            let ready = fds.filter { $0.revents != 0 }.map { "{fd=\($0.fd), revents=\(TraceFormat.pollEvents($0.revents))}" }
            let suffix = result == 0 ? " (Timeout)" : " ([\(ready.joined(separator: ", "))])"
            trace("poll", Int(result), suffix: suffix, ["[\(requested)]", String(fds.count), String(timeout)])
        }
        return result
    }
}
