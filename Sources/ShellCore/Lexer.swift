/// One argument as written, before the command that receives it gives it a meaning.
public struct Argument: Equatable {
    public indirect enum Kind: Equatable {
        case word(String)
        case string(String)
        case bytes([UInt8])
        case integer(Int)
        case float(Double)
        case none
        case bool(Bool)
        case tuple([Argument])
        case list([Argument])
        /// `@PATH`: the bytes of a file, where data is expected.
        case file(String)
        /// `$NAME.port`, `$NAME.host`, `$NAME.fd`: read when the command runs.
        case reference(name: String, field: String)
    }

    public var kind: Kind
    /// 1-based column of the argument's first character in its line.
    public var column: Int
    /// The argument exactly as typed, for messages.
    public var text: String
}

/// `> FILE` or `>> FILE` after a command.
public struct Redirect: Equatable {
    public var path: String
    public var append: Bool
}

/// A command as parsed from a line: `name arguments... [> FILE]`.
public struct ParsedCommand: Equatable {
    public var name: String
    public var arguments: [Argument]
    public var redirect: Redirect?
    /// The command's own text, without comment or separator, for `--echo`.
    public var source: String
}

/// The lexical syntax of SPEC section 2: one line in, its commands out, or a
/// `SyntaxError` that names the column where the line went wrong.
public struct Lexer {
    private let characters: [Unicode.Scalar]
    private var position = 0

    private init(_ line: String) {
        characters = Array(line.unicodeScalars)
    }

    /// Splits a line into its commands. Comments and blank commands vanish.
    public static func parse(_ line: String) throws -> [ParsedCommand] {
        var lexer = Lexer(line)
        return try lexer.commands()
    }

    private var current: Unicode.Scalar? { position < characters.count ? characters[position] : nil }
    private var column: Int { position + 1 }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < characters.count ? characters[position + offset] : nil
    }

    private mutating func skipSpace() {
        while let character = current, character == " " || character == "\t" || character == "\r" || character == "\n" {
            position += 1
        }
    }

    private func text(from start: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: characters[start..<position])
        return String(result)
    }

    private mutating func commands() throws -> [ParsedCommand] {
        var result: [ParsedCommand] = []
        var arguments: [Argument] = []
        var redirect: Redirect?
        var start = 0
        var end = 0

        func finish() throws {
            defer { arguments = []; redirect = nil }
            guard let first = arguments.first else {
                if redirect != nil { throw ShellError.syntax("redirection without a command", column: start + 1) }
                return
            }
            guard case .word(let name) = first.kind else {
                throw ShellError.syntax("expected a command name, not \(first.text)", column: first.column)
            }
            var source = String.UnicodeScalarView()
            source.append(contentsOf: characters[start..<end])
            result.append(ParsedCommand(name: name, arguments: Array(arguments.dropFirst()),
                                        redirect: redirect, source: String(source)))
        }

        while true {
            skipSpace()
            guard let character = current, character != "#" else { break }
            if character == ";" {
                try finish()
                position += 1
                continue
            }
            if arguments.isEmpty && redirect == nil { start = position }
            if redirect != nil {
                throw ShellError.syntax("nothing may follow the redirection's file", column: column)
            }
            if character == ">" {
                let redirectColumn = column
                position += 1
                let append = current == ">"
                if append { position += 1 }
                skipSpace()
                guard let target = current, target != ";", target != "#" else {
                    throw ShellError.syntax("expected a file name after '>'", column: redirectColumn)
                }
                let path = try argument(topLevel: true)
                switch path.kind {
                case .word(let name), .string(let name): redirect = Redirect(path: name, append: append)
                default: throw ShellError.syntax("expected a file name after '>'", column: path.column)
                }
                end = position
                continue
            }
            arguments.append(try argument(topLevel: true))
            end = position
        }
        try finish()
        return result
    }

    private static let wordStops: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n", ";", "#", "(", ")", "[", "]", ",", "'", "\"", ">"]

    private mutating func argument(topLevel: Bool) throws -> Argument {
        let start = position
        guard let character = current else { throw ShellError.syntax("unexpected end of line", column: column) }
        switch character {
        case "(", "[":
            let closer: Unicode.Scalar = character == "(" ? ")" : "]"
            position += 1
            var items: [Argument] = []
            while true {
                skipSpace()
                guard let next = current, next != "#", next != ";" else {
                    throw ShellError.syntax("'\(character)' was never closed", column: start + 1)
                }
                if next == closer { position += 1; break }
                if next == "," { throw ShellError.syntax("invalid syntax: unexpected ','", column: column) }
                items.append(try argument(topLevel: false))
                skipSpace()
                if current == "," { position += 1 }
            }
            let kind: Argument.Kind = character == "(" ? .tuple(items) : .list(items)
            return Argument(kind: kind, column: start + 1, text: text(from: start))
        case ")", "]":
            throw ShellError.syntax("unmatched '\(character)'", column: column)
        case ",":
            throw ShellError.syntax("invalid syntax: unexpected ','", column: column)
        case "'", "\"":
            let value = try quoted(bytes: false)
            return Argument(kind: .string(value.string), column: start + 1, text: text(from: start))
        case "b" where peek(1) == "'" || peek(1) == "\"", "B" where peek(1) == "'" || peek(1) == "\"":
            position += 1
            let value = try quoted(bytes: true)
            return Argument(kind: .bytes(value.bytes), column: start + 1, text: text(from: start))
        default:
            while let next = current, !Lexer.wordStops.contains(next) { position += 1 }
            let word = text(from: start)
            return Argument(kind: try classify(word, column: start + 1), column: start + 1, text: word)
        }
    }

    private func classify(_ word: String, column: Int) throws -> Argument.Kind {
        switch word {
        case "None": return .none
        case "True": return .bool(true)
        case "False": return .bool(false)
        default: break
        }
        if word.hasPrefix("@") {
            guard word.count > 1 else { throw ShellError.syntax("expected a file name after '@'", column: column) }
            return .file(String(word.dropFirst()))
        }
        if word.hasPrefix("$") {
            let parts = word.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, isIdentifier(parts[0]), ["port", "host", "fd"].contains(parts[1]) else {
                throw ShellError.syntax("expected $NAME.port, $NAME.host or $NAME.fd, not \(word)", column: column)
            }
            return .reference(name: String(parts[0]), field: String(parts[1]))
        }
        if let number = parseInteger(word) { return .integer(number) }
        if let number = parseFloat(word) { return .float(number) }
        return .word(word)
    }

    private struct Quoted {
        var string = ""
        var bytes: [UInt8] = []
    }

    /// Reads a quoted literal with Python's escapes. Bytes literals take ASCII only.
    private mutating func quoted(bytes isBytes: Bool) throws -> Quoted {
        let start = isBytes ? position - 1 : position
        let quote = characters[position]
        position += 1
        var scalars: [UInt32] = []
        while true {
            guard let character = current else {
                throw ShellError.syntax("unterminated \(isBytes ? "bytes" : "string") literal", column: start + 1)
            }
            position += 1
            if character == quote { break }
            if character != "\\" {
                if isBytes && character.value > 0x7F {
                    throw ShellError.syntax("bytes can only contain ASCII literal characters", column: start + 1)
                }
                scalars.append(character.value)
                continue
            }
            guard let escape = current else {
                throw ShellError.syntax("unterminated \(isBytes ? "bytes" : "string") literal", column: start + 1)
            }
            let escapeColumn = position
            position += 1
            switch escape {
            case "n": scalars.append(0x0A)
            case "r": scalars.append(0x0D)
            case "t": scalars.append(0x09)
            case "a": scalars.append(0x07)
            case "b": scalars.append(0x08)
            case "f": scalars.append(0x0C)
            case "v": scalars.append(0x0B)
            case "\\", "'", "\"": scalars.append(escape.value)
            case "0"..."7":
                var value = escape.value - 0x30
                var digits = 1
                while digits < 3, let next = current, ("0"..."7").contains(next) {
                    value = value * 8 + (next.value - 0x30)
                    position += 1
                    digits += 1
                }
                scalars.append(value & 0xFF)
            case "x", "u", "U":
                let width = escape == "x" ? 2 : (escape == "u" ? 4 : 8)
                if isBytes && escape != "x" { scalars.append(0x5C); scalars.append(escape.value); continue }
                var value: UInt32 = 0
                for _ in 0..<width {
                    guard let digit = current, let number = hexValue(digit) else {
                        throw ShellError.syntax("truncated \\\(escape)\(String(repeating: "X", count: width)) escape", column: escapeColumn)
                    }
                    value = value * 16 + number
                    position += 1
                }
                guard Unicode.Scalar(value) != nil else {
                    throw ShellError.syntax("illegal Unicode character", column: escapeColumn)
                }
                scalars.append(value)
            default:
                // Python keeps an unknown escape as written, backslash included.
                scalars.append(0x5C)
                if isBytes && escape.value > 0x7F {
                    throw ShellError.syntax("bytes can only contain ASCII literal characters", column: start + 1)
                }
                scalars.append(escape.value)
            }
        }
        var result = Quoted()
        if isBytes {
            result.bytes = scalars.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            var view = String.UnicodeScalarView()
            for value in scalars { view.append(Unicode.Scalar(value) ?? "\u{FFFD}") }
            result.string = String(view)
        }
        return result
    }
}

