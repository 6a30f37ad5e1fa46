/// One argument as written, before the command that receives it gives it a meaning.
///
/// A class: an argument is made once and then only read, and passing a
/// reference costs one retain where copying this enum of strings went
/// through outlined copies that dominated a replayed script's lexing.
public final class Argument: Equatable {
    public static func == (left: Argument, right: Argument) -> Bool {
        left.kind == right.kind && left.column == right.column && left.text == right.text
    }

    public enum Kind: Equatable {
        case word(String)
        case string(String)
        case bytes([UInt8])
        case integer(Int)
        /// An integer literal beyond Int, as its decimal digits (sign first):
        /// every call that takes an integer refuses it with CPython's
        /// OverflowError, `echo` prints it.
        case bigInteger(String)
        case float(Double)
        case none
        case bool(Bool)
        case tuple([Argument])
        case list([Argument])
        /// `@PATH`: the bytes of a file, where data is expected.
        case file(String)
        /// `$NAME.port`, `$NAME.host`, `$NAME.fd`: read when the command runs.
        case reference(name: String, field: String)
        /// A str holding a lone surrogate (`'\ud800'`), as its code points:
        /// Python accepts it and prints its repr, but no call can encode it
        /// (UnicodeEncodeError), and a Swift String cannot hold it.
        case surrogateString([UInt32])
        /// `$NAME`: a value kept by `NAME = COMMAND ...`, read when the command runs.
        case variable(String)
        /// `$0`, `$1`, ...: the script's path and its arguments, as
        /// `sys.argv[N]`, read when the command runs.
        case scriptArgument(Int)
    }

    public let kind: Kind
    /// 1-based column of the argument's first character in its line.
    public let column: Int
    private let storedText: String?
    private let line: LineBytes?
    private let range: Range<Int>

    /// The argument exactly as typed, for messages. A bracket's text is cut
    /// from the line only when asked for: copied at every level, 200 nested
    /// brackets around a long line would hold 200 copies of it.
    public var text: String {
        if let storedText { return storedText }
        guard let line else { return "" }
        return String(decoding: line.bytes[range], as: UTF8.self)
    }

    public init(kind: Kind, column: Int, text: String) {
        self.kind = kind
        needsResolving = Argument.needsResolving(kind)
        self.column = column
        storedText = text
        line = nil
        range = 0..<0
    }

    init(kind: Kind, column: Int, line: LineBytes, range: Range<Int>) {
        self.kind = kind
        needsResolving = Argument.needsResolving(kind)
        self.column = column
        storedText = nil
        self.line = line
        self.range = range
    }

    private init(kind: Kind, copying other: Argument) {
        self.kind = kind
        needsResolving = Argument.needsResolving(kind)
        column = other.column
        storedText = other.storedText
        line = other.line
        range = other.range
    }

    var isReference: Bool {
        switch kind {
        case .reference, .scriptArgument, .variable: return true
        default: return false
        }
    }

    /// It is, or a tuple holds, a value read when the command runs
    /// (`$NAME.port`, `$NAME`, `$1`). Kept, not derived: every argument a
    /// command reads asks.
    let needsResolving: Bool

    private static func needsResolving(_ kind: Kind) -> Bool {
        switch kind {
        case .reference, .scriptArgument, .variable: return true
        case .tuple(let items): return items.contains { $0.needsResolving }
        default: return false
        }
    }

    /// The same argument standing for another value (`$NAME.port` resolved).
    func with(_ kind: Kind) -> Argument {
        Argument(kind: kind, copying: self)
    }
}

/// One copy of a line's bytes, shared by the brackets cut from it.
final class LineBytes {
    let bytes: [UInt8]
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = Array(bytes) }
}

/// `> FILE` or `>> FILE` after a command.
public struct Redirect: Equatable {
    public var path: String
    public var append: Bool
}

/// A command as parsed from a line: `name arguments... [> FILE]`.
///
/// Its parts are held in one box: a parsed command is copied out of the
/// parse cache and through the runner for every command run, and a copy of
/// the parts themselves was five retains through value witnesses.
public struct ParsedCommand: Equatable {
    private final class Parts {
        let name: String
        let arguments: [Argument]
        let redirect: Redirect?
        let assignment: String?
        let source: String
        let command: Command?
        let background: Bool

        init(name: String, arguments: [Argument], redirect: Redirect?, assignment: String?, source: String,
             command: Command?, background: Bool) {
            self.name = name
            self.arguments = arguments
            self.redirect = redirect
            self.assignment = assignment
            self.source = source
            self.command = command
            self.background = background
        }
    }

