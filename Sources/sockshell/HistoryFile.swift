import CReadline
import Glibc
import SocketCore

/// The persistent history (SPEC section 6): `$XDG_STATE_HOME/sockshell/history`,
/// else `~/.local/state/sockshell/history`; directory 0700, file 0600, the
/// last 1000 lines, no blank lines and no line equal to the one before.
///
/// Several sessions at once share it as bash's `histappend` does: each entry
/// is appended the moment it is typed, under the file's lock, so no session
/// writes back an old copy over another's lines; the file is cut to the last
/// 1000 under the same lock.
struct HistoryFile {
    static let limit = 1000
    let path: String

    static func standard() -> HistoryFile? {
        if let state = Files.environment("XDG_STATE_HOME"), state.hasPrefix("/") {
            return HistoryFile(path: state + "/sockshell/history")
        }
        guard let home = Files.environment("HOME"), !home.isEmpty else { return nil }
        return HistoryFile(path: home + "/.local/state/sockshell/history")
    }

    func load() {
        using_history()
        stifle_history(Int32(HistoryFile.limit))
        _ = read_history(path)
    }

    /// Adds a typed line unless it is blank or repeats the previous one.
    func add(_ line: String) {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return }
        if let last = HistoryFile.entries().last, last == line { return }
        add_history(line)
        append(line)
    }

    /// Appends one entry now, so neither a crash nor another session loses it.
    private func append(_ line: String) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        Files.makeDirectories(directory, mode: 0o700)
        guard let file = try? LockedFile.lock(path, mode: 0o600) else { return }
        defer { file.close() }
        Files.setMode(path, 0o600)
        guard var bytes = try? file.contents() else { return }
        var entry = Array((line + "\n").utf8)
        // A file edited by hand may lack its last newline.
        if let last = bytes.last, last != 0x0A { entry.insert(0x0A, at: 0) }
        guard (try? file.append(entry)) != nil else { return }
        bytes += entry
        let newlines = bytes.indices.filter { bytes[$0] == 0x0A }
        guard newlines.count > HistoryFile.limit else { return }
        let firstKept = newlines[newlines.count - HistoryFile.limit - 1] + 1
        try? file.replace(with: Array(bytes[firstKept...]), mode: 0o600)
    }

    /// Every history line, oldest first.
    static func entries() -> [String] {
        var lines: [String] = []
        var offset = history_base
        while let entry = history_get(offset) {
            lines.append(String(cString: entry.pointee.line))
            offset += 1
        }
        return lines
    }
}
