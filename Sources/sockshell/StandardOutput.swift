import Glibc
import ShellCore
import SocketCore

/// Values to stdout, errors to stderr (red on a colour terminal).
///
/// To a terminal each value is written as it is complete. To a pipe or file,
/// values are gathered (a replayed script prints thousands) and written
/// before every error line, before every wait on a socket or on input, and
/// at the end, so `2>&1` still shows values and errors in the order they
/// happened and a reader never waits for output sockshell already has.
final class StandardOutput: Output {
    let colorErrors: Bool
    private let lineBuffered = Files.isTerminal(1)
    private var pending: [UInt8] = []

    init(colorErrors: Bool) {
        self.colorErrors = colorErrors
        pending.reserveCapacity(1 << 16)
    }

    func value(_ text: String) {
        pending.append(contentsOf: text.utf8)
        pending.append(0x0A)
        if lineBuffered || pending.count >= 1 << 16 { flush() }
    }

    func trace(_ text: String) {
        flush()
        writeAll(2, Array((text + "\n").utf8))
    }

    func error(_ text: String) {
        flush()
        let line = colorErrors ? "\u{1B}[31m\(text)\u{1B}[0m\n" : text + "\n"
        writeAll(2, Array(line.utf8))
    }

    /// Writes a line to stdout now, for banners and prompts' neighbours.
    func plain(_ text: String) {
        pending.append(contentsOf: text.utf8)
        flush()
    }

    func flush() {
        guard !pending.isEmpty else { return }
        writeAll(1, pending)
        pending.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stdout gone (EPIPE): nothing sensible left to do with the text
                }
                offset += written
            }
        }
    }
}
