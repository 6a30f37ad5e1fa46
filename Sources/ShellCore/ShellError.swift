import SocketCore

/// An error as the last line of CPython's traceback shows it: `Type: message`.
///
/// Every failure, from a syscall or from the shell itself, becomes one of these
/// in one place (`ShellError.init(_:)`), so the text cannot drift.
public struct ShellError: Error, Equatable {
    public let type: String
    public let message: String
    /// The number behind the error, when the C library gave one: what `why`
    /// explains.
    public var code: ErrorCode?

    public init(_ type: String, _ message: String, code: ErrorCode? = nil) {
        self.type = type
        self.message = message
        self.code = code
    }

    /// The line printed for it. The message can hold the user's own text (a
    /// command name, an argument): its control characters are escaped, as
    /// every received byte is, so ESC or BEL never reaches the terminal raw.
    public var line: String { message.isEmpty ? type : "\(type): \(escapedLine(message))" }

    /// An OSError for `errno`, under the subclass CPython's errno map gives it
    /// (`ConnectionRefusedError`, `BrokenPipeError`, ...).
    public static func os(_ errno: Errno, detail: String? = nil) -> ShellError {
        ShellError(osErrorType(errno.rawValue), "[Errno \(errno.rawValue)] \(detail ?? errno.message)",
                   code: .errno(errno.rawValue))
    }

    public static func type(_ message: String) -> ShellError { ShellError("TypeError", message) }
    public static func value(_ message: String) -> ShellError { ShellError("ValueError", message) }
    public static func osMessage(_ message: String) -> ShellError { ShellError("OSError", message) }
    public static func overflow(_ message: String) -> ShellError { ShellError("OverflowError", message) }
    public static func name(_ name: String) -> ShellError { ShellError("NameError", "name '\(name)' is not defined") }
    public static func syntax(_ message: String, column: Int) -> ShellError {
        ShellError("SyntaxError", "\(message) (column \(column))")
    }

    /// Maps any error thrown below the shell to what CPython would raise.
    public init(_ error: Error) {
        switch error {
        case let shellError as ShellError: self = shellError
        case let errno as Errno: self = .os(errno)
        case is TimeoutExpired: self.init("TimeoutError", "timed out")
        case is Interrupted: self.init("KeyboardInterrupt", "")
        case let resolver as ResolverError:
            self.init("socket.gaierror", "[Errno \(resolver.code)] \(resolver.message)", code: .resolver(resolver.code))
        case let host as HostError:
            self.init("socket.herror", "[Errno \(host.code)] \(host.message)", code: .host(host.code))
        case is AddressFamilyMismatch: self.init("OSError", "address family mismatched")
        case is UnixPathTooLong: self.init("OSError", "AF_UNIX path too long")
        case is WildcardAmbiguous: self.init("OSError", "wildcard resolved to multiple address")
        case let tls as TLSError: self = ShellError.ssl(tls)
        case let timeout as TLSTimeout: self = ShellError.sslTimeout(timeout)
        case let state as TLSStateError: self.init("ValueError", state.message)
        case is TLSALPNLength: self.init("ssl.SSLError", "('ALPN protocols must be 1 to 255 in length',)")
        default: self.init("OSError", "\(error)")
        }
    }
}

extension ShellError {
    /// The line of CPython 3.11.7's `_ssl.c` that raises each call's error:
    /// its messages end with it, `(_ssl.c:1006)`.
    static func sslLine(_ operation: TLSOperation) -> Int {
        switch operation {
        case .handshake: return 1006
        case .read: return 2580
        case .write: return 2427
        case .shutdown: return 2706
        case .loadCertificate: return 3905
        case .loadKey: return 3926
        case .checkKey: return 3932
        case .loadVerifyLocations: return 4154
        case .context: return 3137
        }
    }

    /// An OpenSSL error as `fill_and_set_sslerror` words it:
    /// `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)`.
    static func ssl(_ error: TLSError) -> ShellError {
        let type: String
        var verify: String?
        switch error.kind {
        case .zeroReturn: type = "ssl.SSLZeroReturnError"
        case .wantRead: type = "ssl.SSLWantReadError"
        case .wantWrite: type = "ssl.SSLWantWriteError"
        case .eof: type = "ssl.SSLEOFError"
        case .syscall: type = "ssl.SSLSyscallError"
        case .ssl: type = "ssl.SSLError"
        case .certificateVerify(_, let message): type = "ssl.SSLCertVerificationError"; verify = message
        }
        let line = " (_ssl.c:\(sslLine(error.operation)))"
        let message: String
        switch (error.library, error.reason, verify) {
        case (let library?, let reason?, let verify?): message = "[\(library): \(reason)] \(error.text): \(verify)" + line
        case (let library?, let reason?, nil): message = "[\(library): \(reason)] \(error.text)" + line
        case (let library?, nil, _): message = "[\(library)] \(error.text)" + line
        default: message = error.text + line
        }
        return ShellError(type, message)
    }

    /// CPython's TimeoutError for each TLS call; only the handshake's names its line.
    static func sslTimeout(_ timeout: TLSTimeout) -> ShellError {
        switch timeout.operation {
        case .handshake: return ShellError("TimeoutError", "_ssl.c:989: The handshake operation timed out")
        case .write: return ShellError("TimeoutError", "The write operation timed out")
        case .shutdown where timeout.writing: return ShellError("TimeoutError", "The write operation timed out")
        default: return ShellError("TimeoutError", "The read operation timed out")
        }
    }
}

/// Which numbering an error's code belongs to.
public enum ErrorCode: Equatable {
    /// `errno`, for OSError and its subclasses.
    case errno(Int32)
    /// `EAI_*`, for socket.gaierror.
    case resolver(Int32)
    /// `h_errno`, for socket.herror.
    case host(Int32)
}

/// CPython's `errnomap` (Objects/exceptions.c): the OSError subclass for an errno.
func osErrorType(_ code: Int32) -> String {
    switch code {
    case 11, 114, 115: return "BlockingIOError"        // EAGAIN, EALREADY, EINPROGRESS
    case 10: return "ChildProcessError"                 // ECHILD
    case 32, 108: return "BrokenPipeError"              // EPIPE, ESHUTDOWN
    case 103: return "ConnectionAbortedError"           // ECONNABORTED
    case 111: return "ConnectionRefusedError"           // ECONNREFUSED
    case 104: return "ConnectionResetError"             // ECONNRESET
    case 17: return "FileExistsError"                   // EEXIST
    case 2: return "FileNotFoundError"                  // ENOENT
    case 21: return "IsADirectoryError"                 // EISDIR
    case 20: return "NotADirectoryError"                // ENOTDIR
    case 4: return "InterruptedError"                   // EINTR
    case 13, 1: return "PermissionError"                // EACCES, EPERM
    case 3: return "ProcessLookupError"                 // ESRCH
    case 110: return "TimeoutError"                     // ETIMEDOUT
    default: return "OSError"
    }
}

/// A command that produced part of its value before it failed: `recvall`
/// that times out prints what it received, then the error.
public struct PartialResult: Error {
    public let value: Value?
    public let error: Error
}

/// `quit` / `exit [CODE]`.
public struct ExitRequest: Error {
    public let code: Int32
}