    private let parts: Parts

    public var name: String { parts.name }
    public var arguments: [Argument] { parts.arguments }
    public var redirect: Redirect? { parts.redirect }
    /// `NAME = COMMAND ...`: the value is kept as `$NAME` instead of printed.
    public var assignment: String? { parts.assignment }
    /// The command's own text, without comment or separator, for `--echo`.
    public var source: String { parts.source }
    /// The command `name` names, if any: found once, when the line is read,
    /// so a replayed line's commands (kept by the parse cache) are not
    /// looked up again each time they run.
    var command: Command? { parts.command }
    /// `CMD &`: it runs as a background job (SPEC section 9).
    public var background: Bool { parts.background }

    public init(name: String, arguments: [Argument], redirect: Redirect?, assignment: String? = nil, source: String,
                background: Bool = false) {
        parts = Parts(name: name, arguments: arguments, redirect: redirect, assignment: assignment, source: source,
                      command: CommandTable.lookup(name), background: background)
    }

    public static func == (left: ParsedCommand, right: ParsedCommand) -> Bool {
        left.name == right.name && left.arguments == right.arguments && left.redirect == right.redirect
            && left.assignment == right.assignment && left.source == right.source && left.background == right.background
    }
}

extension ParsedCommand {
    func assigning(_ name: String?) -> ParsedCommand {
        guard let name else { return self }
        return ParsedCommand(name: self.name, arguments: arguments, redirect: redirect, assignment: name, source: source,
                             background: background)
    }

    /// The command with `&` set or taken off.
    func running(inBackground background: Bool) -> ParsedCommand {
        guard background != self.background else { return self }
        return ParsedCommand(name: name, arguments: arguments, redirect: redirect, assignment: assignment, source: source,
                             background: background)
    }
}

/// The lexical syntax of SPEC section 2: one line in, its commands out, or a
/// `SyntaxError` that names the column where the line went wrong.
///
/// It works on the line's UTF-8 bytes: every character the syntax gives a
/// meaning to is ASCII, and a replayed script is mostly lexing, so words are
/// sliced out whole rather than built a character at a time.
/// Where `Lexer.column(at:)` last stopped.
private final class ColumnMemo {
    var offset = 0
    var column = 1
}

public struct Lexer {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let isASCII: Bool
    private var position = 0
    /// What may follow `$NAME.`: the local address's fields and the fd, and
    /// the peer's address (`getpeername()`) and its fields.
    static let referenceFields: Set<String> = ["port", "host", "fd", "peer", "peer.host", "peer.port"]

