import Glibc

/// What Python itself does to the values around socket calls (SPEC section
/// 8): operators, the builtins learners use (`len`, `str`, `repr`, `int`,
/// `bytes`, ...), the methods of str and bytes, and `%`, `.format` and
/// f-string formatting, with CPython 3.11's results and its error messages.
/// Integers are 64-bit: a result past that is an OverflowError saying so,
/// never a wrapped number.
enum PythonOperations {
    // MARK: Types

    static func typeName(of value: Value) -> String {
        switch value {
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .enumMember(let type, _, _): return type
        case .float: return "float"
        case .str: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .verbatim(let text):
            if text.hasPrefix("<socket.socket") || text.hasPrefix("<socket ") { return "socket" }
            if text.hasPrefix("<module") { return "module" }
            if text.hasPrefix("<built-in method") { return "builtin_function_or_method" }
            if text.hasPrefix("<built-in function") { return "builtin_function_or_method" }
            if text.first.map({ $0 == "'" || $0 == "\"" }) == true { return "str" }
            if text.first.map({ $0 == "-" || ("0"..."9").contains($0) }) == true { return "int" }
            return "object"
        }
    }

    /// An int, bool or IntEnum member as the integer it is.
    static func integer(_ value: Value) -> Int? {
        switch value {
        case .int(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .enumMember(_, _, let number): return number
        default: return nil
        }
    }

    static func number(_ value: Value) -> Double? {
        if case .float(let number) = value { return number }
        return integer(value).map(Double.init)
    }

    static func truthy(_ value: Value) -> Bool {
        switch value {
        case .none: return false
        case .bool(let flag): return flag
        case .int(let number), .enumMember(_, _, let number): return number != 0
        case .float(let number): return number != 0
        case .str(let text): return !text.isEmpty
        case .bytes(let bytes): return !bytes.isEmpty
        case .tuple(let items), .list(let items): return !items.isEmpty
        case .dict(let pairs): return !pairs.isEmpty
        case .verbatim: return true
        }
    }

    private static func overflow() -> ShellError {
        ShellError("OverflowError", "integer past 64 bits: sockshell's Python keeps integers in 64 bits")
    }

    // MARK: Operators

    static func unary(_ operation: String, _ value: Value) throws -> Value {
        if operation == "not" { return .bool(!truthy(value)) }
        if let number = integer(value) {
            switch operation {
            case "-":
                guard number != Int.min else { throw overflow() }
                return .int(-number)
            case "+": return .int(number)
            default: return .int(~number)
            }
        }
        if case .float(let number) = value, operation != "~" { return .float(operation == "-" ? -number : number) }
        throw ShellError.type("bad operand type for unary \(operation): '\(typeName(of: value))'")
    }

    static func binary(_ operation: String, _ left: Value, _ right: Value) throws -> Value {
        switch operation {
        case "==": return .bool(equal(left, right))
        case "!=": return .bool(!equal(left, right))
        case "<", ">", "<=", ">=": return .bool(try compare(operation, left, right))
        case "in", "not in":
            let found: Bool
            switch right {
            case .str(let text):
                guard case .str(let part) = left else {
                    throw ShellError.type("'in <string>' requires string as left operand, not \(typeName(of: left))")
                }
                found = part.isEmpty || text.contains(part)
            case .bytes(let bytes):
                if let byte = integer(left) {
                    guard (0...255).contains(byte) else { throw ShellError.value("byte must be in range(0, 256)") }
                    found = bytes.contains(UInt8(byte))
                } else if case .bytes(let part) = left {
                    found = part.isEmpty || find(part, in: bytes) != nil
                } else {
                    throw ShellError.type("a bytes-like object is required, not '\(typeName(of: left))'")
                }
            case .tuple(let items), .list(let items): found = items.contains { equal($0, left) }
            case .dict(let pairs): found = pairs.contains { equal($0.key, left) }
            default: throw ShellError.type("argument of type '\(typeName(of: right))' is not iterable")
            }
            return .bool(operation == "in" ? found : !found)
        case "is": return .bool(identical(left, right))
        case "is not": return .bool(!identical(left, right))
        default: break
        }
        if let a = integer(left), let b = integer(right) {
            if let flags = combinedFlags(operation, left, right) { return flags }
            return try integerOperation(operation, a, b)
        }
        if let a = number(left), let b = number(right), ["+", "-", "*", "/", "//", "%", "**"].contains(operation) {
            return try floatOperation(operation, a, b)
        }
        switch (operation, left, right) {
        case ("+", .str(let a), .str(let b)): return .str(a + b)
        case ("+", .bytes(let a), .bytes(let b)): return .bytes(a + b)
        case ("+", .tuple(let a), .tuple(let b)): return .tuple(a + b)
        case ("+", .list(let a), .list(let b)): return .list(a + b)
        case ("+", .str, _): throw ShellError.type("can only concatenate str (not \"\(typeName(of: right))\") to str")
        case ("+", .tuple, _): throw ShellError.type("can only concatenate tuple (not \"\(typeName(of: right))\") to tuple")
        case ("+", .list, _): throw ShellError.type("can only concatenate list (not \"\(typeName(of: right))\") to list")
        case ("+", .bytes, _): throw ShellError.type("can't concat \(typeName(of: right)) to bytes")
        case ("*", _, _) where isSequence(left) || isSequence(right):
            let (sequence, times) = isSequence(left) ? (left, right) : (right, left)
            guard let count = integer(times) else {
                throw ShellError.type("can't multiply sequence by non-int of type '\(typeName(of: times))'")
            }
            return try repeated(sequence, count)
        case ("%", .str(let format), _): return .str(try percentFormat(format, right))
        case ("%", .bytes(let format), _): return .bytes(try percentFormat(format, right))
        default:
            throw ShellError.type("unsupported operand type(s) for \(operation): '\(typeName(of: left))' and '\(typeName(of: right))'")
        }
    }

    private static func isSequence(_ value: Value) -> Bool {
        switch value {
        case .str, .bytes, .tuple, .list: return true
        default: return false
        }
    }

    private static func repeated(_ sequence: Value, _ count: Int) throws -> Value {
        let times = max(0, count)
        func size(_ length: Int) throws {
            let (total, overflowed) = length.multipliedReportingOverflow(by: times)
            if overflowed || total > 1 << 30 { throw ShellError("MemoryError", "sockshell holds at most 1 GiB in one value") }
        }
        switch sequence {
        case .str(let text):
            try size(text.utf8.count)
            return .str(String(repeating: text, count: times))
        case .bytes(let bytes):
            try size(bytes.count)
            return .bytes(Array([[UInt8]](repeating: bytes, count: times).joined()))
        case .tuple(let items):
            try size(items.count)
            return .tuple(Array([[Value]](repeating: items, count: times).joined()))
        case .list(let items):
            try size(items.count)
            return .list(Array([[Value]](repeating: items, count: times).joined()))
        default:
            return sequence
        }
    }

    /// `socket.MSG_PEEK | socket.MSG_DONTWAIT` is a MsgFlag, shown as
    /// CPython's IntFlag shows it: `<MsgFlag.MSG_PEEK|MSG_DONTWAIT: 66>`.
    private static func combinedFlags(_ operation: String, _ left: Value, _ right: Value) -> Value? {
        guard operation == "|", case .enumMember(let type, let a, let x) = left, case .enumMember(type, let b, let y) = right,
              type == "MsgFlag" || type == "AddressInfo" else { return nil }
        let names = (a.split(separator: "|") + b.split(separator: "|")).map(String.init)
        var seen: Set<String> = []
        // IntFlag lists the members by value, highest bit last.
        let unique = names.filter { seen.insert($0).inserted }
            .sorted { (PythonConstants.byName[$0] ?? 0) < (PythonConstants.byName[$1] ?? 0) }
        return .enumMember(type: type, name: unique.joined(separator: "|"), value: x | y)
    }

    private static func integerOperation(_ operation: String, _ a: Int, _ b: Int) throws -> Value {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> Value {
            if result.overflow { throw overflow() }
            return .int(result.partialValue)
        }
        switch operation {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/":
            guard b != 0 else { throw ShellError("ZeroDivisionError", "division by zero") }
            return .float(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else {
                throw ShellError("ZeroDivisionError", operation == "%" ? "integer modulo by zero" : "integer division or modulo by zero")
            }
            if a == Int.min && b == -1 { throw overflow() }
            // Python rounds toward negative infinity; the remainder takes the divisor's sign.
            var quotient = a / b, remainder = a % b
            if remainder != 0 && (remainder < 0) != (b < 0) { quotient -= 1; remainder += b }
            return .int(operation == "//" ? quotient : remainder)
        case "**":
            if b < 0 {
                guard a != 0 else { throw ShellError("ZeroDivisionError", "0.0 cannot be raised to a negative power") }
                return .float(pow(Double(a), Double(b)))
            }
            var result = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let (product, overflowed) = result.multipliedReportingOverflow(by: base)
                    if overflowed { throw overflow() }
                    result = product
                }
                exponent >>= 1
                if exponent > 0 {
                    let (square, overflowed) = base.multipliedReportingOverflow(by: base)
                    if overflowed { throw overflow() }
                    base = square
                }
            }
            return .int(result)
        case "|": return .int(a | b)
        case "&": return .int(a & b)
        case "^": return .int(a ^ b)
        case "<<":
            guard b >= 0 else { throw ShellError.value("negative shift count") }
            if a == 0 { return .int(0) }
            guard b < 63, (a << b) >> b == a else { throw overflow() }
            return .int(a << b)
        case ">>":
            guard b >= 0 else { throw ShellError.value("negative shift count") }
            return .int(b >= 64 ? (a < 0 ? -1 : 0) : a >> b)
        default:
            throw ShellError.type("unsupported operand type(s) for \(operation): 'int' and 'int'")
        }
    }

