/// The one table of commands, sorted by name: dispatch, `help` and tab
/// completion all read it, so they cannot drift apart.
public enum CommandTable {
    public static let all: [Command] = (socketCommands + dataCommands + optionCommands + resolverCommands + shellCommands + teachingCommands)
        .sorted { $0.name < $1.name }

    private static let byName: [String: Command] = {
        var table: [String: Command] = [:]
        for command in all { table[command.name] = command }
        for (alias, name) in aliases { table[alias] = table[name] }
        return table
    }()

    /// Other names a command answers to.
    public static let aliases = ["ls": "sockets", "exit": "quit"]

    public static func lookup(_ name: String) -> Command? { byName[name] }

    /// The command a mistyped name most likely meant, if any is close.
    public static func nearest(to name: String) -> String? {
        let candidates = byName.keys.map { ($0, editDistance($0, name)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(1, name.count / 3) ? best.0 : nil
    }
}

/// Levenshtein distance, for "Did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let left = Array(a.unicodeScalars), right = Array(b.unicodeScalars)
    var previous = Array(0...right.count)
    for (i, x) in left.enumerated() {
        var current = [i + 1]
        for (j, y) in right.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = current
    }
    return previous[right.count]
}