    /// Whether the string literal just read holds a surrogate escape.
    private var sawSurrogate = false
    /// Brackets open around `position`; CPython's parser stops at 200.
    private var nesting = 0
    static let maximumNesting = 200
    /// The line's bytes, copied once, the first time a bracket needs them.
    private var lineCopy: LineBytes?
    /// The last column computed, for lines with non-ASCII characters, where a
    /// column is a count of characters: counting from the start each time
    /// made a long line quadratic.
    private let columns = ColumnMemo()

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        isASCII = bytes.allSatisfy { $0 < 0x80 }
    }

    /// Splits a line into its commands. Comments and blank commands vanish.
    public static func parse<Line: StringProtocol>(_ line: Line) throws -> [ParsedCommand] {
        // Lex the line's own storage where it has one, without a copy.
        if let commands = try line.utf8.withContiguousStorageIfAvailable({ buffer -> [ParsedCommand] in
            var lexer = Lexer(buffer)
            return try lexer.commands()
        }) {
            return commands
        }
        return try Array(line.utf8).withUnsafeBufferPointer { buffer in
            var lexer = Lexer(buffer)
            return try lexer.commands()
        }
    }

    /// Splits a line, given as its UTF-8 bytes, into its commands.
    public static func parse(utf8 buffer: UnsafeBufferPointer<UInt8>) throws -> [ParsedCommand] {
        var lexer = Lexer(buffer)
        return try lexer.commands()
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// The 1-based column (in characters) of a byte offset.
    private func column(at offset: Int) -> Int {
        if isASCII { return offset + 1 }
        var from = 0, column = 1
        if columns.offset <= offset { (from, column) = (columns.offset, columns.column) }
        for byte in bytes[from..<offset] where byte & 0xC0 != 0x80 { column += 1 }
        (columns.offset, columns.column) = (offset, column)
        return column
    }

    private var column: Int { column(at: position) }

    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    private mutating func skipSpace() {
        while let byte = current, Lexer.isSpace(byte) { position += 1 }
    }

    private func text(from start: Int, to end: Int? = nil) -> String {
        String(decoding: bytes[start..<(end ?? position)], as: UTF8.self)
    }

    private mutating func commands() throws -> [ParsedCommand] {
        // `!CMD`: the rest of the line is a command for /bin/sh, as psql's \!
        // and gdb's `shell` take it: no `;`, `#` or quotes of sockshell's own.
        skipSpace()
        if current == UInt8(ascii: "!") {
            position += 1
            skipSpace()
            let command = text(from: position, to: bytes.count).trimmingSpaces
            // `!` alone is the command without its CMD: its usage error.
            let arguments = command.isEmpty ? [] : [Argument(kind: .string(command), column: column, text: command)]
            position = bytes.count
            return [ParsedCommand(name: "!", arguments: arguments, redirect: nil, source: "!" + command)]
        }
        var result: [ParsedCommand] = []
        // The command's first word, kept apart so the arguments need no shift:
        // a plain name as its text (most lines), anything else as an Argument.
        var name: String?
        var first: Argument?
        var arguments: [Argument] = []
        var redirect: Redirect?
        var assignment: String?
        var start = 0
        var end = 0

        while true {
            skipSpace()
            guard let byte = current, byte != UInt8(ascii: "#") else { break }
            // `&` as a word of its own ends a command as `;` does, and runs
            // it in the background (`accept srv &`, `accept srv & connect c ...`).
            let background = byte == UInt8(ascii: "&") && (peek(1).map(Lexer.isWordStop) ?? true)
            if byte == UInt8(ascii: ";") || background {
                let finishedCommand = try finished(name, first, arguments, redirect, start: start, end: end)
                if let command = finishedCommand {
                    result.append(command.assigning(assignment).running(inBackground: background))
                } else if background {
                    throw ShellError.syntax("expected a command before '&'", column: column)
                }
                assignment = nil
                name = nil
                first = nil
                arguments = []
                redirect = nil
                position += 1
                continue
            }
            if name == nil && first == nil && redirect == nil {
                if assignment == nil { start = position }
                if let plain = plainName() {
                    // `NAME = COMMAND ...` keeps the command's value as $NAME.
                    let afterName = position
                    skipSpace()
                    if assignment == nil, current == UInt8(ascii: "="), peek(1) != UInt8(ascii: "=") {
                        guard isIdentifier(Substring(plain)) else {
                            throw ShellError.syntax("cannot assign to \(plain)", column: column(at: start))
                        }
                        position += 1
                        skipSpace()
                        guard let next = current, next != UInt8(ascii: ";"), next != UInt8(ascii: "#") else {
                            throw ShellError.syntax("expected a command after '\(plain) ='", column: column)
                        }
                        assignment = plain
                        continue
                    }
                    position = afterName
                    name = plain
                    arguments.reserveCapacity(4)
                    end = position
                    continue
                }
            }
            if redirect != nil {
                throw ShellError.syntax("nothing may follow the redirection's file", column: column)
            }
            if byte == UInt8(ascii: ">") {
                let redirectColumn = column
                position += 1
                let append = current == UInt8(ascii: ">")
                if append { position += 1 }
                skipSpace()
                guard let target = current, target != UInt8(ascii: ";"), target != UInt8(ascii: "#") else {
                    throw ShellError.syntax("expected a file name after '>'", column: redirectColumn)
                }
                let path = try argument()
                switch path.kind {
                case .word(let name), .string(let name): redirect = Redirect(path: name, append: append)
                default: throw ShellError.syntax("expected a file name after '>'", column: path.column)
                }
                end = position
                continue
            }
            let next = try argument()
            if name == nil && first == nil {
                first = next
                arguments.reserveCapacity(4)
            } else {
                arguments.append(next)
            }
            end = position
        }
        if let command = try finished(name, first, arguments, redirect, start: start, end: end) {
            result.append(command.assigning(assignment))
        }
        return result
    }

    /// A command name at `position` that is a bare word no other reading
    /// could claim (not a number, None, True, False, @FILE or $REF), read
    /// as its text alone; nil, with nothing read, for anything else.
    private mutating func plainName() -> String? {
        let start = position
        guard let lead = current else { return nil }
        switch lead {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"),
             UInt8(ascii: "A")...UInt8(ascii: "E"), UInt8(ascii: "G")...UInt8(ascii: "M"),
             UInt8(ascii: "O")...UInt8(ascii: "S"), UInt8(ascii: "U")...UInt8(ascii: "Z"):
            break
        default:
            return nil
        }
        // b'...' and B"..." are bytes literals, not names.
        if lead == UInt8(ascii: "b") || lead == UInt8(ascii: "B"), let next = peek(1),
           next == UInt8(ascii: "'") || next == UInt8(ascii: "\"") {
            return nil
        }
        while position < bytes.count, !Lexer.isWordStop(bytes[position]) { position += 1 }
        return text(from: start)
    }

    /// The command whose words were read, or nil for a blank one. (A method,
    /// not a closure over the loop's variables: captured, they would be boxed
    /// and copied through generic witnesses on every word.)
    private func finished(_ name: String?, _ first: Argument?, _ arguments: [Argument], _ redirect: Redirect?,
                          start: Int, end: Int) throws -> ParsedCommand? {
        if let name {
            return ParsedCommand(name: name, arguments: arguments, redirect: redirect, source: text(from: start, to: end))
        }
        guard let first else {
            if redirect != nil { throw ShellError.syntax("redirection without a command", column: column(at: start)) }
            return nil
        }
        guard case .word(let name) = first.kind else {
            throw ShellError.syntax("expected a command name, not \(first.text)", column: first.column)
        }
        return ParsedCommand(name: name, arguments: arguments, redirect: redirect, source: text(from: start, to: end))
    }

    /// `name=...`: an identifier, then `=`.
    private static func isKeywordWord<Word: Collection>(_ word: Word) -> Bool where Word.Element == UInt8 {
        guard let equals = word.firstIndex(of: UInt8(ascii: "=")), equals > word.startIndex else { return false }
        return word[word.startIndex..<equals].allSatisfy { byte in
            byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    /// Whether a byte ends a bare word: one of ` \t\r\n;#()[],'">`. Two
    /// 64-bit masks over ASCII, so the test is a shift, not a table lookup
    /// behind a lazy global.
    @inline(__always)
    private static func isWordStop(_ byte: UInt8) -> Bool {
        // Bits for 0x09 0x0A 0x0D 0x20 0x22 0x23 0x27 0x28 0x29 0x2C 0x3B 0x3E.
        let low: UInt64 = 1 << 0x09 | 1 << 0x0A | 1 << 0x0D | 1 << 0x20 | 1 << 0x22 | 1 << 0x23 | 1 << 0x27
            | 1 << 0x28 | 1 << 0x29 | 1 << 0x2C | 1 << 0x3B | 1 << 0x3E
        // Bits for 0x5B '[' and 0x5D ']'.
        let high: UInt64 = 1 << (0x5B - 64) | 1 << (0x5D - 64)
        if byte < 64 { return low >> UInt64(byte) & 1 != 0 }
        if byte < 128 { return high >> UInt64(byte - 64) & 1 != 0 }
        return false
    }

    private mutating func argument() throws -> Argument {
        let start = position
        guard let byte = current else { throw ShellError.syntax("unexpected end of line", column: column) }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let opener = Character(Unicode.Scalar(byte))
            let closer = byte == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            // Each level is a frame of this recursion: refuse where CPython
            // does, long before the stack ends.
            guard nesting < Lexer.maximumNesting else {
                throw ShellError.syntax("too many nested parentheses", column: column)
            }
            nesting += 1
            defer { nesting -= 1 }
            // Counted now, while the memo of columns is just behind: after
            // the items it would count again from the line's start, a level.
            let startColumn = column(at: start)
            position += 1
            var items: [Argument] = []
            while true {
                skipSpace()
                guard let next = current, next != UInt8(ascii: "#"), next != UInt8(ascii: ";") else {
                    throw ShellError.syntax("'\(opener)' was never closed", column: startColumn)
                }
                if next == closer { position += 1; break }
                if next == UInt8(ascii: ",") { throw ShellError.syntax("invalid syntax: unexpected ','", column: column) }
                items.append(try argument())
                skipSpace()
                if current == UInt8(ascii: ",") { position += 1 }
            }
            let kind: Argument.Kind = byte == UInt8(ascii: "(") ? .tuple(items) : .list(items)
            if lineCopy == nil { lineCopy = LineBytes(bytes) }
            return Argument(kind: kind, column: startColumn, line: lineCopy!, range: start..<position)
        case UInt8(ascii: ")"), UInt8(ascii: "]"):
            throw ShellError.syntax("unmatched '\(Character(Unicode.Scalar(byte)))'", column: column)
        case UInt8(ascii: ","):
            throw ShellError.syntax("invalid syntax: unexpected ','", column: column)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            sawSurrogate = false
            let value = try quoted(bytes: false)
            if sawSurrogate {
                return Argument(kind: .surrogateString(codePoints(generalizedUTF8: value)), column: column(at: start), text: text(from: start))
            }
            return Argument(kind: .string(String(decoding: value, as: UTF8.self)), column: column(at: start), text: text(from: start))
        case UInt8(ascii: "b") where peek(1) == UInt8(ascii: "'") || peek(1) == UInt8(ascii: "\""),
             UInt8(ascii: "B") where peek(1) == UInt8(ascii: "'") || peek(1) == UInt8(ascii: "\""):
            position += 1
            let value = try quoted(bytes: true)
            return Argument(kind: .bytes(value), column: column(at: start), text: text(from: start))
        default:
            while position < bytes.count, !Lexer.isWordStop(bytes[position]) { position += 1 }
            // A stop character where an argument should start ('>' inside
            // brackets, say) would otherwise be an empty word, for ever.
            guard position > start else {
                throw ShellError.syntax("invalid syntax: unexpected '\(Character(Unicode.Scalar(byte)))'", column: column)
            }
            // `alpn=h2,http/1.1`: after `key=`, outside brackets, a comma
            // joins the value's parts (it would be a syntax error anyway).
            if nesting == 0, current == UInt8(ascii: ","), Lexer.isKeywordWord(bytes[start..<position]) {
                while position < bytes.count, !Lexer.isWordStop(bytes[position]) || bytes[position] == UInt8(ascii: ",") {
                    position += 1
                }
            }
            let word = text(from: start)
            let wordColumn = column(at: start)
            return Argument(kind: try classify(word, bytes: UnsafeBufferPointer(rebasing: bytes[start..<position]), column: wordColumn),
                            column: wordColumn, text: word)
        }
    }

    private func classify(_ word: String, bytes wordBytes: UnsafeBufferPointer<UInt8>, column: Int) throws -> Argument.Kind {
        // Most words are names (socket, s, SOL_SOCKET): decide by the first
        // byte before any string comparison.
        guard let first = wordBytes.first else { return .word(word) }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "N"), UInt8(ascii: "T"), UInt8(ascii: "F"):
            break
        default:
            return .word(word)
        }
        switch word {
        case "None": return .none
        case "True": return .bool(true)
        case "False": return .bool(false)
        default: break
        }
        if word.hasPrefix("@") {
            guard word.utf8.count > 1 else { throw ShellError.syntax("expected a file name after '@'", column: column) }
            return .file(String(word.dropFirst()))
        }
        if word.hasPrefix("$") {
            let digits = word.utf8.dropFirst()
            if !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) {
                guard digits.count < 6, let number = Int(String(word.dropFirst())) else {
                    throw ShellError.syntax("no script has \(word.dropFirst()) arguments", column: column)
                }
                return .scriptArgument(number)
            }
            let parts = word.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 1, isIdentifier(parts[0]) { return .variable(String(parts[0])) }
            let field = parts.dropFirst().joined(separator: ".")
            guard parts.count >= 2, isIdentifier(parts[0]), Lexer.referenceFields.contains(field) else {
                throw ShellError.syntax("expected $NAME.port, $NAME.host, $NAME.fd, $NAME.peer (.host, .port) "
                                        + "or a script argument $N, not \(word)", column: column)
            }
            return .reference(name: String(parts[0]), field: field)
        }
        if let number = parseInteger(wordBytes) { return .integer(number) }
        switch bigIntegerDigits(wordBytes) {
        case .digits(let digits)?: return digits == String(Int.min) ? .integer(Int.min) : .bigInteger(digits)
        case .beyondConversionLimit?: return .bigInteger("")
        case .tooManyDecimalDigits(let count)?:
            throw ShellError.syntax("Exceeds the limit (\(maximumIntegerDigits) digits) for integer string conversion: value has \(count) digits; "
                                    + "use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer literals "
                                    + "to avoid decimal conversion limits.", column: column)
        case nil: break
        }
        if let number = parseFloat(word, bytes: wordBytes) { return .float(number) }
        return .word(word)
    }

    /// Reads a quoted literal with Python's escapes, returning its UTF-8
    /// (a string) or its bytes (a bytes literal, ASCII only).
    private mutating func quoted(bytes isBytes: Bool) throws -> [UInt8] {
        let start = isBytes ? position - 1 : position
        let quote = bytes[position]
        position += 1
        var result: [UInt8] = []
        func unterminated() -> ShellError {
            .syntax("unterminated \(isBytes ? "bytes" : "string") literal", column: column(at: start))
        }
        func append(scalar value: UInt32) {
            if isBytes { result.append(UInt8(truncatingIfNeeded: value)); return }
            if (0xD800...0xDFFF).contains(value) {
                // Kept in the three bytes UTF-8 would give it, were it allowed.
                result += [UInt8(0xE0 | (value >> 12)), UInt8(0x80 | ((value >> 6) & 0x3F)), UInt8(0x80 | (value & 0x3F))]
                sawSurrogate = true
                return
            }
            result.append(contentsOf: Array(String(Character(Unicode.Scalar(value) ?? "\u{FFFD}")).utf8))
        }
        while true {
            guard let byte = current else { throw unterminated() }
            position += 1
            if byte == quote { break }
            if byte != UInt8(ascii: "\\") {
                if isBytes && byte >= 0x80 {
                    throw ShellError.syntax("bytes can only contain ASCII literal characters", column: column(at: start))
                }
                result.append(byte)
                continue
            }
            guard let escape = current else { throw unterminated() }
            let escapeColumn = column(at: position - 1)
            position += 1
            switch escape {
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "a"): result.append(0x07)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "v"): result.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): result.append(escape)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = UInt32(escape - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, let next = current, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next) {
                    value = value * 8 + UInt32(next - UInt8(ascii: "0"))
                    position += 1
                    digits += 1
                }
                // A str takes the code point ('\400' is 'Ā'); bytes keep the low byte.
                append(scalar: isBytes ? value & 0xFF : value)
            case UInt8(ascii: "N") where !isBytes:
                // \N{NAME}: the character of that Unicode name or alias, any case.
                let escapeStart = position - 2
                func malformed(_ what: String) -> ShellError {
                    let end = max(escapeStart + 1, position - 1) - escapeStart
                    return .syntax("(unicode error) 'unicodeescape' codec can't decode bytes in position "
                                   + "\(escapeStart - start - 1)-\(escapeStart - start - 1 + end): \(what)", column: column(at: start))
                }
                guard current == UInt8(ascii: "{") else { throw malformed("malformed \\N character escape") }
                position += 1
                let nameStart = position
                while let next = current, next != UInt8(ascii: "}"), next != quote { position += 1 }
                guard current == UInt8(ascii: "}"), position > nameStart else { throw malformed("malformed \\N character escape") }
                let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
                position += 1
                guard let scalar = unicodeScalar(named: name) else { throw malformed("unknown Unicode character name") }
                append(scalar: scalar.value)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                if isBytes && escape != UInt8(ascii: "x") {
                    result.append(UInt8(ascii: "\\"))
                    result.append(escape)
                    continue
                }
                let width = escape == UInt8(ascii: "x") ? 2 : (escape == UInt8(ascii: "u") ? 4 : 8)
                var value: UInt32 = 0
                for _ in 0..<width {
                    guard let digit = current, let number = hexValue(Unicode.Scalar(digit)) else {
                        let letter = Character(Unicode.Scalar(escape))
                        throw ShellError.syntax("truncated \\\(letter)\(String(repeating: "X", count: width)) escape", column: escapeColumn)
                    }
                    value = value * 16 + number
                    position += 1
                }
                guard Unicode.Scalar(value) != nil || (!isBytes && (0xD800...0xDFFF).contains(value)) else {
                    throw ShellError.syntax("illegal Unicode character", column: escapeColumn)
                }
                append(scalar: value)
            default:
                // Python keeps an unknown escape as written, backslash included.
                if isBytes && escape >= 0x80 {
                    throw ShellError.syntax("bytes can only contain ASCII literal characters", column: column(at: start))
                }
                result.append(UInt8(ascii: "\\"))
                result.append(escape)
            }
        }
        return result
    }
}

