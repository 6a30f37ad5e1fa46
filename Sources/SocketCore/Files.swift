import Glibc

/// Plain file access for `@PATH`, `> FILE`, `source` and `sendfile`: the
/// shell's only other contact with the kernel, kept beside the sockets.
public enum Files {
    /// The most bytes of one file held in memory at once (`send NAME @PATH`,
    /// a delimiter, a transcript): past it, `read` is a MemoryError instead
    /// of growing without end on /dev/zero or a sparse terabyte.
    public static let largestRead = 64 << 20

    /// A file was longer than the limit `read(_:upTo:)` was given.
    public struct TooLong: Error, Equatable {
        public let limit: Int
    }

    /// A call on a file that may wait (opening a FIFO nobody has open,
    /// reading a pipe, writing a full one). SIGINT's handler is installed
    /// without SA_RESTART, so Ctrl-C ends the wait with EINTR, and a pending
    /// Ctrl-C ends the call as `Interrupted`, as KeyboardInterrupt ends it
    /// in Python; any other signal's EINTR is retried.
    static func waiting<T: FixedWidthInteger>(_ call: () -> T) throws -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            let error = Errno.current
            if error == .interrupted {
                if Interruption.isPending { throw Interrupted() }
                continue
            }
            throw error
        }
    }

    /// Runs `body` with `directory` as the working directory, then returns to
    /// the one before. The corresponding C functions are `chdir` and `fchdir`.
    public static func inDirectory<Result>(_ directory: String, _ body: () throws -> Result) throws -> Result {
        // Kept above the numbers sockets get, so they are Python's.
        let here = moveHigh(try valueOrErrno { open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        defer {
            _ = fchdir(here)
            _ = Glibc.close(here)
        }
        _ = try valueOrErrno { chdir(directory) }
        return try body()
    }

    /// Opens a file for reading. The corresponding C function is `open`.
    public static func openForReading(_ path: String) throws -> Int32 {
        try waiting { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Opens (creating, truncating or appending) a file for writing.
    public static func openForWriting(_ path: String, append: Bool, mode: mode_t = 0o644) throws -> Int32 {
        try waiting { open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), mode) }
    }

    /// Reads up to `count` bytes. The corresponding C function is `read`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try waiting { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Moves a descriptor that stays open a long time (a recording, a pipe)
    /// to 20 or above, so the sockets a session opens get the numbers they
    /// would get without it. The corresponding C function is `fcntl`.
    public static func moveHigh(_ fd: Int32) -> Int32 {
        let moved = Sys.duplicate(fd, atLeast: 20)
        guard moved >= 0 else { return fd }
        _ = Glibc.close(fd)
        return moved
    }

    /// The corresponding C function is `close`.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The size of an open file. The corresponding C function is `fstat`.
    public static func size(of fd: Int32) throws -> Int {
        var status = stat()
        _ = try valueOrErrno { fstat(fd, &status) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw Errno(rawValue: EISDIR) }
        return Int(status.st_size)
    }

    /// Reads a whole file of at most `limit` bytes; a longer one (or one
    /// that never ends) throws `TooLong` after reading `limit + 1` bytes.
    public static func read(_ path: String, upTo limit: Int = largestRead) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        return try read(fileDescriptor: fd, upTo: limit)
    }

    /// Reads an open file to its end, as `read(_:upTo:)` reads a path.
    public static func read(fileDescriptor fd: Int32, upTo limit: Int = largestRead) throws -> [UInt8] {
        let expected = try size(of: fd)
        if expected > limit { throw TooLong(limit: limit) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected)
        var chunk = [UInt8](repeating: 0, count: max(64 * 1024, min(expected + 1, 1 << 24)))
        while true {
            let count = try chunk.withUnsafeMutableBytes { try read(fd, into: $0) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw TooLong(limit: limit) }
        }
        return bytes
    }

    /// Writes `bytes` as the whole of PATH, with `mode` even where the file
    /// was there before (fchmod), as a private key must be.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws {
        let fd = try openForWriting(path, append: false, mode: mode)
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw Errno.current }
        try bytes.withUnsafeBytes { try writeAll(fd, $0) }
    }

    /// Writes every byte, retrying short writes. The corresponding C function is `write`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        try writeAll(fd, bytes, written: &written)
    }

    /// Writes every byte; `written` says how many went when it throws (a
    /// full disk, Ctrl-C on a FIFO nobody reads), so the caller can keep the rest.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, written: inout Int) throws {
        written = 0
        while written < bytes.count {
            // A signal during a write that had begun gives a short count, not
            // EINTR: a Ctrl-C then is seen here, before the next write waits.
            if written > 0 && Interruption.isPending { throw Interrupted() }
            written += try waiting { Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written) }
        }
    }

    /// Creates a directory and its parents with `mode`, ignoring those that exist.
    public static func makeDirectories(_ path: String, mode: mode_t) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            _ = mkdir(prefix, mode)
        }
    }

    /// Sets a file's permission bits. The corresponding C function is `chmod`.
    public static func setMode(_ path: String, _ mode: mode_t) {
        _ = chmod(path, mode)
    }

    /// Whether a descriptor is a terminal. The corresponding C function is `isatty`.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// The value of an environment variable. The corresponding C function is `getenv`.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
