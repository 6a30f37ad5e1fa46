import Glibc
import ShellCore

/// Values to stdout, errors to stderr (red on a colour terminal).
///
/// stdout is written as each value is complete, and always before an error
/// line, so that `2>&1` shows values and errors in the order they happened.
final class StandardOutput: Output {
    let colorErrors: Bool
    private var pending: [UInt8] = []

    init(colorErrors: Bool) {
        self.colorErrors = colorErrors
        pending.reserveCapacity(1 << 16)
    }

    func value(_ text: String) {
        pending.append(contentsOf: text.utf8)
        pending.append(0x0A)
        flush()
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
