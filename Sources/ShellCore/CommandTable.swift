/// The one table of commands, sorted by name: dispatch, `help` and tab
/// completion all read it, so they cannot drift apart.
public enum CommandTable {
    public static let all: [Command] = (socketCommands + dataCommands + optionCommands + resolverCommands + shellCommands + teachingCommands + jobCommands + serveCommands + packetCommands + tlsCommands)
        .sorted { $0.name < $1.name }

    private static let byName: [String: Command] = {
        var table: [String: Command] = [:]
        for command in all { table[command.name] = command }
        for (alias, name) in aliases { table[alias] = table[name] }
        return table
    }()

    /// Other names a command answers to.
    public static let aliases = ["ls": "sockets", "exit": "quit"]

    private static let table = NameTable(byName)

    public static func lookup(_ name: String) -> Command? { table[name] }

    /// The command a mistyped name most likely meant, if any is close.
    public static func nearest(to name: String) -> String? {
        // As CPython's suggestions: none for a name past 40 characters, and
        // no distance computed where the lengths alone rule a name out (a
        // mistyped megabyte took seconds against every command).
        let length = name.unicodeScalars.count
        guard length <= 40 else { return nil }
        let limit = max(1, name.count / 3)
        // `!` is no name to suggest: CPython suggests identifiers.
        let candidates = byName.keys.filter { $0 != "!" && abs($0.unicodeScalars.count - length) <= limit }
            .map { ($0, editDistance($0, name)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= limit ? best.0 : nil
    }
}

/// Edit distance counting a swap of neighbours as one edit (optimal string
/// alignment), for "Did you mean" suggestions: "hlep" is one edit from "help".
func editDistance(_ a: String, _ b: String) -> Int {
    let left = Array(a.unicodeScalars), right = Array(b.unicodeScalars)
    guard !left.isEmpty, !right.isEmpty else { return max(left.count, right.count) }
    var table = [[Int]](repeating: [Int](repeating: 0, count: right.count + 1), count: left.count + 1)
    for i in 0...left.count { table[i][0] = i }
    for j in 0...right.count { table[0][j] = j }
    for i in 1...left.count {
        for j in 1...right.count {
            let cost = left[i - 1] == right[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, left[i - 1] == right[j - 2], left[i - 2] == right[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[left.count][right.count]
}
