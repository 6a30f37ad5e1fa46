import CReadline
import Glibc
import SocketCore

/// The persistent history (SPEC section 6): `$XDG_STATE_HOME/sockshell/history`,
/// else `~/.local/state/sockshell/history`; directory 0700, file 0600, the
/// last 1000 lines, no blank lines and no line equal to the one before.
struct HistoryFile {
    static let limit: Int32 = 1000
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
        stifle_history(HistoryFile.limit)
        _ = read_history(path)
    }

    /// Adds a typed line unless it is blank or repeats the previous one.
    func add(_ line: String) {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return }
        if let last = HistoryFile.entries().last, last == line { return }
        add_history(line)
        save()
    }

    /// Writes the whole history now, so a crash loses nothing typed.
    func save() {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        Files.makeDirectories(directory, mode: 0o700)
        // Create the file private before readline writes into it.
        if let fd = try? Files.openForWriting(path, append: true, mode: 0o600) { Files.close(fd) }
        Files.setMode(path, 0o600)
        _ = write_history(path)
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