    private static func floatOperation(_ operation: String, _ a: Double, _ b: Double) throws -> Value {
        switch operation {
        case "+": return .float(a + b)
        case "-": return .float(a - b)
        case "*": return .float(a * b)
        case "/":
            guard b != 0 else { throw ShellError("ZeroDivisionError", "float division by zero") }
            return .float(a / b)
        case "//", "%":
            guard b != 0 else { throw ShellError("ZeroDivisionError", operation == "%" ? "float modulo" : "float floor division by zero") }
            let quotient = (a / b).rounded(.down)
            return .float(operation == "//" ? quotient : a - quotient * b)
        default:
            if a == 0 && b < 0 { throw ShellError("ZeroDivisionError", "0.0 cannot be raised to a negative power") }
            return .float(pow(a, b))
        }
    }

    static func equal(_ left: Value, _ right: Value) -> Bool {
        if let a = integer(left), let b = integer(right) { return a == b }
        if let a = number(left), let b = number(right) { return a == b }
        switch (left, right) {
        case (.str(let a), .str(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.none, .none): return true
        case (.verbatim(let a), .verbatim(let b)): return a == b
        default: return false
        }
    }

    private static func identical(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.none, .none): return true
        case (.bool(let a), .bool(let b)): return a == b
        default: return false
        }
    }

    private static func compare(_ operation: String, _ left: Value, _ right: Value) throws -> Bool {
        func ordered<T: Comparable>(_ a: T, _ b: T) -> Bool {
            switch operation {
            case "<": return a < b
            case ">": return a > b
            case "<=": return a <= b
            default: return a >= b
            }
        }
        if let a = integer(left), let b = integer(right) { return ordered(a, b) }
        if let a = number(left), let b = number(right) { return ordered(a, b) }
        switch (left, right) {
        case (.str(let a), .str(let b)): return ordered(a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value)) ? -1 : (equal(left, right) ? 0 : 1), 0)
        case (.bytes(let a), .bytes(let b)): return ordered(a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1), 0)
        default:
            throw ShellError.type("'\(operation)' not supported between instances of '\(typeName(of: left))' and '\(typeName(of: right))'")
        }
    }

    // MARK: Indexing

    static func index(_ container: Value, _ position: Value) throws -> Value {
        if case .dict(let pairs) = container {
            guard let pair = pairs.first(where: { equal($0.key, position) }) else { throw ShellError("KeyError", position.repr) }
            return pair.value
        }
        guard let index = integer(position) else {
            let kind = typeName(of: container)
            if isSequence(container) {
                throw ShellError.type("\(kind) indices must be integers or slices, not \(typeName(of: position))")
            }
            throw ShellError.type("'\(kind)' object is not subscriptable")
        }
        let items: [Value]
        switch container {
        case .tuple(let values), .list(let values): items = values
        case .bytes(let bytes): items = bytes.map { .int(Int($0)) }
        case .str(let text): items = text.unicodeScalars.map { .str(String($0)) }
        default: throw ShellError.type("'\(typeName(of: container))' object is not subscriptable")
        }
        let resolved = index < 0 ? index + items.count : index
        guard items.indices.contains(resolved) else {
            // CPython 3.11 names every sequence but bytes.
            if case .bytes = container { throw ShellError("IndexError", "index out of range") }
            let kind = container.isStr ? "string" : typeName(of: container)
            throw ShellError("IndexError", "\(kind) index out of range")
        }
        return items[resolved]
    }

    static func slice(_ container: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        func bound(_ value: Value?) throws -> Int? {
            guard let value, value != .none else { return nil }
            guard let number = integer(value) else {
                throw ShellError.type("slice indices must be integers or None or have an __index__ method")
            }
            return number
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw ShellError.value("slice step cannot be zero") }
        func positions(_ count: Int) throws -> [Int] {
            func clamp(_ value: Int?, _ fallback: Int) -> Int {
                guard var value else { return fallback }
                if value < 0 { value += count }
                return step > 0 ? min(max(value, 0), count) : min(max(value, -1), count - 1)
            }
            let from = clamp(try bound(start), step > 0 ? 0 : count - 1)
            let to = clamp(try bound(stop), step > 0 ? count : -1)
            return Array(stride(from: from, to: to, by: step))
        }
        switch container {
        case .str(let text):
            let scalars = Array(text.unicodeScalars)
            var result = String.UnicodeScalarView()
            for position in try positions(scalars.count) { result.append(scalars[position]) }
            return .str(String(result))
        case .bytes(let bytes): return .bytes(try positions(bytes.count).map { bytes[$0] })
        case .tuple(let items): return .tuple(try positions(items.count).map { items[$0] })
        case .list(let items): return .list(try positions(items.count).map { items[$0] })
        default: throw ShellError.type("'\(typeName(of: container))' object is not subscriptable")
        }
    }

    static func length(_ value: Value) throws -> Int {
        switch value {
        case .str(let text): return text.unicodeScalars.count
        case .bytes(let bytes): return bytes.count
        case .tuple(let items), .list(let items): return items.count
        case .dict(let pairs): return pairs.count
        default: throw ShellError.type("object of type '\(typeName(of: value))' has no len()")
        }
    }

    static func find<C: Collection>(_ part: [UInt8], in bytes: C) -> Int? where C.Element == UInt8, C.Index == Int {
        guard !part.isEmpty else { return bytes.startIndex }
        guard bytes.count >= part.count else { return nil }
        var index = bytes.startIndex
        while index + part.count <= bytes.endIndex {
            if bytes[index] == part[0], bytes[index..<index + part.count].elementsEqual(part) { return index }
            index += 1
        }
        return nil
    }
}