/// The code points of UTF-8 in which surrogates are encoded as any other
/// three-byte character (what `quoted` makes of `'\ud800'`).
func codePoints(generalizedUTF8 bytes: [UInt8]) -> [UInt32] {
    var points: [UInt32] = []
    var index = 0
    while index < bytes.count {
        let lead = UInt32(bytes[index])
        let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + length <= bytes.count else { break }
        var value = length == 1 ? lead : lead & (0xFF >> UInt32(length + 1))
        for offset in 1..<max(length, 1) where length > 1 { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        points.append(value)
        index += length
    }
    return points
}

/// Every Unicode character name, upper-cased, built the first time a
/// `\N{...}` escape needs it. The walk skips the blocks whose names are made
/// from the code point (CJK ideographs, Hangul syllables) and Tangut's
/// ideographs, which CPython does not name, so it is a few tens of
/// thousands of characters, not all 1.1 million.
private let scalarsByName: [String: Unicode.Scalar] = {
    var table: [String: Unicode.Scalar] = [:]
    let skipped: [ClosedRange<UInt32>] = [0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xD800...0xF8FF,
                                          0x17000...0x187FF, 0x18D00...0x18D8F]
    for range: ClosedRange<UInt32> in [0...0x1FFFF, 0x2F800...0x2FA1F, 0xE0000...0xE01EF] {
        var value = range.lowerBound
        while value <= range.upperBound {
            if let skip = skipped.first(where: { $0.contains(value) }) {
                value = skip.upperBound + 1
                continue
            }
            if let scalar = Unicode.Scalar(value), let name = scalar.properties.name { table[name] = scalar }
            value += 1
        }
    }
    return table
}()

/// The CJK unified ideographs CPython 3.11 (Unicode 14) names.
private let unifiedIdeographs: [ClosedRange<UInt32>] = [0x3400...0x4DBF, 0x4E00...0x9FFF, 0x20000...0x2A6DF,
                                                        0x2A700...0x2B738, 0x2B740...0x2B81D, 0x2B820...0x2CEA1,
                                                        0x2CEB0...0x2EBE0, 0x30000...0x3134A]

/// The character `\N{NAME}` names, as CPython looks it up: a name or an
/// alias in any case, except the names made from a code point (`CJK UNIFIED
/// IDEOGRAPH-4E00`, `HANGUL SYLLABLE GA`), which CPython reads only as spelt.
func unicodeScalar(named given: String) -> Unicode.Scalar? {
    let ideograph = "CJK UNIFIED IDEOGRAPH-", syllable = "HANGUL SYLLABLE "
    if given.hasPrefix(ideograph) {
        let digits = given.dropFirst(ideograph.count)
        guard (4...5).contains(digits.count), digits.allSatisfy({ $0.isNumber || ("A"..."F").contains($0) }),
              let value = UInt32(digits, radix: 16), unifiedIdeographs.contains(where: { $0.contains(value) }) else { return nil }
        return Unicode.Scalar(value)
    }
    if given.hasPrefix(syllable) {
        for value: UInt32 in 0xAC00...0xD7A3 where Unicode.Scalar(value)?.properties.name == given { return Unicode.Scalar(value) }
        return nil
    }
    let name = given.uppercased()
    if name.hasPrefix(ideograph) || name.hasPrefix(syllable) { return nil }
    if let alias = unicodeNameAliases[name] { return Unicode.Scalar(alias) }
    return scalarsByName[name]
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

/// An integer literal's parts, its grammar checked as Python's: a sign, a
/// base prefix (`0x`, `0o`, `0b`), digits with single `_` between them (one
/// may follow the prefix: `0x_1`), no leading zero in a decimal but zeros.
struct IntegerLiteral {
    let negative: Bool
    let radix: Int
    /// Where the digits (and their underscores) begin.
    let digitsStart: Int
    /// The digits after any leading zeros.
    let significantDigits: Int

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
        var radix = 10
        if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count {
            switch bytes[index + 1] | 0x20 {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: break
            }
            if radix != 10 { index += 2 }
        }
        let digitsStart = index
        var digits = 0
        var significantDigits = 0
        // No `_` at the start; one may follow a base prefix, as in Python.
        var previousWasUnderscore = radix == 10
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "_") {
                if previousWasUnderscore { return nil }
                previousWasUnderscore = true
                continue
            }
            guard let digit = hexValue(Unicode.Scalar(byte)), Int(digit) < radix else { return nil }
            if digit != 0 || significantDigits > 0 { significantDigits += 1 }
            digits += 1
            previousWasUnderscore = false
        }
        guard digits > 0, !previousWasUnderscore else { return nil }
        // Python rejects leading zeros in decimal ("010"), except all zeros.
        if radix == 10, digits > 1, bytes[digitsStart] == UInt8(ascii: "0"), significantDigits > 0 { return nil }
        self.negative = negative
        self.radix = radix
        self.digitsStart = digitsStart
        self.significantDigits = significantDigits
    }

    /// Each digit's value, in order, underscores skipped.
    func forEachDigit(of bytes: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Void) {
        for index in digitsStart..<bytes.count where bytes[index] != UInt8(ascii: "_") {
            body(Int(hexValue(Unicode.Scalar(bytes[index]))!))
        }
    }
}