func hexValue(_ character: Unicode.Scalar) -> UInt32? {
    switch character {
    case "0"..."9": return character.value - 0x30
    case "a"..."f": return character.value - 0x61 + 10
    case "A"..."F": return character.value - 0x41 + 10
    default: return nil
    }
}

func isIdentifier<S: StringProtocol>(_ text: S) -> Bool {
    guard let first = text.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
        return false
    }
    return text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
}

/// Python integer literals: decimal, `0x`, `0o`, `0b`, optional sign, `_` between digits.
func parseInteger(_ word: String) -> Int? {
    var text = Substring(word)
    var negative = false
    if let sign = text.first, sign == "-" || sign == "+" {
        negative = sign == "-"
        text = text.dropFirst()
    }
    var radix = 10
    let lower = text.lowercased()
    if lower.hasPrefix("0x") { radix = 16 } else if lower.hasPrefix("0o") { radix = 8 } else if lower.hasPrefix("0b") { radix = 2 }
    if radix != 10 { text = text.dropFirst(2) }
    guard !text.isEmpty, text.first != "_", text.last != "_", !text.contains("__") else { return nil }
    let digits = text.filter { $0 != "_" }
    guard let magnitude = Int(digits, radix: radix) else { return nil }
    return negative ? -magnitude : magnitude
}

/// Python float literals such as `2.5`, `.5`, `1e-3`.
func parseFloat(_ word: String) -> Double? {
    guard let first = word.unicodeScalars.first,
          ("0"..."9").contains(first) || first == "." || first == "-" || first == "+",
          word.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }),
          word.unicodeScalars.contains(where: { ("0"..."9").contains($0) })
    else { return nil }
    return Double(word)
}