extension Value {
    var isStr: Bool {
        if case .str = self { return true }
        return false
    }
}

// MARK: Builtins

extension PythonOperations {
    /// The builtins sockshell's Python runs.
    static let builtins: Set<String> = ["len", "str", "repr", "int", "float", "bytes", "bool", "hex", "oct", "bin", "abs",
                                        "ord", "chr", "list", "tuple", "type", "min", "max", "sum", "round", "ascii",
                                        "divmod", "pow", "bytearray", "format"]

    /// Python's builtins sockshell has no form of: a clear line, not a NameError.
    static let unsupportedBuiltins: Set<String> = ["open", "input", "range", "enumerate", "zip", "map", "filter", "sorted",
                                                   "reversed", "iter", "next", "eval", "exec", "compile", "dir", "vars",
                                                   "globals", "locals", "getattr", "setattr", "hasattr", "delattr",
                                                   "isinstance", "issubclass", "id", "hash", "callable", "dict", "set",
                                                   "frozenset", "object", "super", "property", "memoryview",
                                                   "help", "any", "all", "slice", "breakpoint", "__import__"]

    static func callBuiltin(_ name: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        func exactly(_ count: Int) throws {
            guard arguments.count == count else {
                throw ShellError.type("\(name)() takes exactly one argument (\(arguments.count) given)")
            }
        }
        func noKeywords() throws {
            if !keywords.isEmpty { throw ShellError.type("\(name)() takes no keyword arguments") }
        }
        switch name {
        case "len":
            try noKeywords()
            try exactly(1)
            return .int(try length(arguments[0]))
        case "repr", "ascii":
            try noKeywords()
            try exactly(1)
            let text = arguments[0].repr
            return .str(name == "repr" ? text : String(text.unicodeScalars.map { $0.isASCII ? String($0) : asciiEscape($0) }.joined()))
        case "str":
            guard arguments.count <= 3 else { throw ShellError.type("str() takes at most 3 arguments (\(arguments.count) given)") }
            var positional = arguments
            for (key, value) in keywords {
                guard key == "encoding" || key == "errors" else {
                    throw ShellError.type("'\(key)' is an invalid keyword argument for str()")
                }
                if key == "encoding" { positional.insert(value, at: min(1, positional.count)) } else { positional.append(value) }
            }
            guard let first = positional.first else { return .str("") }
            if positional.count == 1 { return .str(first.str) }
            guard case .bytes(let bytes) = first else {
                throw ShellError.type("decoding to str: need a bytes-like object, \(typeName(of: first)) found")
            }
            return try decode(bytes, Array(positional.dropFirst()), keywords: [])
        case "int":
            guard arguments.count <= 2 else { throw ShellError.type("int() takes at most 2 arguments (\(arguments.count) given)") }
            var base: Int?
            if arguments.count == 2 { base = integer(arguments[1]) }
            for (key, value) in keywords {
                guard key == "base" else { throw ShellError.type("'\(key)' is an invalid keyword argument for int()") }
                base = integer(value)
            }
            guard let value = arguments.first else { return .int(0) }
            return try toInteger(value, base: base)
        case "float":
            try noKeywords()
            guard arguments.count <= 1 else { throw ShellError.type("float expected at most 1 argument, got \(arguments.count)") }
            guard let value = arguments.first else { return .float(0) }
            if let number = number(value) { return .float(number) }
            if case .str(let text) = value {
                let trimmed = text.trimmingSpaces.lowercased().replacingUnderscoresBetweenDigits()
                if let number = Double(trimmed) { return .float(number) }
                for (word, number) in [("inf", Double.infinity), ("+inf", .infinity), ("-inf", -.infinity), ("infinity", .infinity),
                                       ("nan", .nan)] where trimmed == word { return .float(number) }
                throw ShellError.value("could not convert string to float: \(value.repr)")
            }
            throw ShellError.type("float() argument must be a string or a real number, not '\(typeName(of: value))'")
        case "bool":
            try noKeywords()
            return .bool(arguments.first.map(truthy) ?? false)
        case "bytes", "bytearray":
            var positional = arguments
            for (key, value) in keywords {
                guard key == "encoding" || key == "errors" || key == "source" else {
                    throw ShellError.type("'\(key)' is an invalid keyword argument for \(name)()")
                }
                positional.append(value)
            }
            guard let first = positional.first else { return .bytes([]) }
            if case .str(let text) = first {
                guard positional.count >= 2 else { throw ShellError.type("string argument without an encoding") }
                return try encode(text, Array(positional.dropFirst()), keywords: [])
            }
            if positional.count > 1 {
                throw ShellError.type(integer(first) != nil || isSequence(first) ? "encoding without a string argument" : "encoding or errors without a string argument")
            }
            if let count = integer(first) {
                guard count >= 0 else { throw ShellError.value("negative count") }
                guard count <= 1 << 30 else { throw ShellError("MemoryError", "sockshell holds at most 1 GiB in one value") }
                return .bytes([UInt8](repeating: 0, count: count))
            }
            switch first {
            case .bytes: return first
            case .tuple(let items), .list(let items):
                return .bytes(try items.map { item in
                    guard let byte = integer(item) else {
                        throw ShellError.type("'\(typeName(of: item))' object cannot be interpreted as an integer")
                    }
                    guard (0...255).contains(byte) else { throw ShellError.value("bytes must be in range(0, 256)") }
                    return UInt8(byte)
                })
            default:
                throw ShellError.type("cannot convert '\(typeName(of: first))' object to bytes")
            }
        case "hex", "oct", "bin":
            try noKeywords()
            try exactly(1)
            guard let number = integer(arguments[0]) else {
                throw ShellError.type("'\(typeName(of: arguments[0]))' object cannot be interpreted as an integer")
            }
            let radix = name == "hex" ? 16 : name == "oct" ? 8 : 2
            let prefix = name == "hex" ? "0x" : name == "oct" ? "0o" : "0b"
            return .str((number < 0 ? "-" : "") + prefix + String(number.magnitude, radix: radix))
        case "abs":
            try noKeywords()
            try exactly(1)
            if let number = integer(arguments[0]) {
                guard number != Int.min else { throw overflow() }
                return .int(abs(number))
            }
            if case .float(let number) = arguments[0] { return .float(abs(number)) }
            throw ShellError.type("bad operand type for abs(): '\(typeName(of: arguments[0]))'")
        case "ord":
            try noKeywords()
            try exactly(1)
            switch arguments[0] {
            case .str(let text) where text.unicodeScalars.count == 1: return .int(Int(text.unicodeScalars.first!.value))
            case .bytes(let bytes) where bytes.count == 1: return .int(Int(bytes[0]))
            case .str(let text):
                throw ShellError.type("ord() expected a character, but string of length \(text.unicodeScalars.count) found")
            case .bytes(let bytes): throw ShellError.type("ord() expected a character, but string of length \(bytes.count) found")
            default: throw ShellError.type("ord() expected string of length 1, but \(typeName(of: arguments[0])) found")
            }
        case "chr":
            try noKeywords()
            try exactly(1)
            guard let number = integer(arguments[0]) else {
                throw ShellError.type("'\(typeName(of: arguments[0]))' object cannot be interpreted as an integer")
            }
            guard (0...0x10FFFF).contains(number) else { throw ShellError.value("chr() arg not in range(0x110000)") }
            guard let scalar = Unicode.Scalar(UInt32(number)) else {
                throw ShellError("SyntaxError", "sockshell's str cannot hold a lone surrogate made by chr(); write it as '\\u\(String(number, radix: 16))'")
            }
            return .str(String(scalar))
        case "list", "tuple":
            try noKeywords()
            guard arguments.count <= 1 else { throw ShellError.type("\(name) expected at most 1 argument, got \(arguments.count)") }
            let items = try arguments.first.map(elements) ?? []
            return name == "list" ? .list(items) : .tuple(items)
        case "type":
            try noKeywords()
            guard arguments.count == 1 else { throw ShellError.type("type() takes 1 or 3 arguments") }
            return .verbatim("<class '\(typeName(of: arguments[0]) == "socket" ? "socket.socket" : typeName(of: arguments[0]))'>")
        case "min", "max":
            try noKeywords()
            let items = arguments.count == 1 ? try elements(arguments[0]) : arguments
            guard var best = items.first else {
                if arguments.isEmpty { throw ShellError.type("\(name) expected at least 1 argument, got 0") }
                throw ShellError.value("\(name)() arg is an empty sequence")
            }
            for item in items.dropFirst() where try compare(name == "min" ? "<" : ">", item, best) { best = item }
            return best
        case "sum":
            try noKeywords()
            guard arguments.count >= 1 else { throw ShellError.type("sum() takes at least 1 positional argument (0 given)") }
            var total = arguments.count > 1 ? arguments[1] : .int(0)
            for item in try elements(arguments[0]) { total = try binary("+", total, item) }
            return total
        case "round":
            try noKeywords()
            guard let value = arguments.first else { throw ShellError.type("round() missing required argument 'number' (pos 1)") }
            if let number = integer(value) { return .int(number) }
            guard case .float(let number) = value else {
                throw ShellError.type("type \(typeName(of: value)) doesn't define __round__ method")
            }
            if arguments.count > 1, let digits = integer(arguments[1]) {
                // As CPython: rounded from the number's exact decimal value, so
                // round(2.675, 2) is 2.67 (2.675 is 2.67499... as a double).
                if digits >= 0, digits < 300, number.isFinite {
                    return .float(Double(try format(.float(number), spec: ".\(digits)f")) ?? number)
                }
                let scale = pow(10.0, Double(digits))
                return .float((number * scale).rounded(.toNearestOrEven) / scale)
            }
            guard number.isFinite else { throw ShellError("OverflowError", "cannot convert float infinity to integer") }
            return .int(Int(number.rounded(.toNearestOrEven)))
        case "format":
            try noKeywords()
            guard (1...2).contains(arguments.count) else {
                throw ShellError.type("format expected at most 2 arguments, got \(arguments.count)")
            }
            var spec = ""
            if arguments.count == 2 {
                guard case .str(let text) = arguments[1] else {
                    throw ShellError.type("format() argument 2 must be str, not \(typeName(of: arguments[1]))")
                }
                spec = text
            }
            return .str(try format(arguments[0], spec: spec))
        case "divmod":
            try noKeywords()
            guard arguments.count == 2 else { throw ShellError.type("divmod expected 2 arguments, got \(arguments.count)") }
            return .tuple([try binary("//", arguments[0], arguments[1]), try binary("%", arguments[0], arguments[1])])
        case "pow":
            try noKeywords()
            guard arguments.count == 2 else { throw ShellError.type("pow() takes 2 arguments in sockshell's Python") }
            return try binary("**", arguments[0], arguments[1])
        default:
            throw ShellError.name(name)
        }
    }

