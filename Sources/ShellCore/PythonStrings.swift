import Glibc

/// The methods of str and bytes that learners call around socket calls
/// (`.encode()`, `.decode()`, `.strip()`, `.split()`, `.upper()`, ...), and
/// Python's three ways of formatting text: `%`, `str.format` and f-strings'
/// format specs, as CPython 3.11 gives them.
extension PythonOperations {
    /// `dir(str)` and `dir(bytes)` without the dunder names: what an
    /// AttributeError's "Did you mean" is chosen from.
    static let strAttributes = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    static let bytesAttributes = [
        "capitalize", "center", "count", "decode", "endswith", "expandtabs", "find", "fromhex", "hex", "index", "isalnum",
        "isalpha", "isascii", "isdigit", "islower", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip",
        "maketrans", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
        "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]
    static let intAttributes = ["as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "from_bytes",
                                "imag", "numerator", "real", "to_bytes"]

    /// The names an attribute of the value may be, for AttributeError.
    static func attributes(of value: Value) -> [String] {
        switch value {
        case .str: return strAttributes
        case .bytes: return bytesAttributes
        case .int, .bool, .enumMember: return intAttributes
        case .tuple: return ["count", "index"]
        case .list: return ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"]
        default: return []
        }
    }

    /// The code units a str or bytes method works on: a str's code points,
    /// a bytes' bytes; `make` turns units back into the same type.
    private struct Units {
        var units: [UInt32]
        let isBytes: Bool
        init(_ value: Value) {
            switch value {
            case .bytes(let bytes): units = bytes.map(UInt32.init); isBytes = true
            case .str(let text): units = text.unicodeScalars.map(\.value); isBytes = false
            default: units = []; isBytes = false
            }
        }
        func make(_ units: [UInt32]) -> Value {
            if isBytes { return .bytes(units.map { UInt8(truncatingIfNeeded: $0) }) }
            var view = String.UnicodeScalarView()
            for unit in units { if let scalar = Unicode.Scalar(unit) { view.append(scalar) } }
            return .str(String(view))
        }
        var typeName: String { isBytes ? "bytes" : "str" }
        func isSpace(_ unit: UInt32) -> Bool {
            switch unit {
            case 0x20, 0x09...0x0D: return true
            case 0x1C...0x1F, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return !isBytes
            default: return false
            }
        }
    }

    /// `VALUE.NAME(ARGS)` for a str, bytes or int value.
    static func callMethod(_ receiver: Value, _ name: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        guard case .str = receiver else {
            if case .bytes = receiver { return try sequenceMethod(receiver, name, arguments, keywords: keywords) }
            if let number = integer(receiver) { return try integerMethod(number, name, arguments, keywords: keywords) }
            throw ShellError("SyntaxError", "sockshell's Python has no \(typeName(of: receiver)).\(name)()")
        }
        return try sequenceMethod(receiver, name, arguments, keywords: keywords)
    }

    private static func integerMethod(_ number: Int, _ name: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        switch name {
        case "bit_length": return .int(number == 0 ? 0 : Int.bitWidth - number.magnitude.leadingZeroBitCount)
        case "to_bytes":
            var positional = arguments
            for (key, value) in keywords where key == "length" || key == "byteorder" { positional.append(value) }
            let length = positional.first.flatMap(integer) ?? 1
            let order = positional.count > 1 ? positional[1].str : "big"
            guard order == "big" || order == "little" else { throw ShellError.value("byteorder must be either 'little' or 'big'") }
            guard number >= 0 else { throw ShellError("OverflowError", "can't convert negative int to unsigned") }
            guard (0...8).contains(length), length == 8 || number < 1 << (8 * length) else {
                throw ShellError("OverflowError", "int too big to convert")
            }
            var bytes = (0..<length).map { UInt8(truncatingIfNeeded: number >> (8 * $0)) }
            if order == "big" { bytes.reverse() }
            return .bytes(bytes)
        default:
            throw ShellError("SyntaxError", "sockshell's Python has no int.\(name)()")
        }
    }

    private static func sequenceMethod(_ receiver: Value, _ name: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        let this = Units(receiver)
        let kind = this.typeName
        func noArguments() throws {
            if !keywords.isEmpty { throw ShellError.type("\(kind).\(name)() takes no keyword arguments") }
            if !arguments.isEmpty { throw ShellError.type("\(kind).\(name)() takes no arguments (\(arguments.count) given)") }
        }
        func noKeywords() throws {
            if !keywords.isEmpty { throw ShellError.type("\(kind).\(name)() takes no keyword arguments") }
        }
        func atMost(_ count: Int) throws {
            if arguments.count > count {
                throw ShellError.type("\(name) expected at most \(count) argument\(count == 1 ? "" : "s"), got \(arguments.count)")
            }
        }
        func atLeast(_ count: Int) throws {
            if arguments.count < count {
                throw ShellError.type("\(name)() takes at least \(count) argument\(count == 1 ? "" : "s") (\(arguments.count) given)")
            }
        }
        /// An argument of the receiver's own type.
        func same(_ value: Value, what: String = "") throws -> [UInt32] {
            switch (value, this.isBytes) {
            case (.str, false), (.bytes, true): return Units(value).units
            case (_, false): throw ShellError.type("must be str\(what), not \(typeName(of: value))")
            default: throw ShellError.type("a bytes-like object is required, not '\(typeName(of: value))'")
            }
        }
        switch name {
        case "encode" where !this.isBytes, "decode" where this.isBytes:
            var positional = arguments
            try atMost(2)
            for (key, value) in keywords {
                guard key == "encoding" || key == "errors" else {
                    throw ShellError.type("\(kind).\(name)() got an unexpected keyword argument '\(key)'")
                }
                if key == "encoding" { positional.insert(value, at: 0) } else {
                    if positional.isEmpty { positional.append(.str("utf-8")) }
                    positional.append(value)
                }
            }
            if case .str(let text) = receiver { return try encode(text, positional, keywords: []) }
            if case .bytes(let bytes) = receiver { return try decode(bytes, positional, keywords: []) }
            return receiver
        case "upper", "lower", "swapcase", "title", "capitalize", "casefold":
            try noArguments()
            if case .str(let text) = receiver {
                switch name {
                case "upper": return .str(text.uppercased())
                case "lower", "casefold": return .str(text.lowercased())
                case "capitalize": return .str(text.prefix(1).uppercased() + text.dropFirst().lowercased())
                case "title": return .str(titled(text))
                default: return .str(String(text.map { $0.isUppercase ? Character($0.lowercased()) : Character($0.uppercased()) }))
                }
            }
            func upper(_ u: UInt32) -> UInt32 { (0x61...0x7A).contains(u) ? u - 32 : u }
            func lower(_ u: UInt32) -> UInt32 { (0x41...0x5A).contains(u) ? u + 32 : u }
            switch name {
            case "upper": return this.make(this.units.map(upper))
            case "lower": return this.make(this.units.map(lower))
            case "capitalize": return this.make(this.units.prefix(1).map(upper) + this.units.dropFirst().map(lower))
            case "swapcase": return this.make(this.units.map { upper($0) != $0 ? upper($0) : lower($0) })
            default:
                guard case .bytes(let bytes) = receiver else { return receiver }
                return .bytes(Array(titled(String(decoding: bytes, as: UTF8.self)).utf8))
            }
        case "strip", "lstrip", "rstrip":
            try noKeywords()
            try atMost(1)
            let characters: [UInt32]? = try arguments.first.flatMap { $0 == .none ? nil : try same($0, what: " or None") }
            func strips(_ unit: UInt32) -> Bool { characters?.contains(unit) ?? this.isSpace(unit) }
            var slice = this.units[...]
            if name != "rstrip" { while let first = slice.first, strips(first) { slice = slice.dropFirst() } }
            if name != "lstrip" { while let last = slice.last, strips(last) { slice = slice.dropLast() } }
            return this.make(Array(slice))
        case "split", "rsplit":
            guard arguments.count <= 2 else { throw ShellError.type("\(name)() takes at most 2 arguments (\(arguments.count) given)") }
            var separator: Value = arguments.first ?? .none
            var limit = arguments.count > 1 ? arguments[1] : .int(-1)
            for (key, value) in keywords {
                switch key {
                case "sep": separator = value
                case "maxsplit": limit = value
                default: throw ShellError.type("\(kind).\(name)() got an unexpected keyword argument '\(key)'")
                }
            }
            guard let maximum = integer(limit) else {
                throw ShellError.type("'\(typeName(of: limit))' object cannot be interpreted as an integer")
            }
            let parts: [[UInt32]]
            if separator == .none {
                parts = splitOnSpace(this.units, maximum: maximum, fromRight: name == "rsplit", isSpace: this.isSpace)
            } else {
                let units = try same(separator, what: " or None")
                guard !units.isEmpty else { throw ShellError.value("empty separator") }
                parts = split(this.units, on: units, maximum: maximum, fromRight: name == "rsplit")
            }
            return .list(parts.map(this.make))
        case "splitlines":
            try noKeywords()
            try atMost(1)
            let keep = arguments.first.map(truthy) ?? false
            var lines: [[UInt32]] = []
            var current: [UInt32] = []
            var index = 0
            let units = this.units
            let breaks: Set<UInt32> = this.isBytes ? [0x0A, 0x0D] : [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
            while index < units.count {
                let unit = units[index]
                if breaks.contains(unit) {
                    var end = [unit]
                    if unit == 0x0D, index + 1 < units.count, units[index + 1] == 0x0A { end.append(0x0A); index += 1 }
                    lines.append(keep ? current + end : current)
                    current = []
                } else {
                    current.append(unit)
                }
                index += 1
            }
            if !current.isEmpty { lines.append(current) }
            return .list(lines.map(this.make))
        case "join":
            try noKeywords()
            guard arguments.count == 1 else { throw ShellError.type("\(kind).join() takes exactly one argument (\(arguments.count) given)") }
            var result: [UInt32] = []
            for (position, item) in try elements(arguments[0]).enumerated() {
                if position > 0 { result += this.units }
                switch (item, this.isBytes) {
                case (.str, false), (.bytes, true): result += Units(item).units
                case (_, false): throw ShellError.type("sequence item \(position): expected str instance, \(typeName(of: item)) found")
                default: throw ShellError.type("sequence item \(position): expected a bytes-like object, \(typeName(of: item)) found")
                }
            }
            return this.make(result)
        case "replace":
            try noKeywords()
            guard arguments.count >= 2 else { throw ShellError.type("replace expected at least 2 arguments, got \(arguments.count)") }
            guard arguments.count <= 3 else { throw ShellError.type("replace expected at most 3 arguments, got \(arguments.count)") }
            let old = try same(arguments[0]), new = try same(arguments[1])
            let count = arguments.count > 2 ? integer(arguments[2]) ?? -1 : -1
            if old.isEmpty {
                var result: [UInt32] = []
                var made = 0
                for unit in this.units {
                    if count < 0 || made < count { result += new; made += 1 }
                    result.append(unit)
                }
                if count < 0 || made < count { result += new }
                return this.make(result)
            }
            return this.make(Array(split(this.units, on: old, maximum: count, fromRight: false).joined(separator: new)))
        case "startswith", "endswith":
            try noKeywords()
            guard arguments.count >= 1 else { throw ShellError.type("\(name)() takes at least 1 argument (0 given)") }
            let candidates: [Value]
            if case .tuple(let items) = arguments[0] { candidates = items } else { candidates = [arguments[0]] }
            for candidate in candidates {
                let units: [UInt32]
                switch (candidate, this.isBytes) {
                case (.str, false), (.bytes, true): units = Units(candidate).units
                case (_, false): throw ShellError.type("\(name) first arg must be str or a tuple of str, not \(typeName(of: candidate))")
                default: throw ShellError.type("\(name) first arg must be bytes or a tuple of bytes, not \(typeName(of: candidate))")
                }
                if name == "startswith" ? this.units.starts(with: units) : this.units.reversed().starts(with: units.reversed()) {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "find", "rfind", "index", "rindex", "count":
            try noKeywords()
            guard arguments.count >= 1 else { throw ShellError.type("\(name)() takes at least 1 argument (0 given)") }
            let part: [UInt32]
            if this.isBytes, let byte = integer(arguments[0]) { part = [UInt32(byte)] } else { part = try same(arguments[0]) }
            var positions: [Int] = []
            var index = 0
            while index + part.count <= this.units.count {
                if this.units[index..<index + part.count].elementsEqual(part) {
                    positions.append(index)
                    if name == "count" { index += max(part.count, 1); continue }
                }
                index += 1
            }
            if name == "count" { return .int(positions.count) }
            let found = name.hasPrefix("r") ? positions.last : positions.first
            if let found { return .int(found) }
            if name.hasSuffix("index") { throw ShellError.value(this.isBytes ? "subsection not found" : "substring not found") }
            return .int(-1)
        case "partition", "rpartition":
            try noKeywords()
            guard arguments.count == 1 else { throw ShellError.type("\(kind).\(name)() takes exactly one argument (\(arguments.count) given)") }
            let separator = try same(arguments[0])
            guard !separator.isEmpty else { throw ShellError.value("empty separator") }
            let parts = split(this.units, on: separator, maximum: 1, fromRight: name == "rpartition")
            if parts.count == 2 { return .tuple([this.make(parts[0]), this.make(separator), this.make(parts[1])]) }
            return name == "partition" ? .tuple([receiver, this.make([]), this.make([])]) : .tuple([this.make([]), this.make([]), receiver])
        case "removeprefix", "removesuffix":
            try noKeywords()
            guard arguments.count == 1 else { throw ShellError.type("\(kind).\(name)() takes exactly one argument (\(arguments.count) given)") }
            let part = try same(arguments[0])
            if name == "removeprefix", this.units.starts(with: part) { return this.make(Array(this.units.dropFirst(part.count))) }
            if name == "removesuffix", !part.isEmpty, this.units.reversed().starts(with: part.reversed()) {
                return this.make(Array(this.units.dropLast(part.count)))
            }
            return receiver
        case "zfill":
            try noKeywords()
            guard arguments.count == 1, let width = integer(arguments[0]) else {
                throw ShellError.type("\(kind).zfill() takes exactly one argument (\(arguments.count) given)")
            }
            var units = this.units
            let fill = max(0, width - units.count)
            let signed = units.first == 0x2B || units.first == 0x2D
            units.insert(contentsOf: [UInt32](repeating: 0x30, count: fill), at: signed ? 1 : 0)
            return this.make(units)
        case "center", "ljust", "rjust":
            try noKeywords()
            guard arguments.count >= 1, arguments.count <= 2 else {
                throw ShellError.type("\(name) expected at least 1 argument, got \(arguments.count)")
            }
            guard let width = integer(arguments[0]) else {
                throw ShellError.type("'\(typeName(of: arguments[0]))' object cannot be interpreted as an integer")
            }
            let fill = arguments.count > 1 ? try same(arguments[1]) : [0x20]
            guard fill.count == 1 else { throw ShellError.type("The fill character must be exactly one character long") }
            let total = max(0, width - this.units.count)
            var left = name == "rjust" ? total : name == "ljust" ? 0 : total / 2
            // CPython's center puts the odd space on the left when the width is odd.
            if name == "center", total % 2 == 1, width % 2 == 1 { left += 1 }
            return this.make([UInt32](repeating: fill[0], count: left) + this.units + [UInt32](repeating: fill[0], count: total - left))
        case "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isascii", "isdecimal", "isnumeric":
            try noArguments()
            let units = this.units
            func digit(_ u: UInt32) -> Bool { (0x30...0x39).contains(u) }
            func alpha(_ u: UInt32) -> Bool {
                if this.isBytes || u < 0x80 { return (0x41...0x5A).contains(u) || (0x61...0x7A).contains(u) }
                return Unicode.Scalar(u)?.properties.isAlphabetic ?? false
            }
            switch name {
            case "isascii": return .bool(units.allSatisfy { $0 < 0x80 })
            case "isdigit", "isdecimal", "isnumeric": return .bool(!units.isEmpty && units.allSatisfy(digit))
            case "isalpha": return .bool(!units.isEmpty && units.allSatisfy(alpha))
            case "isalnum": return .bool(!units.isEmpty && units.allSatisfy { digit($0) || alpha($0) })
            case "isspace": return .bool(!units.isEmpty && units.allSatisfy(this.isSpace))
            case "isupper":
                return .bool(units.contains { (0x41...0x5A).contains($0) } && !units.contains { (0x61...0x7A).contains($0) })
            default:
                return .bool(units.contains { (0x61...0x7A).contains($0) } && !units.contains { (0x41...0x5A).contains($0) })
            }
        case "hex" where this.isBytes:
            try noKeywords()
            try atMost(0)
            let digits = Array("0123456789abcdef")
            return .str(String(this.units.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }))
        case "format" where !this.isBytes:
            guard case .str(let template) = receiver else { return receiver }
            return .str(try format(template, arguments, keywords: keywords))
        default:
            let known = this.isBytes ? bytesAttributes : strAttributes
            if known.contains(name) { throw ShellError("SyntaxError", "sockshell's Python has no \(kind).\(name)()") }
            throw ShellError("AttributeError", "'\(kind)' object has no attribute '\(name)'")
        }
    }

    private static func titled(_ text: String) -> String {
        var result = ""
        var previousCased = false
        for character in text {
            result += previousCased ? character.lowercased() : character.uppercased()
            previousCased = character.isLetter
        }
        return result
    }

    private static func splitOnSpace(_ units: [UInt32], maximum: Int, fromRight: Bool, isSpace: (UInt32) -> Bool) -> [[UInt32]] {
        let ordered = fromRight ? Array(units.reversed()) : units
        var parts: [[UInt32]] = []
        var index = 0
        while index < ordered.count {
            while index < ordered.count, isSpace(ordered[index]) { index += 1 }
            guard index < ordered.count else { break }
            if maximum >= 0, parts.count == maximum {
                var rest = Array(ordered[index...])
                while let last = rest.last, isSpace(last) { rest.removeLast() }
                parts.append(rest)
                break
            }
            let start = index
            while index < ordered.count, !isSpace(ordered[index]) { index += 1 }
            parts.append(Array(ordered[start..<index]))
        }
        return fromRight ? parts.reversed().map { $0.reversed() } : parts
    }

    private static func split(_ units: [UInt32], on separator: [UInt32], maximum: Int, fromRight: Bool) -> [[UInt32]] {
        let ordered = fromRight ? Array(units.reversed()) : units
        let needle = fromRight ? Array(separator.reversed()) : separator
        var parts: [[UInt32]] = []
        var start = 0, index = 0
        while index + needle.count <= ordered.count {
            if maximum >= 0, parts.count == maximum { break }
            if ordered[index..<index + needle.count].elementsEqual(needle) {
                parts.append(Array(ordered[start..<index]))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(Array(ordered[start...]))
        return fromRight ? parts.reversed().map { $0.reversed() } : parts
    }

    // MARK: Codecs

    private static func codec(_ value: Value?) throws -> String {
        guard let value else { return "utf-8" }
        guard case .str(let name) = value else {
            throw ShellError.type("encode() argument 'encoding' must be str, not \(typeName(of: value))")
        }
        switch String(name.lowercased().map { $0 == "_" ? "-" : $0 }) {
        case "utf-8", "utf8", "u8", "utf", "cp65001": return "utf-8"
        case "ascii", "us-ascii", "646": return "ascii"
        case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "l1", "cp819", "latin": return "latin-1"
        default: throw ShellError("LookupError", "unknown encoding: \(name)")
        }
    }

    private static func character(_ unit: UInt32) -> String {
        unit < 0x100 ? "\\x" + hex(unit, width: 2) : unit < 0x10000 ? "\\u" + hex(unit, width: 4) : "\\U" + hex(unit, width: 8)
    }

    static func encode(_ text: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        let name = try codec(arguments.first)
        let errors = arguments.count > 1 ? arguments[1].str : "strict"
        if name == "utf-8" { return .bytes(Array(text.utf8)) }
        let limit: UInt32 = name == "ascii" ? 0x80 : 0x100
        let units = text.unicodeScalars.map(\.value)
        var result: [UInt8] = []
        var index = 0
        while index < units.count {
            let unit = units[index]
            if unit < limit { result.append(UInt8(unit)); index += 1; continue }
            switch errors {
            case "ignore": index += 1; continue
            case "replace": result.append(0x3F); index += 1; continue
            default:
                var end = index
                while end < units.count, units[end] >= limit { end += 1 }
                let place = end - index == 1 ? "character '\(character(unit))' in position \(index)"
                    : "characters in position \(index)-\(end - 1)"
                throw ShellError("UnicodeEncodeError", "'\(name)' codec can't encode \(place): ordinal not in range(\(limit))")
            }
        }
        return .bytes(result)
    }

    static func decode(_ bytes: [UInt8], _ arguments: [Value], keywords: [(String, Value)]) throws -> Value {
        let name = try codec(arguments.first)
        let errors = arguments.count > 1 ? arguments[1].str : "strict"
        switch name {
        case "latin-1":
            return .str(String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })))
        case "ascii":
            var view = String.UnicodeScalarView()
            for (position, byte) in bytes.enumerated() {
                if byte < 0x80 { view.append(Unicode.Scalar(byte)); continue }
                switch errors {
                case "ignore": continue
                case "replace": view.append("\u{FFFD}")
                default:
                    throw ShellError("UnicodeDecodeError", "'ascii' codec can't decode byte 0x\(hexByte(byte)) in position \(position): ordinal not in range(128)")
                }
            }
            return .str(String(view))
        default:
            if errors == "strict" { return .str(try decodeUTF8Strictly(bytes)) }
            var result = ""
            var rest = bytes[...]
            while !rest.isEmpty {
                if let text = String(validating: rest, as: UTF8.self) { result += text; break }
                guard let (start, end, _) = firstInvalidUTF8(Array(rest)) else { break }
                result += String(decoding: rest.prefix(start), as: UTF8.self)
                if errors == "replace" { result += "\u{FFFD}" }
                rest = rest.dropFirst(end)
            }
            return .str(result)
        }
    }
}

// MARK: Formatting

extension PythonOperations {
    /// `FORMAT % VALUES` for str (and bytes, through its UTF-8).
    static func percentFormat(_ format: [UInt8], _ values: Value) throws -> [UInt8] {
        Array(try percentFormat(String(decoding: format, as: UTF8.self), values, bytes: true).utf8)
    }

    static func percentFormat(_ format: String, _ values: Value, bytes: Bool = false) throws -> String {
        let characters = Array(format.unicodeScalars)
        var items: [Value]
        var mapping: [(key: Value, value: Value)]?
        switch values {
        case .tuple(let tuple): items = tuple
        case .dict(let pairs): items = [values]; mapping = pairs
        default: items = [values]
        }
        var next = 0
        var result = ""
        var index = 0
        func take() throws -> Value {
            guard next < items.count else { throw ShellError.type("not enough arguments for format string") }
            next += 1
            return items[next - 1]
        }
        while index < characters.count {
            let c = characters[index]
            guard c == "%" else { result.unicodeScalars.append(c); index += 1; continue }
            index += 1
            guard index < characters.count else { throw ShellError.value("incomplete format") }
            var argument: Value?
            if characters[index] == "(" {
                guard let pairs = mapping else { throw ShellError.type("format requires a mapping") }
                var end = index + 1
                while end < characters.count, characters[end] != ")" { end += 1 }
                guard end < characters.count else { throw ShellError.value("incomplete format key") }
                let key = Value.str(String(String.UnicodeScalarView(characters[(index + 1)..<end])))
                guard let pair = pairs.first(where: { equal($0.key, key) }) else { throw ShellError("KeyError", key.repr) }
                argument = pair.value
                index = end + 1
            }
            var flags = Set<Unicode.Scalar>()
            while index < characters.count, "-+ #0".unicodeScalars.contains(characters[index]) { flags.insert(characters[index]); index += 1 }
            var width = 0
            if index < characters.count, characters[index] == "*" {
                guard let number = integer(try take()) else { throw ShellError.type("* wants int") }
                width = number
                index += 1
            }
            while index < characters.count, ("0"..."9").contains(characters[index]) {
                width = width * 10 + Int(characters[index].value - 48)
                index += 1
            }
            var precision: Int?
            if index < characters.count, characters[index] == "." {
                index += 1
                precision = 0
                if index < characters.count, characters[index] == "*" {
                    guard let number = integer(try take()) else { throw ShellError.type("* wants int") }
                    precision = number
                    index += 1
                }
                while index < characters.count, ("0"..."9").contains(characters[index]) {
                    precision = precision! * 10 + Int(characters[index].value - 48)
                    index += 1
                }
            }
            while index < characters.count, "hlL".unicodeScalars.contains(characters[index]) { index += 1 }
            guard index < characters.count else { throw ShellError.value("incomplete format") }
            let conversion = characters[index]
            index += 1
            if conversion == "%" { result += "%"; continue }
            let value = try argument ?? take()
            var spec = FormatSpec()
            spec.sign = flags.contains("+") ? "+" : flags.contains(" ") ? " " : "-"
            spec.alternate = flags.contains("#")
            spec.zero = flags.contains("0") && !flags.contains("-")
            // The 0 flag pads a number after its sign; else % pads on the left.
            spec.align = flags.contains("-") ? "<" : spec.zero ? nil : ">"
            spec.width = width
            spec.precision = precision
            let text: String
            switch conversion {
            case "s", "r", "a", "b":
                if conversion == "b" && !bytes {
                    throw ShellError.value("unsupported format character 'b' (0x62) at index \(index - 1)")
                }
                var shown: String
                if conversion == "s" || conversion == "b" {
                    if bytes {
                        guard case .bytes(let data) = value else {
                            throw ShellError.type("%b requires a bytes-like object, or an object that implements __bytes__, not '\(typeName(of: value))'")
                        }
                        shown = String(decoding: data, as: UTF8.self)
                    } else {
                        shown = value.str
                    }
                } else {
                    shown = value.repr
                }
                if let precision { shown = String(String.UnicodeScalarView(shown.unicodeScalars.prefix(precision))) }
                spec.zero = false
                spec.align = spec.align ?? ">"
                text = pad(shown, spec, numeric: false)
            case "d", "i", "u", "x", "X", "o":
                var number = integer(value)
                if number == nil, case .float(let real) = value, "diu".unicodeScalars.contains(conversion) {
                    guard real.isFinite else { throw ShellError("OverflowError", "cannot convert float infinity to integer") }
                    number = Int(exactly: real.rounded(.towardZero))
                }
                guard let number else {
                    let needs = "diu".unicodeScalars.contains(conversion) ? "a real number" : "an integer"
                    throw ShellError.type("%\(conversion) format: \(needs) is required, not \(typeName(of: value))")
                }
                spec.type = conversion == "u" || conversion == "i" ? "d" : Character(conversion)
                if conversion == "o", !spec.alternate { spec.type = "o" }
                text = try formatInteger(number, spec)
            case "e", "E", "f", "F", "g", "G":
                guard let real = number(value) else { throw ShellError.type("must be real number, not \(typeName(of: value))") }
                spec.type = Character(conversion)
                if spec.precision == nil { spec.precision = 6 }
                text = formatFloat(real, spec)
            case "c":
                if let code = integer(value) {
                    guard let scalar = Unicode.Scalar(UInt32(clamping: max(0, code))), code >= 0, code <= 0x10FFFF else {
                        throw ShellError("OverflowError", "%c arg not in range(0x110000)")
                    }
                    text = pad(String(scalar), spec, numeric: false)
                } else if case .str(let one) = value, one.unicodeScalars.count == 1 {
                    text = pad(one, spec, numeric: false)
                } else {
                    throw ShellError.type("%c requires int or char")
                }
            default:
                let hex = String(conversion.value, radix: 16)
                throw ShellError.value("unsupported format character '\(conversion)' (0x\(hex)) at index \(index - 1)")
            }
            result += text
        }
        if mapping == nil, next < items.count {
            throw ShellError.type("not all arguments converted during string formatting")
        }
        return result
    }

    struct FormatSpec {
        var fill: Character = " "
        var align: Character?
        var sign: Character = "-"
        var alternate = false
        var zero = false
        var width = 0
        var grouping: Character?
        var precision: Int?
        var type: Character?
    }

    /// The format-spec mini-language: `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
    static func parseSpec(_ text: String) throws -> FormatSpec {
        var spec = FormatSpec()
        var characters = Array(text)[...]
        let aligns: Set<Character> = ["<", ">", "^", "="]
        if characters.count >= 2, aligns.contains(characters[characters.startIndex + 1]) {
            spec.fill = characters.first!
            spec.align = characters[characters.startIndex + 1]
            characters = characters.dropFirst(2)
        } else if let first = characters.first, aligns.contains(first) {
            spec.align = first
            characters = characters.dropFirst()
        }
        if let first = characters.first, first == "+" || first == "-" || first == " " { spec.sign = first; characters = characters.dropFirst() }
        if characters.first == "#" { spec.alternate = true; characters = characters.dropFirst() }
        if characters.first == "0" { spec.zero = true; characters = characters.dropFirst() }
        var width = ""
        while let first = characters.first, first.isASCII, first.isNumber { width.append(first); characters = characters.dropFirst() }
        spec.width = Int(width) ?? 0
        if let first = characters.first, first == "," || first == "_" { spec.grouping = first; characters = characters.dropFirst() }
        if characters.first == "." {
            characters = characters.dropFirst()
            var digits = ""
            while let first = characters.first, first.isASCII, first.isNumber { digits.append(first); characters = characters.dropFirst() }
            guard let precision = Int(digits) else { throw ShellError.value("Format specifier missing precision") }
            spec.precision = precision
        }
        if let first = characters.first { spec.type = first; characters = characters.dropFirst() }
        guard characters.isEmpty else { throw ShellError.value("Invalid format specifier '\(text)' for object of type 'str'") }
        return spec
    }

    /// `format(value, spec)`, as an f-string field or `str.format` applies it.
    static func format(_ value: Value, spec text: String) throws -> String {
        let spec = try parseSpec(text)
        func unknown() -> ShellError {
            ShellError.value("Unknown format code '\(spec.type.map(String.init) ?? "")' for object of type '\(typeName(of: value))'")
        }
        switch value {
        case .str(let string):
            guard spec.type == nil || spec.type == "s" else { throw unknown() }
            if spec.sign != "-" { throw ShellError.value("Sign not allowed in string format specifier") }
            var shown = string
            if let precision = spec.precision { shown = String(String.UnicodeScalarView(shown.unicodeScalars.prefix(precision))) }
            var spec = spec
            if spec.align == nil { spec.align = "<" }
            return pad(shown, spec, numeric: false)
        case .float(let real):
            guard spec.type == nil || "eEfFgG%n".contains(spec.type!) else { throw unknown() }
            if spec.type == nil, spec.precision == nil { return pad(group(pythonFloatRepr(real), spec.grouping), spec, numeric: true, sign: real.sign == .minus) }
            return formatFloat(real, spec)
        default:
            if let number = integer(value), case .bool = value, spec.type == nil, text.isEmpty { return number == 1 ? "True" : "False" }
            if let number = integer(value) {
                if let type = spec.type, "eEfFgG%".contains(type) { return formatFloat(Double(number), spec) }
                guard spec.type == nil || "dbxXocn".contains(spec.type!) else { throw unknown() }
                if spec.type == "c" {
                    guard let scalar = Unicode.Scalar(UInt32(clamping: max(0, number))) else {
                        throw ShellError("OverflowError", "%c arg not in range(0x110000)")
                    }
                    return pad(String(scalar), spec, numeric: false)
                }
                return try formatInteger(number, spec)
            }
            guard text.isEmpty else {
                throw ShellError.type("unsupported format string passed to \(typeName(of: value)).__format__")
            }
            return value.str
        }
    }

    private static func group(_ digits: String, _ separator: Character?) -> String {
        guard let separator else { return digits }
        var integral = Substring(digits)
        var sign = ""
        if integral.first == "-" { sign = "-"; integral = integral.dropFirst() }
        var rest = ""
        if let point = integral.firstIndex(where: { !$0.isNumber }) { rest = String(integral[point...]); integral = integral[..<point] }
        var grouped = ""
        for (index, digit) in integral.enumerated() {
            if index > 0, (integral.count - index) % 3 == 0 { grouped.append(separator) }
            grouped.append(digit)
        }
        return sign + grouped + rest
    }

    private static func formatInteger(_ number: Int, _ spec: FormatSpec) throws -> String {
        let radix: Int, prefix: String
        switch spec.type {
        case "x": radix = 16; prefix = "0x"
        case "X": radix = 16; prefix = "0X"
        case "o": radix = 8; prefix = "0o"
        case "b": radix = 2; prefix = "0b"
        default: radix = 10; prefix = ""
        }
        var digits = String(number.magnitude, radix: radix)
        if spec.type == "X" { digits = digits.uppercased() }
        if radix == 10 { digits = group(digits, spec.grouping) }
        return pad(digits, spec, numeric: true, sign: number < 0, prefix: spec.alternate ? prefix : "")
    }

    private static func formatFloat(_ real: Double, _ spec: FormatSpec) -> String {
        var spec = spec
        var type = spec.type ?? "g"
        var value = abs(real)
        var suffix = ""
        if type == "%" { value *= 100; type = "f"; suffix = "%" }
        if type == "n" { type = "g" }
        let precision = spec.precision ?? 6
        var text: String
        if !value.isFinite {
            text = value.isNaN ? "nan" : "inf"
            if type.isUppercase { text = text.uppercased() }
        } else {
            var buffer = [CChar](repeating: 0, count: 512)
            let format = "%" + (spec.alternate ? "#" : "") + ".*" + String(type)
            _ = withVaList([Int32(min(precision, 400)), value]) { vsnprintf(&buffer, buffer.count, format, $0) }
            text = String(cString: buffer)
            // Python's format without a type: like 'g', but keeps a digit after the point.
            if spec.type == nil, !text.contains("."), !text.contains("e") { text += ".0" }
        }
        spec.zero = spec.zero && value.isFinite
        return pad(group(text, spec.grouping) + suffix, spec, numeric: true, sign: real.sign == .minus && !(real.isNaN))
    }

    /// Pads to the width: numbers right-aligned and zero-padded after the
    /// sign when asked (`=`), text left-aligned unless told.
    /// `prefix` (`0x`) goes with the sign, before any zeros: `'{:#06x}'` is `0x00ff`.
    private static func pad(_ body: String, _ spec: FormatSpec, numeric: Bool, sign negative: Bool = false,
                            prefix: String = "") -> String {
        var signText = ""
        if numeric {
            if negative { signText = "-" } else if spec.sign == "+" { signText = "+" } else if spec.sign == " " { signText = " " }
        }
        signText += prefix
        let length = signText.unicodeScalars.count + body.unicodeScalars.count
        guard spec.width > length else { return signText + body }
        let missing = spec.width - length
        var fill = spec.fill, align = spec.align ?? (numeric ? ">" : "<")
        if spec.zero && spec.align == nil { fill = "0"; align = numeric ? "=" : "<" }
        if spec.zero && spec.align == nil && !numeric { fill = "0" }
        let padding = { (count: Int) in String(repeating: String(fill), count: count) }
        switch align {
        case "<": return signText + body + padding(missing)
        case "^": return padding(missing / 2) + signText + body + padding(missing - missing / 2)
        case "=": return signText + padding(missing) + body
        default: return padding(missing) + signText + body
        }
    }

    /// `TEMPLATE.format(ARGS, KEY=VALUE)`.
    static func format(_ template: String, _ arguments: [Value], keywords: [(String, Value)]) throws -> String {
        let characters = Array(template)
        var result = ""
        var index = 0
        var automatic: Int?
        var manual = false
        while index < characters.count {
            let c = characters[index]
            if c == "}" {
                guard index + 1 < characters.count, characters[index + 1] == "}" else {
                    throw ShellError.value("Single '}' encountered in format string")
                }
                result.append("}")
                index += 2
                continue
            }
            guard c == "{" else { result.append(c); index += 1; continue }
            if index + 1 < characters.count, characters[index + 1] == "{" { result.append("{"); index += 2; continue }
            var end = index + 1
            var depth = 1
            while end < characters.count {
                if characters[end] == "{" { depth += 1 }
                if characters[end] == "}" { depth -= 1; if depth == 0 { break } }
                end += 1
            }
            guard end < characters.count else {
                throw ShellError.value(index + 1 == characters.count ? "Single '{' encountered in format string" : "expected '}' before end of string")
            }
            let field = String(characters[(index + 1)..<end])
            index = end + 1
            let (name, conversion, spec) = try splitField(field)
            let value: Value
            if name.isEmpty {
                if manual { throw ShellError.value("cannot switch from manual field specification to automatic field numbering") }
                let position = automatic ?? 0
                automatic = position + 1
                guard position < arguments.count else {
                    throw ShellError("IndexError", "Replacement index \(position) out of range for positional args tuple")
                }
                value = arguments[position]
            } else if let position = Int(name) {
                if automatic != nil { throw ShellError.value("cannot switch from automatic field numbering to manual field specification") }
                manual = true
                guard position < arguments.count else {
                    throw ShellError("IndexError", "Replacement index \(position) out of range for positional args tuple")
                }
                value = arguments[position]
            } else {
                guard let pair = keywords.first(where: { $0.0 == name }) else {
                    if name.contains(where: { $0 == "." || $0 == "[" }) {
                        throw ShellError("SyntaxError", "sockshell's str.format reads {}, {N} and {NAME} fields only")
                    }
                    throw ShellError("KeyError", pythonStringRepr(name))
                }
                value = pair.1
            }
            result += try format(convert(value, conversion), spec: spec)
        }
        return result
    }

    /// A field's `NAME!CONVERSION:SPEC`.
    static func splitField(_ field: String) throws -> (name: String, conversion: Character?, spec: String) {
        var name = field, spec = "", conversion: Character?
        if let colon = name.firstIndex(of: ":") {
            spec = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        if spec.contains("{") { throw ShellError("SyntaxError", "sockshell's format specs take no nested {} fields") }
        if let bang = name.firstIndex(of: "!") {
            let rest = name[name.index(after: bang)...]
            guard rest.count == 1, let letter = rest.first, "rsa".contains(letter) else {
                throw ShellError.value(rest.isEmpty ? "end of string while looking for conversion specifier"
                                       : "Unknown conversion specifier \(rest)")
            }
            conversion = letter
            name = String(name[..<bang])
        }
        return (name, conversion, spec)
    }

    static func convert(_ value: Value, _ conversion: Character?) throws -> Value {
        switch conversion {
        case "r"?: return .str(value.repr)
        case "a"?: return try callBuiltin("ascii", [value], keywords: [])
        case "s"?: return .str(value.str)
        default: return value
        }
    }
}
