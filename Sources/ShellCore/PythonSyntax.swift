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
    /// A call, its positional arguments and its `NAME=VALUE` keywords.
    case call(PythonExpression, [PythonExpression], [(String, PythonExpression)])
    case tuple([PythonExpression])
    case list([PythonExpression])
    case index(PythonExpression, PythonExpression)
    /// `BASE[START:STOP:STEP]`, each part optional.
    case slice(PythonExpression, PythonExpression?, PythonExpression?, PythonExpression?)
    /// `A + B`, `A and B`, `A == B`, `A not in B`, ...
    case binary(String, PythonExpression, PythonExpression)
    /// `-A`, `+A`, `~A`, `not A`.
    case unary(String, PythonExpression)
    /// `A if CONDITION else B`.
    case conditional(PythonExpression, PythonExpression, PythonExpression)
    /// An f-string: its text and its `{EXPRESSION!CONVERSION:SPEC}` fields.
    case formatted([PythonFormatPart])
}

enum PythonFormatPart {
    case text(String)
    case field(PythonExpression, conversion: Character?, spec: String)
}

enum PythonStatement {
    case importModules([String])
    /// `from MODULE import *`.
    case importAll(String)
    /// `NAME = EXPR`, or `A, B = EXPR` with two or more targets; `NAME += EXPR`
    /// is `NAME = NAME + EXPR`.
    case assign([String], PythonExpression)
    case expression(PythonExpression)
    /// `print(...)` with its keywords (`sep=`, `end=`), or Python 2's `print x, y`.
    case print([PythonExpression], [(String, PythonExpression)])
}

enum PythonSyntax {
    /// Statements that open a block: sockshell runs one call a line.
    static let blockKeywords: Set<String> = ["while", "for", "if", "elif", "else", "try", "except", "finally",
                                             "def", "class", "with", "async", "lambda"]

    /// The line without a `>>> ` or `... ` pasted from a Python session.
    static func unprompted(_ line: String) -> String {
        // An ASCII line (nearly every one) read as its bytes: walking
        // Characters cost thousands of instructions a line, and every
        // replayed line passes here.
        let ascii: String?? = line.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            var start = 0
            while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            if rest.starts(with: ">>> ".utf8) || rest.starts(with: "... ".utf8) {
                return String(decoding: rest.dropFirst(4), as: UTF8.self)
            }
            if rest.elementsEqual(">>>".utf8) || rest.elementsEqual("...".utf8) { return "" }
            return start == 0 ? line : String(decoding: rest, as: UTF8.self)
        }
        if let ascii, let ascii { return ascii }
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
        let bare = unprompted(line)
        // Pasted after Python's own `>>> ` (or `... `): the prompt says it is
        // Python, so `>>> x` is Python's NameError, not a command's, and a
        // prompt alone is an empty line.
        if bare.utf8.count < line.utf8.count,
           line.drop(while: { $0 == " " || $0 == "\t" }).first.map({ $0 == ">" || $0 == "." }) == true {
            return true
        }
        let text = Array(bare.utf8)
        var index = 0
        func identifier() -> String? {
            let start = index
            guard index < text.count, isIdentifierStart(text[index]) else { return nil }
            while index < text.count, isIdentifierStart(text[index]) || (0x30...0x39).contains(text[index]) { index += 1 }
            return String(decoding: text[start..<index], as: UTF8.self)
        }
        func skipSpace() { while index < text.count, text[index] == 0x20 || text[index] == 0x09 { index += 1 } }
        var current: UInt8? { index < text.count ? text[index] : nil }
        // A literal or a bracket first: no command starts so.
        if let first = current, startsExpression(first) { return true }
        guard let word = identifier() else { return false }
        let direct = current
        if direct == UInt8(ascii: "(") || direct == UInt8(ascii: ".") || direct == UInt8(ascii: "[") { return true }
        // A string's prefix: b'...', f'...', r'...'.
        if word.count <= 2, direct == UInt8(ascii: "'") || direct == UInt8(ascii: "\"") { return true }
        if CommandTable.lookup(word) != nil && word != "print" {
            // `host = 'localhost'`, `host, port = ...`: a name that is also a
            // command's, assigned, reads on as Python would read it.
            var probe = index
            while probe < text.count, text[probe] == 0x20 || text[probe] == 0x09 { probe += 1 }
            let assigned = probe < text.count && (text[probe] == UInt8(ascii: ",")
                || text[probe] == UInt8(ascii: "=") && (probe + 1 >= text.count || text[probe + 1] != UInt8(ascii: "=")))
            if !assigned { return false }
        }
        if word == "import" || word == "from" || word == "print" || word == "not" || blockKeywords.contains(word) {
            return direct == nil || direct == 0x20 || direct == 0x09 || direct == UInt8(ascii: ":")
        }
        skipSpace()
        // An operator after a name that is no command: `x + 1`, `data += more`, `x == y`.
        if let next = current, next != UInt8(ascii: "="), isOperator(next) { return true }
        if index + 1 < text.count, text[index] == UInt8(ascii: "="), text[index + 1] == UInt8(ascii: "=") { return true }
        let wordStart = index
        if let following = identifier(), ["and", "or", "in", "is", "if", "not"].contains(following) { return true }
        index = wordStart
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
        if value.count <= 2, current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") { return true }
        skipSpace()
        // `x = a + b` is Python; `port = getservbyname http` keeps its command.
        if current == nil { return CommandTable.lookup(value) == nil }
        if CommandTable.lookup(value) != nil { return false }
        if let next = current, isOperator(next) || next == UInt8(ascii: ",") { return true }
        if let following = identifier(), ["and", "or", "in", "is", "if", "not"].contains(following) { return true }
        return false
    }

    /// The first byte of a line that is an expression: a quote, a digit, a
    /// bracket, a sign.
    static func startsExpression(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"),
             UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "~"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    /// The bytes that begin a Python operator after a name.
    static func isOperator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "|"),
             UInt8(ascii: "&"), UInt8(ascii: "^"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "!"):
            return true
        default:
            return false
        }
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// An ASCII identifier: what a bare Python name can be here.
    static func isIdentifier(_ word: String) -> Bool {
        guard let first = word.utf8.first, isIdentifierStart(first) else { return false }
        return word.utf8.allSatisfy { isIdentifierStart($0) || (0x30...0x39).contains($0) }
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
    /// `r'...'` or `rb'...'`: the text between the quotes, as it is.
    case raw(String, bytes: Bool)
    /// `f'...'`: the text between the quotes, read by the parser.
    case formatted(String, raw: Bool, quote: Character)
}

