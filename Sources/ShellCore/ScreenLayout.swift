/// Laying text out for a terminal of a given width: prose word-wrapped, the
/// `sockets` table narrowed. Only the screen gets these; a file, a pipe, a
/// recording or `--check` gets the text as it is, so transcripts do not
/// depend on the width of the terminal they were made at.

/// The value `text`, shown word-wrapped on a terminal.
func wrapped(_ text: String, _ call: inout Call) -> Value {
    call.fitted = { wordWrap(text, width: $0) }
    return .verbatim(text)
}

/// Breaks every line longer than `width` at spaces. Continuation rows hang
/// under the text they continue: under an item after `- `, under the second
/// column of a `name   summary` row, else two spaces in from the line's own
/// indentation. A word longer than a row is cut.
func wordWrap(_ text: String, width: Int) -> String {
    guard width >= 20 else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { wrapLine(Array($0), width: width) }
        .joined(separator: "\n")
}

private func wrapLine(_ line: [Character], width: Int) -> String {
    guard line.count > width else { return String(line) }
    let indent = line.prefix(while: { $0 == " " }).count
    var hang = indent + 2
    if line[indent...].starts(with: ["-", " "]) {
        hang = indent + 2
    } else if let wordEnd = line[indent...].firstIndex(of: " "),
              let column = line[wordEnd...].firstIndex(where: { $0 != " " }),
              column - wordEnd >= 2, column <= width / 2 {
        hang = column
    }
    if hang >= width - 10 { hang = min(indent, 2) }
    var rows: [String] = []
    var row = line
    while row.count > width {
        // The last space that ends a row within the width, past the hang.
        let breakAt = (hang + 1...width).reversed().first(where: { row[$0] == " " })
        let end = breakAt ?? width
        rows.append(String(row[..<end]).trimmingTrailingSpaces)
        let rest = row[(breakAt.map { $0 + 1 } ?? end)...].drop(while: { $0 == " " })
        row = Array(repeating: " ", count: hang) + rest
    }
    rows.append(String(row))
    return rows.joined(separator: "\n")
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}

/// The `sockets` table for a terminal `width` columns wide. First it is made
/// shorter without losing anything (`AF_INET` as `INET`, `SOCK_STREAM` as
/// `STREAM`, `('127.0.0.1', 5000)` as `127.0.0.1:5000`, as `ss` writes
/// them); then, while it is still too wide, whole columns go in a fixed
/// order, the least needed first (as `ps` and `ss` do), and a last line says
/// which. Name, state and the addresses always stay.
func fitSocketsTable(_ rows: [[String]], width: Int) -> String {
    let full = formatTable(rows)
    guard tableWidth(full) > width, let header = rows.first else { return full }
    var shortened = rows
    for (index, column) in header.enumerated() {
        for row in 1..<rows.count {
            shortened[row][index] = shortCell(rows[row][index], column: column)
        }
    }
    var hidden: [String] = []
    var table = formatTable(shortened)
    for column in droppedFirst where tableWidth(table) > width {
        guard let index = shortened[0].firstIndex(of: column) else { continue }
        for row in shortened.indices { shortened[row].remove(at: index) }
        hidden.append(column)
        table = formatTable(shortened)
    }
    if hidden.isEmpty { return table }
    return table + "\n" + wordWrap("(not shown, to fit \(width) columns: \(hidden.joined(separator: ", ")))", width: width)
}

/// The order columns leave a narrow table in.
let droppedFirst = ["timeout", "received", "sent", "options", "send-q", "recv-q", "fd", "type", "family"]

private func tableWidth(_ table: String) -> Int {
    table.split(separator: "\n").map(\.count).max() ?? 0
}

private func shortCell(_ cell: String, column: String) -> String {
    switch column {
    case "family" where cell.hasPrefix("AF_"): return String(cell.dropFirst(3))
    case "type" where cell.hasPrefix("SOCK_"): return String(cell.dropFirst(5))
    case "local", "remote": return shortAddress(cell)
    default: return cell
    }
}

/// `('127.0.0.1', 5000)` as `127.0.0.1:5000`, `('::1', 80, 0, 0)` as
/// `[::1]:80` (with `%SCOPE` when it has one); anything else as it is.
private func shortAddress(_ cell: String) -> String {
    guard cell.hasPrefix("('"), cell.hasSuffix(")"), let quote = cell.dropFirst(2).firstIndex(of: "'") else { return cell }
    let host = cell[cell.index(cell.startIndex, offsetBy: 2)..<quote]
    let numbers = cell[cell.index(after: quote)...].dropLast().split(separator: ",")
        .map { $0.trimmingCharacters(in: " ") }
    guard let port = numbers.first, !port.isEmpty else { return cell }
    guard host.contains(":") else { return "\(host):\(port)" }
    let scope = numbers.count == 3 && numbers[2] != "0" && !host.contains("%") ? "%" + numbers[2] : ""
    return "[\(host)\(scope)]:\(port)"
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