/// Python integer literals that fit an Int: `80`, `-1`, `0x1F`, `0o17`,
/// `0b101`, `1_000`; nil for anything else (a word, or one too large).
func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let literal = IntegerLiteral(bytes) else { return nil }
    var value = 0
    var overflow = false
    literal.forEachDigit(of: bytes) { digit in
        let (shifted, overflowA) = value.multipliedReportingOverflow(by: literal.radix)
        let (sum, overflowB) = shifted.addingReportingOverflow(digit)
        overflow = overflow || overflowA || overflowB
        value = sum
    }
    if overflow { return nil }
    return literal.negative ? -value : value
}

/// CPython's `sys.get_int_max_str_digits()`: a decimal literal longer than
/// this is a SyntaxError, and no int of more digits is turned into text.
let maximumIntegerDigits = 4300

enum BigInteger: Equatable {
    /// Its decimal digits, a `-` first for a negative one.
    case digits(String)
    /// A decimal literal of more than `maximumIntegerDigits` digits.
    case tooManyDecimalDigits(Int)
    /// A hex, octal or binary literal whose decimal form would pass the limit
    /// (it is never converted: that would take time quadratic in its length).
    case beyondConversionLimit
}

/// An integer literal too large for Int, in the grammar `parseInteger`
/// reads; nil for anything that is no integer literal.
func bigIntegerDigits(_ bytes: UnsafeBufferPointer<UInt8>) -> BigInteger? {
    guard let literal = IntegerLiteral(bytes) else { return nil }
    let radix = UInt64(literal.radix), significantDigits = literal.significantDigits
    if radix == 10 && significantDigits > maximumIntegerDigits { return .tooManyDecimalDigits(significantDigits) }
    // 4300 decimal digits are 14,284 bits; a few digits more than that are
    // surely past the limit (the bound is loose by less than one digit).
    let bitsPerDigit = radix == 16 ? 4 : radix == 8 ? 3 : radix == 2 ? 1 : 0
    if bitsPerDigit > 0 && (significantDigits - 1) * bitsPerDigit >= 14_285 { return .beyondConversionLimit }
    // Little-endian limbs of 10^9, multiplied by the radix a digit at a time.
    var limbs: [UInt64] = [0]
    literal.forEachDigit(of: bytes) { digit in
        var carry = UInt64(digit)
        for position in limbs.indices {
            let product = limbs[position] * radix + carry
            limbs[position] = product % 1_000_000_000
            carry = product / 1_000_000_000
        }
        if carry > 0 { limbs.append(carry) }
    }
    var text = String(limbs.last!)
    for limb in limbs.dropLast().reversed() {
        let part = String(limb)
        text += String(repeating: "0", count: 9 - part.count) + part
    }
    if text.count > maximumIntegerDigits { return .beyondConversionLimit }
    return .digits(literal.negative && text != "0" ? "-" + text : text)
}