    private static func asciiEscape(_ scalar: Unicode.Scalar) -> String {
        let value = scalar.value
        if value < 0x100 { return "\\x" + ShellCore.hex(value, width: 2) }
        if value < 0x10000 { return "\\u" + ShellCore.hex(value, width: 4) }
        return "\\U" + ShellCore.hex(value, width: 8)
    }

    /// What `list(x)` and a `for` would walk.
    static func elements(_ value: Value) throws -> [Value] {
        switch value {
        case .tuple(let items), .list(let items): return items
        case .str(let text): return text.unicodeScalars.map { .str(String($0)) }
        case .bytes(let bytes): return bytes.map { .int(Int($0)) }
        case .dict(let pairs): return pairs.map(\.key)
        default: throw ShellError.type("'\(typeName(of: value))' object is not iterable")
        }
    }

    private static func toInteger(_ value: Value, base: Int?) throws -> Value {
        if let base {
            guard base == 0 || (2...36).contains(base) else { throw ShellError.value("int() base must be >= 2 and <= 36, or 0") }
        }
        if base == nil, let number = integer(value) { return .int(number) }
        if base == nil, case .float(let number) = value {
            guard number.isFinite else {
                throw number.isNaN ? ShellError.value("cannot convert float NaN to integer")
                    : ShellError("OverflowError", "cannot convert float infinity to integer")
            }
            guard let result = Int(exactly: number.rounded(.towardZero)) else { throw overflow() }
            return .int(result)
        }
        let text: String
        switch value {
        case .str(let string): text = string
        case .bytes(let bytes): text = String(decoding: bytes, as: UTF8.self)
        default:
            if base != nil { throw ShellError.type("int() can't convert non-string with explicit base") }
            throw ShellError.type("int() argument must be a string, a bytes-like object or a real number, not '\(typeName(of: value))'")
        }
        let invalid = ShellError.value("invalid literal for int() with base \(base ?? 10): \(value.repr)")
        var digits = Substring(text.trimmingSpaces)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" { negative = sign == "-"; digits = digits.dropFirst() }
        var radix = base ?? 10
        let lowered = digits.lowercased()
        for (prefix, prefixRadix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lowered.hasPrefix(prefix) {
            if radix == prefixRadix || radix == 0 {
                radix = prefixRadix
                digits = digits.dropFirst(2)
                if digits.first == "_" { digits = digits.dropFirst() }
            }
        }
        if radix == 0 {
            radix = 10
            if digits.count > 1, digits.first == "0", digits.contains(where: { $0 != "0" && $0 != "_" }) { throw invalid }
        }
        guard !digits.isEmpty, digits.first != "_", digits.last != "_", !digits.contains("__") else { throw invalid }
        guard let magnitude = UInt(String(digits.filter { $0 != "_" }), radix: radix) else {
            if digits.allSatisfy({ $0 == "_" || $0.isHexDigit && Int(String($0), radix: 36).map { $0 < radix } == true }) {
                throw overflow()
            }
            throw invalid
        }
        if negative {
            guard magnitude <= UInt(Int.max) + 1 else { throw overflow() }
            return .int(magnitude == UInt(Int.max) + 1 ? Int.min : -Int(magnitude))
        }
        guard magnitude <= UInt(Int.max) else { throw overflow() }
        return .int(Int(magnitude))
    }
}

extension String {
    /// `1_000` as `1000`, for float() of a str (Python allows underscores between digits).
    fileprivate func replacingUnderscoresBetweenDigits() -> String {
        let characters = Array(self)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character == "_", index > 0, index + 1 < characters.count, characters[index - 1].isNumber, characters[index + 1].isNumber {
                continue
            }
            result.append(character)
        }
        return result
    }
}
