/// The Python front end's grammar (SPEC section 8): which lines are Python,
/// and the small subset of Python statements sockshell runs. What a
/// statement does is `PythonRunner.swift`'s: every call in it runs as the
/// command it stands for, through the same declaration.

/// A Python expression, as far as sockshell reads one.
indirect enum PythonExpression {
    /// A str, bytes, int, float, None, True or False literal, read by the
    /// command language's own lexer.
    case literal(Argument)
    case name(String)
    case attribute(PythonExpression, String)
    case call(PythonExpression, [PythonExpression])
    case tuple([PythonExpression])
    case list([PythonExpression])
    case index(PythonExpression, PythonExpression)
}

enum PythonStatement {
    case importModules([String])
    /// `from MODULE import *`.
    case importAll(String)
    /// `NAME = EXPR`, or `A, B = EXPR` with two or more targets.
    case assign([String], PythonExpression)
    case expression(PythonExpression)
    /// `print(...)` or Python 2's `print x, y`.
    case print([PythonExpression])
}

enum PythonSyntax {
    /// Statements that open a block: sockshell runs one call a line.
    static let blockKeywords: Set<String> = ["while", "for", "if", "elif", "else", "try", "except", "finally",
                                             "def", "class", "with", "async", "lambda"]

    /// The line without a `>>> ` or `... ` pasted from a Python session.
    static func unprompted(_ line: String) -> String {
        var text = Substring(line)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        for prompt in [">>> ", "... "] where text.hasPrefix(prompt) { return String(text.dropFirst(prompt.count)) }
        if text == ">>>" || text == "..." { return "" }
        return String(text)
    }