/// Python float literals such as `2.5`, `.5`, `1e-3`, `1_000.5`, `1e1_0`.
func parseFloat(_ word: String, bytes: UnsafeBufferPointer<UInt8>) -> Double? {
    var digits = 0
    var pointOrExponent = 0
    var points = 0
    var underscores = false
    for (index, byte) in bytes.enumerated() {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "."): pointOrExponent += 1; points += 1
        case UInt8(ascii: "e"), UInt8(ascii: "E"): pointOrExponent += 1
        case UInt8(ascii: "-"), UInt8(ascii: "+"): break
        case UInt8(ascii: "_"):
            // Only between two digits, as Python's grammar has it.
            func isDigit(_ at: Int) -> Bool { at >= 0 && at < bytes.count && (0x30...0x39).contains(bytes[at]) }
            guard isDigit(index - 1), isDigit(index + 1) else { return nil }
            underscores = true
        default: return nil
        }
    }
    // Without a point or an exponent it is no float (and was no integer
    // either); a word with two points ('127.0.0.1') never is one.
    guard digits > 0, pointOrExponent > 0, points < 2 else { return nil }
    return Double(underscores ? word.filter { $0 != "_" } : word)
}

extension Lexer {
    /// One literal (str, bytes or number) as the command language reads it,
    /// so a Python line's literals mean exactly what a command's do.
    static func literal(_ text: String) throws -> Argument {
        var text = text
        return try text.withUTF8 { buffer in
            var lexer = Lexer(buffer)
            let argument = try lexer.argument()
            guard lexer.position == buffer.count else { throw ShellError.syntax("invalid syntax", column: lexer.column) }
            return argument
        }
    }
}

extension Argument {
    /// The HOST as written here: a word or string, or the first item of an
    /// address tuple; nil for any other (`$ip`, a number). The name `tls`
    /// checks a certificate against, in the session and in its export.
    var writtenHost: String? {
        var argument = self
        if case .tuple(let inner) = kind, let first = inner.first { argument = first }
        switch argument.kind {
        case .word(let text), .string(let text): return text.isEmpty ? nil : text
        default: return nil
        }
    }
}
