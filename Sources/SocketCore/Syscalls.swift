import Glibc

/// One thin wrapper per C call, with no logic in it: every other file in
/// sockshell reaches the kernel through here. Each returns what the C call
/// returns (-1 with `errno` set on failure); `valueOrErrno` and the `Socket`
/// methods decide what a failure means.
enum Sys {
    /// The corresponding C function is `socket`.
    static func socket(_ family: Int32, _ type: Int32, _ proto: Int32) -> Int32 {
        Glibc.socket(family, type, proto)
    }
    /// The corresponding C function is `socketpair`.
    static func socketpair(_ family: Int32, _ type: Int32, _ proto: Int32, _ fds: inout [Int32]) -> Int32 {
        Glibc.socketpair(family, type, proto, &fds)
    }
    /// The corresponding C function is `close`.
    static func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    /// The corresponding C function is `bind`.
    static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        Glibc.bind(fd, address, length)
    }
    /// The corresponding C function is `listen`.
    static func listen(_ fd: Int32, _ backlog: Int32) -> Int32 { Glibc.listen(fd, backlog) }
    /// The corresponding C function is `accept`.
    static func accept(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        Glibc.accept(fd, address, length)
    }
    /// The corresponding C function is `connect`.
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        Glibc.connect(fd, address, length)
    }
    /// The corresponding C function is `send`.
    static func send(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
        Glibc.send(fd, buffer, count, flags)
    }
    /// The corresponding C function is `sendto`.
    static func sendto(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int {
        Glibc.sendto(fd, buffer, count, flags, address, length)
    }
    /// The corresponding C function is `recv`.
    static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: Int32) -> Int {
        Glibc.recv(fd, buffer, count, flags)
    }
    /// The corresponding C function is `recvfrom`.
    static func recvfrom(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int {
        Glibc.recvfrom(fd, buffer, count, flags, address, length)
    }
    /// The corresponding C function is `shutdown`.
    static func shutdown(_ fd: Int32, _ how: Int32) -> Int32 { Glibc.shutdown(fd, how) }
    /// The corresponding C function is `setsockopt`.
    static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeRawPointer?, _ length: socklen_t) -> Int32 {
        Glibc.setsockopt(fd, level, name, value, length)
    }
    /// The corresponding C function is `getsockopt`.
    static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        Glibc.getsockopt(fd, level, name, value, length)
    }
    /// The corresponding C function is `getsockname`.
    static func getsockname(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        Glibc.getsockname(fd, address, length)
    }
    /// The corresponding C function is `getpeername`.
    static func getpeername(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> Int32 {
        Glibc.getpeername(fd, address, length)
    }
    /// The corresponding C function is `sendfile`.
    static func sendfile(_ outFD: Int32, _ inFD: Int32, _ offset: UnsafeMutablePointer<off_t>?, _ count: Int) -> Int {
        Glibc.sendfile(outFD, inFD, offset, count)
    }
    /// The corresponding C function is `fcntl`: sets O_NONBLOCK and FD_CLOEXEC.
    static func setNonBlocking(_ fd: Int32) -> Int32 {
        let flags = Glibc.fcntl(fd, F_GETFL)
        if flags < 0 { return flags }
        _ = Glibc.fcntl(fd, F_SETFD, FD_CLOEXEC)
        return Glibc.fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }
    /// The corresponding C function is `fcntl`: sets or clears O_NONBLOCK.
    static func setBlocking(_ fd: Int32, _ blocking: Bool) -> Int32 {
        let flags = Glibc.fcntl(fd, F_GETFL)
        if flags < 0 { return flags }
        return Glibc.fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK)
    }
    /// The corresponding C function is `fcntl` with `F_DUPFD_CLOEXEC`.
    static func duplicate(_ fd: Int32, atLeast minimum: Int32) -> Int32 {
        Glibc.fcntl(fd, F_DUPFD_CLOEXEC, minimum)
    }
    /// The corresponding C function is `pipe`.
    static func pipe(_ fds: inout [Int32]) -> Int32 { Glibc.pipe(&fds) }
    /// The corresponding C function is `ioctl`.
    static func ioctl(_ fd: Int32, _ request: UInt, _ value: UnsafeMutablePointer<Int32>) -> Int32 {
        Glibc.ioctl(fd, request, value)
    }
}