    /// Whether a line is Python rather than a command. A line whose first
    /// word is a command stays a command (also as `NAME = COMMAND ...`),
    /// unless the word is directly followed by `(` or `.`, as a call or an
    /// attribute is; a line of no Python form keeps its command reading.
    static func isPython(_ line: String, session: Session) -> Bool {
        let text = Array(unprompted(line).utf8)
        var index = 0
        func identifier() -> String? {
            let start = index
            guard index < text.count, isIdentifierStart(text[index]) else { return nil }
            while index < text.count, isIdentifierStart(text[index]) || (0x30...0x39).contains(text[index]) { index += 1 }
            return String(decoding: text[start..<index], as: UTF8.self)
        }
        func skipSpace() { while index < text.count, text[index] == 0x20 || text[index] == 0x09 { index += 1 } }
        var current: UInt8? { index < text.count ? text[index] : nil }
        guard let word = identifier() else { return false }
        let direct = current
        if direct == UInt8(ascii: "(") || direct == UInt8(ascii: ".") || direct == UInt8(ascii: "[") { return true }
        if CommandTable.lookup(word) != nil && word != "print" {
            return false
        }
        if word == "import" || word == "from" || word == "print" || blockKeywords.contains(word) {
            return direct == nil || direct == 0x20 || direct == 0x09 || direct == UInt8(ascii: ":")
        }
        skipSpace()
        guard let next = current else {
            // A name alone: a kept value, a socket, a module, or a name `from socket import *` gave.
            return session.variables[word] != nil || session.contains(word) || session.pythonModules.contains(word)
                || !session.pythonStarImports.isEmpty
        }
        if next == UInt8(ascii: ",") { return true }
        guard next == UInt8(ascii: "="), index + 1 < text.count, text[index + 1] != UInt8(ascii: "=") else { return false }
        index += 1
        skipSpace()
        guard let lead = current else { return false }
        guard let value = identifier() else {
            // A literal or a bracket; `$NAME` and `@FILE` are the command language's.
            return lead != UInt8(ascii: "$") && lead != UInt8(ascii: "@") && lead != UInt8(ascii: "!")
        }
        if (value == "b" || value == "B"), current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") { return true }
        if current == UInt8(ascii: "(") || current == UInt8(ascii: ".") || current == UInt8(ascii: "[") { return true }
        skipSpace()
        return current == nil && CommandTable.lookup(value) == nil
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Parses a line `isPython` accepted.
    static func statement(_ line: String) throws -> PythonStatement {
        let text = unprompted(line)
        var parser = PythonParser(tokens: try PythonTokenizer.tokens(text))
        return try parser.statement()
    }
}

enum PythonToken: Equatable {
    case name(String)
    /// A str, bytes or number literal, as its text.
    case literal(String)
    case punctuation(String)
}

struct PythonTokenizer {
    static func tokens(_ text: String) throws -> [(token: PythonToken, column: Int)] {
        let characters = Array(text.unicodeScalars)
        var result: [(PythonToken, Int)] = []
        var index = 0
        func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        while index < characters.count {
            let c = characters[index]
            let column = index + 1
            if c == " " || c == "\t" || c == "\r" || c == "\n" { index += 1; continue }
            if c == "#" { break }
            let isBytesPrefix = (c == "b" || c == "B") && index + 1 < characters.count
                && (characters[index + 1] == "'" || characters[index + 1] == "\"")
            if c == "'" || c == "\"" || isBytesPrefix {
                let start = index
                if isBytesPrefix { index += 1 }
                let quote = characters[index]
                index += 1
                while index < characters.count, characters[index] != quote {
                    if characters[index] == "\\" { index += 1 }
                    index += 1
                }
                guard index < characters.count else {
                    throw ShellError.syntax("unterminated \(isBytesPrefix ? "bytes" : "string") literal", column: column)
                }
                index += 1
                var literal = String.UnicodeScalarView()
                literal.append(contentsOf: characters[start..<index])
                result.append((.literal(String(literal)), column))
                continue
            }
            if ("0"..."9").contains(c) || (c == "." && index + 1 < characters.count && ("0"..."9").contains(characters[index + 1])) {
                let start = index
                while index < characters.count {
                    let d = characters[index]
                    if isNameCharacter(d) || d == "." { index += 1; continue }
                    if (d == "-" || d == "+"), index > start, characters[index - 1] == "e" || characters[index - 1] == "E",
                       !String(String.UnicodeScalarView(characters[start..<index])).lowercased().hasPrefix("0x") {
                        index += 1
                        continue
                    }
                    break
                }
                result.append((.literal(String(String.UnicodeScalarView(characters[start..<index]))), column))
                continue
            }
            if isNameCharacter(c) {
                let start = index
                while index < characters.count, isNameCharacter(characters[index]) { index += 1 }
                result.append((.name(String(String.UnicodeScalarView(characters[start..<index]))), column))
                continue
            }
            let two = index + 1 < characters.count ? String(String.UnicodeScalarView([c, characters[index + 1]])) : ""
            if ["==", "!=", "<=", ">=", "**", "//", "->", "+=", "-="].contains(two) {
                result.append((.punctuation(two), column))
                index += 2
                continue
            }
            result.append((.punctuation(String(c)), column))
            index += 1
        }
        return result
    }
}

struct PythonParser {
    let tokens: [(token: PythonToken, column: Int)]
    var index = 0
    /// Brackets and calls open around `index`: each is a frame of this
    /// recursion, so the parser refuses where CPython's does (200).
    private var nesting = 0

    init(tokens: [(token: PythonToken, column: Int)]) { self.tokens = tokens }

    private var current: PythonToken? { index < tokens.count ? tokens[index].token : nil }
    private var column: Int { index < tokens.count ? tokens[index].column : (tokens.last.map { $0.column + 1 } ?? 1) }

    private func invalid() -> ShellError {
        if let current, case .punctuation(let text) = current {
            return .syntax("invalid syntax: unexpected '\(text)'", column: column)
        }
        return .syntax("invalid syntax", column: column)
    }

    private mutating func take(_ punctuation: String) -> Bool {
        if current == .punctuation(punctuation) { index += 1; return true }
        return false
    }

    private mutating func expect(_ punctuation: String) throws {
        guard take(punctuation) else { throw invalid() }
    }

    mutating func statement() throws -> PythonStatement {
        if case .name(let word)? = current, PythonSyntax.blockKeywords.contains(word) {
            throw ShellError("SyntaxError", "sockshell runs one call a line; '\(word)' blocks are not supported"
                             + (word == "while" || word == "for" ? " (recvall reads until the peer closes)" : ""))
        }
        if tokens.last?.token == .punctuation(":") {
            throw ShellError("SyntaxError", "sockshell runs one call a line; blocks (a line ending in ':') are not supported")
        }
        let result = try simpleStatement()
        guard current == nil else {
            if current == .punctuation(";") {
                throw ShellError("SyntaxError", "sockshell runs one Python statement a line; put each on its own line")
            }
            throw invalid()
        }
        return result
    }