struct PythonTokenizer {
    /// A string literal's prefixes, lower-cased.
    private static let stringPrefixes: Set<String> = ["b", "r", "u", "f", "br", "rb", "fr", "rf"]
    private static let twoCharacterOperators: Set<String> = [
        "==", "!=", "<=", ">=", "**", "//", "->", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<", ">>",
    ]

    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        let value = c.value
        return value == 0x5F || (0x61...0x7A).contains(value) || (0x41...0x5A).contains(value) || (0x30...0x39).contains(value)
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { (0x30...0x39).contains(c.value) }

    /// A letter a string literal's prefix is made of: b, r, u, f in either case.
    private static func isPrefixLetter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "b", "B", "r", "R", "u", "U", "f", "F": return true
        default: return false
        }
    }

    /// The scalars as a String: ASCII (nearly every token) as its bytes;
    /// building a String a scalar at a time cost thousands of instructions
    /// a token.
    private static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        if scalars.allSatisfy({ $0.isASCII }) {
            return String(unsafeUninitializedCapacity: scalars.count) { buffer in
                for (offset, scalar) in scalars.enumerated() { buffer[offset] = UInt8(truncatingIfNeeded: scalar.value) }
                return scalars.count
            }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    // Every Python line replayed is tokenized here, so nothing is built for a
    // character that cannot start what is tested for (a string's prefix, an
    // operator of two characters): building those per character was most of
    // the cost of running a line of Python.
    static func tokens(_ text: String) throws -> [(token: PythonToken, column: Int)] {
        let characters = Array(text.unicodeScalars)
        var result: [(token: PythonToken, column: Int)] = []
        var index = 0
        while index < characters.count {
            let c = characters[index]
            let column = index + 1
            if c == " " || c == "\t" || c == "\r" || c == "\n" { index += 1; continue }
            if c == "#" { break }
            // A string's prefix: b, r, u, f and the pairs of b or f with r.
            var prefix = ""
            if isPrefixLetter(c) {
                var look = index
                while look < characters.count, look - index < 2, isPrefixLetter(characters[look]) {
                    prefix.unicodeScalars.append(characters[look])
                    look += 1
                }
                if !stringPrefixes.contains(prefix.lowercased()) || look >= characters.count
                    || (characters[look] != "'" && characters[look] != "\"") {
                    prefix = ""
                }
            }
            if c == "'" || c == "\"" || !prefix.isEmpty {
                let lowered = prefix.lowercased()
                index += prefix.unicodeScalars.count
                let quote = characters[index]
                let isTriple = index + 2 < characters.count && characters[index + 1] == quote && characters[index + 2] == quote
                if isTriple {
                    throw ShellError("SyntaxError", "sockshell reads one line at a time: no triple-quoted strings")
                }
                let bodyStart = index + 1
                index += 1
                while index < characters.count, characters[index] != quote {
                    if characters[index] == "\\" { index += 1 }
                    index += 1
                }
                guard index < characters.count else {
                    let kind = lowered.contains("b") ? "bytes" : lowered.contains("f") ? "f-string" : "string"
                    throw ShellError.syntax("unterminated \(kind == "f-string" ? "string" : kind) literal", column: column)
                }
                let body = self.text(characters[bodyStart..<index])
                index += 1
                if lowered.contains("f") {
                    result.append((.formatted(body, raw: lowered.contains("r"), quote: Character(quote)), column))
                } else if lowered.contains("r") {
                    result.append((.raw(body, bytes: lowered.contains("b")), column))
                } else {
                    result.append((.literal((lowered == "b" ? "b" : "") + String(Character(quote)) + body + String(Character(quote))), column))
                }
                continue
            }
            if isDigit(c) || (c == "." && index + 1 < characters.count && isDigit(characters[index + 1])) {
                let start = index
                while index < characters.count {
                    let d = characters[index]
                    if isNameCharacter(d) || d == "." { index += 1; continue }
                    if (d == "-" || d == "+"), index > start, characters[index - 1] == "e" || characters[index - 1] == "E",
                       !self.text(characters[start..<index]).lowercased().hasPrefix("0x") {
                        index += 1
                        continue
                    }
                    break
                }
                result.append((.literal(self.text(characters[start..<index])), column))
                continue
            }
            if isNameCharacter(c) {
                let start = index
                while index < characters.count, isNameCharacter(characters[index]) { index += 1 }
                result.append((.name(self.text(characters[start..<index])), column))
                continue
            }
            // Every operator of two characters ends in one of these.
            if index + 1 < characters.count, "=*/>-<".unicodeScalars.contains(characters[index + 1]) {
                let two = self.text(characters[index...index + 1])
                if twoCharacterOperators.contains(two) {
                    if (two == "**" || two == "//" || two == "<<" || two == ">>"), index + 2 < characters.count, characters[index + 2] == "=" {
                        result.append((.punctuation(two + "="), column))
                        index += 3
                        continue
                    }
                    result.append((.punctuation(two), column))
                    index += 2
                    continue
                }
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
    fileprivate var nesting = 0

    init(tokens: [(token: PythonToken, column: Int)]) { self.tokens = tokens }

    fileprivate var current: PythonToken? { index < tokens.count ? tokens[index].token : nil }
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
            return .print(items, [])
        case .name("print")? where index + 1 == tokens.count:
            index += 1
            return .print([], [])
        case .name(let word)? where ["del", "return", "yield", "raise", "global", "nonlocal", "assert", "pass", "break", "continue"].contains(word):
            throw ShellError("SyntaxError", "sockshell's Python runs calls and assignments, not '\(word)'")
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
        if targets.count == 1, probe < tokens.count, case .punctuation(let operation) = tokens[probe].token,
           operation.count >= 2, operation.hasSuffix("="), !["==", "!=", "<=", ">="].contains(operation) {
            // `data += conn.recv(1024)`: data = data + conn.recv(1024).
            index = probe + 1
            let value = try expressionList()
            return .assign(targets, .binary(String(operation.dropLast()), .name(targets[0]), value))
        }
        let value = try expressionList()
        if current == .punctuation("=") {
            throw ShellError("SyntaxError", "sockshell's Python assigns to names only (NAME = ..., A, B = ...)")
        }
        if case .call(.name("print"), let arguments, let keywords) = value { return .print(arguments, keywords) }
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

    /// Brackets, calls and operators nest this recursion: refused past
    /// CPython's own limit (200), as the command language refuses it.
    private mutating func deeper() throws {
        guard nesting < Lexer.maximumNesting else { throw ShellError.syntax("too many nested parentheses", column: column) }
        nesting += 1
    }

    mutating func expression() throws -> PythonExpression {
        try deeper()
        defer { nesting -= 1 }
        if current == .punctuation("=") || current == .punctuation("==") { throw invalid() }
        if current == .name("lambda") { throw ShellError("SyntaxError", "sockshell's Python has no lambda") }
        let value = try disjunction()
        guard current == .name("if") else { return value }
        index += 1
        let condition = try disjunction()
        guard current == .name("else") else { throw ShellError.syntax("expected 'else' after 'if' expression", column: column) }
        index += 1
        return .conditional(condition, value, try expression())
    }

    private mutating func disjunction() throws -> PythonExpression {
        var value = try conjunction()
        while current == .name("or") {
            index += 1
            value = .binary("or", value, try conjunction())
        }
        return value
    }

    private mutating func conjunction() throws -> PythonExpression {
        var value = try negation()
        while current == .name("and") {
            index += 1
            value = .binary("and", value, try negation())
        }
        return value
    }

    private mutating func negation() throws -> PythonExpression {
        guard current == .name("not") else { return try comparison() }
        index += 1
        try deeper()
        defer { nesting -= 1 }
        return .unary("not", try negation())
    }

    /// `A < B < C` is `A < B and B < C`, each operand evaluated once in
    /// Python; sockshell evaluates a chain's middle operands twice, so it
    /// reads a chain only of operands without calls.
    private mutating func comparison() throws -> PythonExpression {
        var left = try bitwise(0)
        var result: PythonExpression?
        while true {
            var operation: String
            switch current {
            case .punctuation(let text)? where ["==", "!=", "<", ">", "<=", ">="].contains(text): operation = text; index += 1
            case .name("in")?: operation = "in"; index += 1
            case .name("not")? where index + 1 < tokens.count && tokens[index + 1].token == .name("in"):
                operation = "not in"; index += 2
            case .name("is")?:
                index += 1
                operation = "is"
                if current == .name("not") { operation = "is not"; index += 1 }
            default:
                return result ?? left
            }
            let right = try bitwise(0)
            let step = PythonExpression.binary(operation, left, right)
            if let earlier = result {
                if case .call = left { throw ShellError("SyntaxError", "sockshell's Python does not chain comparisons of calls") }
                result = .binary("and", earlier, step)
            } else {
                result = step
            }
            left = right
        }
    }

    private static let levels: [[String]] = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "//", "%", "@"]]

    private mutating func bitwise(_ level: Int) throws -> PythonExpression {
        guard level < Self.levels.count else { return try factor() }
        var value = try bitwise(level + 1)
        while case .punctuation(let operation)? = current, Self.levels[level].contains(operation) {
            index += 1
            if operation == "@" { throw ShellError("SyntaxError", "sockshell's Python has no '@' operator") }
            value = .binary(operation, value, try bitwise(level + 1))
        }
        return value
    }

    private mutating func factor() throws -> PythonExpression {
        guard case .punctuation(let sign)? = current, sign == "-" || sign == "+" || sign == "~" else { return try power() }
        let start = column
        index += 1
        // A negative number literal is one literal (so -9223372036854775808
        // and -2**200 are read as CPython reads them), unless ** follows.
        if sign == "-", case .literal(let text)? = current, let first = text.unicodeScalars.first,
           ("0"..."9").contains(first) || first == ".",
           !(index + 1 < tokens.count && tokens[index + 1].token == .punctuation("**")) {
            index += 1
            return try postfix(.literal(try number("-" + text, column: start)))
        }
        try deeper()
        defer { nesting -= 1 }
        return .unary(sign, try factor())
    }

    private mutating func power() throws -> PythonExpression {
        let base = try postfix(try primary())
        guard take("**") else { return base }
        try deeper()
        defer { nesting -= 1 }
        return .binary("**", base, try factor())
    }

    private mutating func postfix(_ start: PythonExpression) throws -> PythonExpression {
        var value = start
        while true {
            if take(".") {
                guard case .name(let attribute)? = current else { throw invalid() }
                index += 1
                value = .attribute(value, attribute)
            } else if take("(") {
                var arguments: [PythonExpression] = []
                var keywords: [(String, PythonExpression)] = []
                while !take(")") {
                    guard current != nil else { throw ShellError.syntax("'(' was never closed", column: column) }
                    if current == .punctuation("*") || current == .punctuation("**") {
                        throw ShellError("SyntaxError", "sockshell's Python passes arguments one by one, not unpacked with * or **")
                    }
                    if case .name(let keyword)? = current, index + 1 < tokens.count, tokens[index + 1].token == .punctuation("=") {
                        index += 2
                        if keywords.contains(where: { $0.0 == keyword }) {
                            throw ShellError("SyntaxError", "keyword argument repeated: \(keyword)")
                        }
                        keywords.append((keyword, try expression()))
                    } else {
                        if !keywords.isEmpty {
                            throw ShellError("SyntaxError", "positional argument follows keyword argument")
                        }
                        arguments.append(try expression())
                    }
                    if !take(",") {
                        try expect(")")
                        break
                    }
                }
                value = .call(value, arguments, keywords)
            } else if take("[") {
                func part() throws -> PythonExpression? {
                    if current == .punctuation(":") || current == .punctuation("]") { return nil }
                    return try expression()
                }
                let first = try part()
                if take(":") {
                    let stop = try part()
                    var step: PythonExpression?
                    if take(":") { step = try part() }
                    try expect("]")
                    value = .slice(value, first, stop, step)
                } else {
                    guard let position = first else { throw invalid() }
                    if current == .punctuation(",") { throw ShellError("SyntaxError", "sockshell indexes with one int or a slice") }
                    try expect("]")
                    value = .index(value, position)
                }
            } else {
                return value
            }
        }
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
            var value = PythonExpression.literal(try number(text, column: start))
            // 'a' 'b' is one literal, as Python joins adjacent strings.
            while case .literal(let next)? = current, let quote = next.unicodeScalars.last, quote == "'" || quote == "\"" {
                index += 1
                value = .binary("+", value, .literal(try number(next, column: start)))
            }
            return value
        case .raw(let body, let isBytes):
            index += 1
            if isBytes {
                guard body.unicodeScalars.allSatisfy(\.isASCII) else {
                    throw ShellError.syntax("bytes can only contain ASCII literal characters", column: start)
                }
                return .literal(Argument(kind: .bytes(Array(body.utf8)), column: start, text: "rb" + pythonStringRepr(body)))
            }
            return .literal(Argument(kind: .string(body), column: start, text: "r" + pythonStringRepr(body)))
        case .formatted(let body, let raw, let quote):
            index += 1
            return .formatted(try PythonParser.formatParts(body, raw: raw, quote: quote, column: start, nesting: nesting))
        case .punctuation("("), .punctuation("["):
            let isTuple = token == .punctuation("(")
            let closer = isTuple ? ")" : "]"
            index += 1
            var items: [PythonExpression] = []
            var sawComma = false
            while !take(closer) {
                guard current != nil else { throw ShellError.syntax("'\(isTuple ? "(" : "[")' was never closed", column: start) }
                items.append(try expression())
                if current == .name("for") {
                    throw ShellError("SyntaxError", "sockshell's Python has no comprehensions (for inside brackets)")
                }
                if take(",") { sawComma = true; continue }
                try expect(closer)
                break
            }
            if isTuple && items.count == 1 && !sawComma { return items[0] }
            return isTuple ? .tuple(items) : .list(items)
        case .punctuation("{"):
            throw ShellError("SyntaxError", "sockshell's Python has no dict or set displays ({...})")
        default:
            throw invalid()
        }
    }

    /// An f-string's text and fields: `{{` and `}}` are braces, each field
    /// an expression with an optional `!r`/`!s`/`!a` and `:SPEC`.
    static func formatParts(_ body: String, raw: Bool, quote: Character, column: Int, nesting: Int) throws -> [PythonFormatPart] {
        let characters = Array(body)
        var parts: [PythonFormatPart] = []
        var text = ""
        func flushText() throws {
            guard !text.isEmpty else { return }
            if raw {
                parts.append(.text(text))
            } else {
                // The escapes of the text between fields, as a str literal reads them.
                let literal = try Lexer.literal(String(quote) + text + String(quote))
                if case .string(let value) = literal.kind { parts.append(.text(value)) }
                else { throw ShellError("SyntaxError", "sockshell's f-strings cannot hold a lone surrogate") }
            }
            text = ""
        }
        var index = 0
        while index < characters.count {
            let c = characters[index]
            if c == "}" {
                guard index + 1 < characters.count, characters[index + 1] == "}" else {
                    throw ShellError.syntax("f-string: single '}' is not allowed", column: column)
                }
                text.append("}")
                index += 2
                continue
            }
            guard c == "{" else {
                text.append(c)
                if c == "\\", !raw, index + 1 < characters.count { text.append(characters[index + 1]); index += 1 }
                index += 1
                continue
            }
            if index + 1 < characters.count, characters[index + 1] == "{" { text.append("{"); index += 2; continue }
            try flushText()
            // The field ends at the first } outside brackets and strings.
            var end = index + 1
            var depth = 0
            var inString: Character?
            var split: Int?
            var bang: Int?
            while end < characters.count {
                let d = characters[end]
                if let open = inString {
                    if d == open { inString = nil }
                } else if d == "'" || d == "\"" {
                    inString = d
                } else if d == "(" || d == "[" || d == "{" {
                    depth += 1
                } else if d == ")" || d == "]" || (d == "}" && depth > 0) {
                    depth -= 1
                } else if d == "}" {
                    break
                } else if depth == 0, d == "!", end + 1 < characters.count, characters[end + 1] != "=", bang == nil, split == nil {
                    bang = end
                } else if depth == 0, d == ":", split == nil {
                    split = end
                }
                end += 1
            }
            guard end < characters.count else { throw ShellError.syntax("f-string: expecting '}'", column: column) }
            let expressionEnd = bang ?? split ?? end
            let source = String(characters[(index + 1)..<expressionEnd])
            guard !source.allSatisfy({ $0 == " " }) else {
                throw ShellError.syntax("f-string: empty expression not allowed", column: column)
            }
            var conversion: Character?
            if let bang {
                let letters = String(characters[(bang + 1)..<(split ?? end)])
                guard letters.count == 1, let letter = letters.first, "rsa".contains(letter) else {
                    throw ShellError.syntax("f-string: invalid conversion character: expected 's', 'r', or 'a'", column: column)
                }
                conversion = letter
            }
            let spec = split.map { String(characters[($0 + 1)..<end]) } ?? ""
            if spec.contains("{") { throw ShellError("SyntaxError", "sockshell's f-strings take no nested {} in a format spec") }
            var parser = PythonParser(tokens: try PythonTokenizer.tokens(source))
            parser.nesting = nesting + 1
            let expression = try parser.expressionList()
            guard parser.current == nil else { throw ShellError.syntax("f-string: invalid syntax", column: column) }
            parts.append(.field(expression, conversion: conversion, spec: spec))
            index = end + 1
        }
        try flushText()
        return parts
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
        case 0x74726F706D69, 0x6D6F7266, 0x746E697270, 0x746F6E,  // import, from, print, not
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
        if bytes[index] == UInt8(ascii: ">") || bytes[index] == UInt8(ascii: ".") || startsExpression(bytes[index]) { return true }
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
        case UInt8(ascii: "("), UInt8(ascii: "."), UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: ":"),
             UInt8(ascii: "'"), UInt8(ascii: "\""): return true
        default: break
        }
        if index - start <= 8 {
            var packed: UInt64 = 0
            for offset in 0..<(index - start) { packed |= UInt64(bytes[start + offset]) << (8 * UInt64(offset)) }
            if isStatementWord(packed: packed) { return true }
        }
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        guard index < count else { return true }
        let next = bytes[index]
        if next == UInt8(ascii: "=") || next == UInt8(ascii: ",") || isOperator(next) { return true }
        // `x and y`, `x in y`, `x is None`, `x if c else y`, `x not in y`.
        var end = index
        while end < count, end - index < 4, (bytes[end] | 0x20) &- 0x61 < 26 { end += 1 }
        switch end - index {
        case 2: return (bytes[index] == 0x6F && bytes[index + 1] == 0x72) || (bytes[index] == 0x69 && (bytes[index + 1] == 0x6E
                || bytes[index + 1] == 0x73 || bytes[index + 1] == 0x66))
        case 3: return (bytes[index] == 0x61 && bytes[index + 1] == 0x6E && bytes[index + 2] == 0x64)
                || (bytes[index] == 0x6E && bytes[index + 1] == 0x6F && bytes[index + 2] == 0x74)
        default: return false
        }
    }
}
