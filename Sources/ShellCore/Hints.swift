/// Hints as you type, as redis-cli shows them: the part of a command's usage
/// not typed yet, which the terminal draws dimmed after the cursor
/// (`connect s ` hints `HOST PORT`, `recv s ` hints `[BUFSIZE] [FLAGS]`).
///
/// It reads only `Command.usage`, so it follows the command table whatever
/// builds that text, and it counts arguments with the lexer that runs the
/// line, so a tuple, a list or a quoted string with spaces is one argument,
/// as it is when the command runs.
public enum Hints {
    /// The hint for a line with the cursor at its end, or nil for none: hints
    /// off, an unknown command, every parameter typed, the cursor inside a
    /// quote, a bracket or a comment, or after a redirect (nothing may follow
    /// its file). A hint for a word still being typed starts with a space,
    /// since it goes after that word.
    public static func hint(forLine line: String, session: Session) -> String? {
        guard session.hints, let segment = lastCommand(of: line),
              let parsed = try? Lexer.parse(segment), parsed.count == 1, let typed = parsed.first,
              typed.redirect == nil,
              let command = CommandTable.lookup(typed.name),
              let rest = untyped(command.usage, after: typed.arguments)
        else { return nil }
        let endsInSpace = segment.last == " " || segment.last == "\t"
        return endsInSpace ? rest : " " + rest
    }

    /// The text of the line's last command (after its last `;`), or nil when
    /// the end of the line is inside a quote or a comment, or the line is a
    /// `!CMD` for /bin/sh, whose words are not sockshell's.
    private static func lastCommand(of line: String) -> Substring? {
        guard line.drop(while: { $0 == " " || $0 == "\t" }).first != "!" else { return nil }
        var start = line.startIndex
        var quote: Character?
        var escaped = false
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case ";": start = line.index(after: index)
            case "#": return nil
            default: break
            }
        }
        return quote == nil ? line[start...] : nil
    }

    /// One part of a usage: a word (`HOST`, `SECONDS|None`) or a bracketed
    /// optional group (`[BUFSIZE]`, `[OPTION VALUE]`), with its words.
    private struct Part {
        let text: Substring
        let words: [Substring]
    }

    private static func parts(of usage: String) -> [Part] {
        var parts: [Part] = []
        var index = usage.startIndex
        while index < usage.endIndex {
            guard usage[index] != " " else { index = usage.index(after: index); continue }
            let start = index
            if usage[index] == "[" {
                var depth = 0
                repeat {
                    if usage[index] == "[" { depth += 1 } else if usage[index] == "]" { depth -= 1 }
                    index = usage.index(after: index)
                } while depth > 0 && index < usage.endIndex
                let text = usage[start..<index]
                let words = text.split(separator: " ").map { $0.drop(while: { $0 == "[" }) }
                    .map { word in word.prefix(while: { $0 != "]" }) }
                parts.append(Part(text: text, words: words))
            } else {
                while index < usage.endIndex && usage[index] != " " { index = usage.index(after: index) }
                parts.append(Part(text: usage[start..<index], words: [usage[start..<index]]))
            }
        }
        return parts
    }

    /// What of `usage` is left once `arguments` are typed, or nil for nothing.
    /// An optional group goes once its first word is typed, and the rest of
    /// its words then show without brackets (they are no longer optional); a
    /// variadic part (`[TEXT...]`) takes every further argument and stays.
    private static func untyped(_ usage: String, after arguments: [Argument]) -> String? {
        let parts = parts(of: usage)
        var part = 0
        var word = 0
        for argument in arguments {
            guard part < parts.count else { return nil }
            if parts[part].words[word].hasSuffix("...") { break }
            var count = 1
            // `(HOST, PORT)` is the address that `HOST PORT` spell as two words.
            if case .tuple = argument.kind, parts[part].words[word] == "HOST",
               part + 1 < parts.count, parts[part + 1].words.first == "PORT" {
                count = 2
            }
            for _ in 0..<count where part < parts.count {
                word += 1
                if word == parts[part].words.count { part += 1; word = 0 }
            }
        }
        guard part < parts.count else { return nil }
        let first = word == 0 ? String(parts[part].text) : parts[part].words[word...].joined(separator: " ")
        return ([first] + parts[(part + 1)...].map { String($0.text) }).joined(separator: " ")
    }
}