    private mutating func simpleStatement() throws -> PythonStatement {
        switch current {
        case .name("import")?:
            index += 1
            var modules: [String] = []
            repeat {
                guard case .name(let module)? = current else { throw invalid() }
                index += 1
                if current == .name("as") {
                    throw ShellError("SyntaxError", "sockshell does not rename modules: import \(module)")
                }
                modules.append(module)
            } while take(",")
            return .importModules(modules)
        case .name("from")?:
            index += 1
            guard case .name(let module)? = current else { throw invalid() }
            index += 1
            guard current == .name("import") else { throw invalid() }
            index += 1
            guard take("*") else {
                throw ShellError("SyntaxError", "sockshell imports a module whole: import \(module), or from \(module) import *")
            }
            return .importAll(module)
        case .name("print")? where index + 1 < tokens.count && tokens[index + 1].token != .punctuation("(")
            && tokens[index + 1].token != .punctuation("="):
            // Python 2's print statement, as the older textbooks write it.
            index += 1
            var items = [try expression()]
            while take(",") {
                if current == nil { break }
                items.append(try expression())
            }
            return .print(items)
        default:
            break
        }
        // Targets: NAME = or A, B = (looked for before reading an expression).
        var targets: [String] = []
        var probe = index
        while probe < tokens.count, case .name(let name) = tokens[probe].token {
            targets.append(name)
            probe += 1
            if probe < tokens.count, tokens[probe].token == .punctuation(",") { probe += 1; continue }
            break
        }
        if !targets.isEmpty, probe < tokens.count, tokens[probe].token == .punctuation("=") {
            index = probe + 1
            for target in targets where ["None", "True", "False"].contains(target) {
                throw ShellError("SyntaxError", "cannot assign to \(target)")
            }
            let value = try expressionList()
            return .assign(targets, value)
        }
        let value = try expressionList()
        if case .call(.name("print"), let arguments) = value { return .print(arguments) }
        return .expression(value)
    }

    /// `a, b` as a tuple, as Python reads a bare comma list.
    private mutating func expressionList() throws -> PythonExpression {
        let first = try expression()
        guard current == .punctuation(",") else { return first }
        var items = [first]
        while take(",") {
            if current == nil { break }
            items.append(try expression())
        }
        return .tuple(items)
    }

    private mutating func expression() throws -> PythonExpression {
        guard nesting < Lexer.maximumNesting else { throw ShellError.syntax("too many nested parentheses", column: column) }
        nesting += 1
        defer { nesting -= 1 }
        if current == .punctuation("=") || current == .punctuation("==") { throw invalid() }
        var value = try primary()
        while true {
            if take(".") {
                guard case .name(let attribute)? = current else { throw invalid() }
                index += 1
                value = .attribute(value, attribute)
            } else if take("(") {
                var arguments: [PythonExpression] = []
                while !take(")") {
                    guard current != nil else { throw ShellError.syntax("'(' was never closed", column: column) }
                    if case .name? = current, index + 1 < tokens.count, tokens[index + 1].token == .punctuation("=") {
                        throw ShellError("SyntaxError", "sockshell passes arguments by position only, not as keywords")
                    }
                    arguments.append(try expression())
                    if !take(",") {
                        try expect(")")
                        break
                    }
                }
                value = .call(value, arguments)
            } else if take("[") {
                let position = try expression()
                try expect("]")
                value = .index(value, position)
            } else {
                break
            }
        }
        if let current, case .punctuation(let operation) = current,
           ["+", "-", "*", "/", "%", "|", "&", "^", "<", ">", "==", "!=", "<=", ">=", "**", "//"].contains(operation) {
            throw ShellError("SyntaxError", "sockshell's Python runs calls, not operators: '\(operation)' is not supported")
        }
        return value
    }

