import Glibc

/// A file that several sockshells change at once (the prompt's history),
/// each change made while holding flock(2)'s exclusive lock on it.
public struct LockedFile {
    public let fd: Int32
    public let path: String

    /// Opens PATH to read and append (created with `mode`) and waits for the
    /// lock. A file replaced by another process while this one waited is
    /// opened again, so nothing is appended to a file that is gone. The
    /// corresponding C functions are `open` and `flock`.
    public static func lock(_ path: String, mode: mode_t) throws -> LockedFile {
        while true {
            let fd = try valueOrErrno { open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode) }
            do {
                _ = try valueOrErrno { flock(fd, LOCK_EX) }
            } catch {
                _ = Glibc.close(fd)
                throw error
            }
            var opened = stat(), current = stat()
            if fstat(fd, &opened) == 0, stat(path, &current) == 0,
               opened.st_dev == current.st_dev, opened.st_ino == current.st_ino {
                return LockedFile(fd: fd, path: path)
            }
            _ = Glibc.close(fd)
        }
    }

    /// The whole file. The corresponding C function is `pread`.
    public func contents() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let offset = off_t(bytes.count)
            let count = try chunk.withUnsafeMutableBytes { buffer in
                try valueOrErrno { pread(fd, buffer.baseAddress, buffer.count, offset) }
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Appends at the end, wherever another process left it.
    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Files.writeAll(fd, $0) }
    }

    /// Replaces the file by one holding `bytes`: written beside it, then
    /// renamed over it, so a crash leaves the old file or the new, never half
    /// of one. The corresponding C function is `rename`.
    public func replace(with bytes: [UInt8], mode: mode_t) throws {
        let temporary = path + ".\(getpid()).new"
        let out = try Files.openForWriting(temporary, append: false, mode: mode)
        do {
            defer { Files.close(out) }
            try bytes.withUnsafeBytes { try Files.writeAll(out, $0) }
            _ = try valueOrErrno { rename(temporary, path) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Releases the lock with the descriptor.
    public func close() {
        _ = Glibc.close(fd)
    }
}
