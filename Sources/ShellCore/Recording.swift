import SocketCore

/// `record FILE`: the session written as a transcript that `--check` accepts.
///
/// Ports the kernel chose (the ephemeral range) become `...`, so the
/// transcript passes again on another run; blank output lines become
/// `<BLANKLINE>`.
final class Recording {
    let path: String
    private let fd: Int32
    /// The first write that failed (ENOSPC on a full disk); the runner
    /// reports it once and stops the recording.
    private var writeFailure: Errno?

    /// Opens FILE and writes the header; a file that cannot take it (a full
    /// disk, /dev/full) is an error now, as Python's `write` raises.
    init(path: String) throws {
        do { fd = Files.moveHigh(try Files.openForWriting(path, append: false)) } catch let error as Errno {
            throw fileError(error, path)
        }
        self.path = path
        write("Recorded by sockshell; check it with: sockshell --check \(path)\n\n")
        if let failure = takeWriteFailure() { throw ShellError.os(failure) }
    }

    deinit { Files.close(fd) }

    /// The write error not yet reported, if any.
    func takeWriteFailure() -> Errno? {
        defer { writeFailure = nil }
        return writeFailure
    }

    func command(_ source: String) {
        // A shell command's output went to the terminal, not here, and a
        // replay must not run programs: it is kept as a comment.
        if source.hasPrefix("!") {
            write("sock> # not replayed, a shell command: \(source)\n")
            return
        }
        write("sock> \(source)\n")
    }

    func output(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // A received line must not read back as a command (`sock> ...`).
            write(Transcript.recordedOutputLine(Recording.maskingEphemeralPorts(String(line))) + "\n")
        }
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        do { try bytes.withUnsafeBytes { try Files.writeAll(fd, $0) } } catch let error as Errno {
            if writeFailure == nil { writeFailure = error }
        } catch {}
    }

    /// Replaces the port of every `('host', PORT` whose PORT is in the
    /// kernel's ephemeral range (32768 and up on Linux) with `...`.
    static func maskingEphemeralPorts(_ line: String) -> String {
        var result = ""
        var rest = Substring(line)
        while let range = rest.range(ofSubstring: "', ") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            if let port = Int(digits), port >= 32768, port <= 65535 {
                result += "..."
                rest = rest.dropFirst(digits.count)
            }
        }
        return result + rest
    }
}