    /// A literal read by the command language's lexer; a word it reads as
    /// no number (`1.2.3`, `0x`) is no Python literal either.
    private func number(_ text: String, column: Int) throws -> Argument {
        let argument = try Lexer.literal(text)
        if case .word = argument.kind { throw ShellError.syntax("invalid decimal literal", column: column) }
        return argument
    }

    private mutating func primary() throws -> PythonExpression {
        guard let token = current else { throw ShellError.syntax("invalid syntax", column: column) }
        let start = column
        switch token {
        case .name(let name):
            index += 1
            switch name {
            case "None": return .literal(Argument(kind: .none, column: start, text: name))
            case "True": return .literal(Argument(kind: .bool(true), column: start, text: name))
            case "False": return .literal(Argument(kind: .bool(false), column: start, text: name))
            default: return .name(name)
            }
        case .literal(let text):
            index += 1
            return .literal(try number(text, column: start))
        case .punctuation("-"):
            index += 1
            guard case .literal(let text)? = current, let first = text.unicodeScalars.first, ("0"..."9").contains(first) || first == "." else {
                throw ShellError("SyntaxError", "sockshell's Python runs calls, not operators: '-' is not supported")
            }
            index += 1
            return .literal(try number("-" + text, column: start))
        case .punctuation("("), .punctuation("["):
            let isTuple = token == .punctuation("(")
            let closer = isTuple ? ")" : "]"
            index += 1
            var items: [PythonExpression] = []
            var sawComma = false
            while !take(closer) {
                guard current != nil else { throw ShellError.syntax("'\(isTuple ? "(" : "[")' was never closed", column: start) }
                items.append(try expression())
                if take(",") { sawComma = true; continue }
                try expect(closer)
                break
            }
            if isTuple && items.count == 1 && !sawComma { return items[0] }
            return isTuple ? .tuple(items) : .list(items)
        default:
            throw invalid()
        }
    }
}

extension PythonSyntax {
    /// A cheap first look at a script's line, before `isPython` makes a
    /// String of it: most lines of a replayed script are commands, and fall
    /// out after their first word.
    /// Whether a word, its bytes packed little-endian, begins a Python
    /// statement sockshell reads or refuses: import, from, print, and
    /// `blockKeywords` (a unit test checks the two lists agree).
    static func isStatementWord(packed: UInt64) -> Bool {
        switch packed {
        case 0x74726F706D69, 0x6D6F7266, 0x746E697270,  // import, from, print
             0x656C696877, 0x726F66, 0x6669, 0x66696C65, 0x65736C65, 0x797274, 0x747065637865,  // while ... except
             0x796C6C616E6966, 0x666564, 0x7373616C63, 0x68746977, 0x636E797361, 0x6164626D616C:  // finally ... lambda
            return true
        default:
            return false
        }
    }

    /// A quick test of a script line's bytes before `isPython`: false for
    /// every line that cannot be Python (`socket s`, `bind s 127.0.0.1 0`).
    /// A replayed script asks it of every line, so it reads the bytes once,
    /// through the raw pointer, packing the first word (at most eight bytes)
    /// into one integer to compare with the statement words.
    static func mayBePython(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let bytes = line.baseAddress else { return false }
        let count = line.count
        var index = 0
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        guard index < count else { return false }
        if bytes[index] == UInt8(ascii: ">") || bytes[index] == UInt8(ascii: ".") { return true }
        let start = index
        while index < count {
            let byte = bytes[index]
            // A letter, `_`, or a digit after the first byte; wrapping
            // subtraction makes each range one comparison.
            guard (byte | 0x20) &- 0x61 < 26 || byte == 0x5F || (byte &- 0x30 < 10 && index > start) else { break }
            index += 1
        }
        guard index > start else { return false }
        if index == count { return true }
        switch bytes[index] {
        case UInt8(ascii: "("), UInt8(ascii: "."), UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: ":"): return true
        default: break
        }
        if index - start <= 8 {
            var packed: UInt64 = 0
            for offset in 0..<(index - start) { packed |= UInt64(bytes[start + offset]) << (8 * UInt64(offset)) }
            if isStatementWord(packed: packed) { return true }
        }
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        return index == count || bytes[index] == UInt8(ascii: "=") || bytes[index] == UInt8(ascii: ",")
    }
}
