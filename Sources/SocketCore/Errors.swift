import Glibc

/// An error number from a failed system call, as `errno` reports it.
///
/// A small raw-value struct, as in swift-system: the shell decides how to name
/// it (`ConnectionRefusedError`, `OSError`, ...); this layer only carries it.
public struct Errno: Error, Equatable, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The C library's text for this error, as `strerror(3)` gives it.
    public var message: String { String(cString: strerror(rawValue)) }

    /// The value of `errno` right now.
    public static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
}

/// A failure of `getaddrinfo(3)` or `getnameinfo(3)`: the `EAI_*` code.
///
/// `EAI_SYSTEM` never appears here; it is turned into the `Errno` it stands
/// for, as CPython's `set_gaierror` does.
public struct ResolverError: Error, Equatable, Sendable {
    public let code: Int32
    public init(code: Int32) { self.code = code }
    /// The C library's text for this code, as `gai_strerror(3)` gives it.
    public var message: String { String(cString: gai_strerror(code)) }
}

/// A failure of the legacy netdb calls (`gethostbyaddr_r`, `gethostbyname_r`):
/// the `h_errno` value.
public struct HostError: Error, Equatable, Sendable {
    public let code: Int32
    public init(code: Int32) { self.code = code }
    /// The C library's text, as `hstrerror(3)` gives it.
    public var message: String { String(cString: hstrerror(code)) }
}

/// A socket's timeout expired before the call could complete.
public struct TimeoutExpired: Error, Equatable, Sendable {
    public init() {}
}

/// The user pressed Ctrl-C (SIGINT) while the call was waiting.
public struct Interrupted: Error, Equatable, Sendable {
    public init() {}
}

/// Turns the C convention "-1 means look at errno" into a thrown `Errno`.
///
/// Every wrapper in this module goes through here, so the EINTR policy is
/// decided once: calls that cannot block are retried on EINTR; calls that wait
/// are made non-blocking and wait in `waitUntilReady`, which has its own policy.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ call: () -> T
) throws(Errno) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        throw error
    }
}
