import Glibc

/// Plain file access for `@PATH`, `> FILE`, `source` and `sendfile`: the
/// shell's only other contact with the kernel, kept beside the sockets.
public enum Files {
    /// Opens a file for reading. The corresponding C function is `open`.
    public static func openForReading(_ path: String) throws -> Int32 {
        try valueOrErrno { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Opens (creating, truncating or appending) a file for writing.
    public static func openForWriting(_ path: String, append: Bool, mode: mode_t = 0o644) throws -> Int32 {
        try valueOrErrno { open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), mode) }
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

    /// Reads a whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        let expected = try size(of: fd)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected)
        var chunk = [UInt8](repeating: 0, count: max(64 * 1024, min(expected + 1, 1 << 24)))
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in
                try valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes every byte, retrying short writes. The corresponding C function is `write`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try valueOrErrno { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
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
