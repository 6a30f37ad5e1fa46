/// A value as Python's interactive shell would hold it, and so print it.
public enum Value: Equatable {
    public static func == (left: Value, right: Value) -> Bool { left.repr == right.repr }

    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case str(String)
    case bytes([UInt8])
    case tuple([Value])
    case list([Value])
    /// A dict, in insertion order as Python keeps it.
    case dict([(key: Value, value: Value)])
    /// An IntEnum member such as `<AddressFamily.AF_INET: 2>`.
    case enumMember(type: String, name: String, value: Int)
    /// Text shown as it is: socket reprs and names of sockets in `select` lists.
    case verbatim(String)

    /// The text Python's `repr()` gives for the value.
    public var repr: String {
        switch self {
        case .none: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .float(let number): return pythonFloatRepr(number)
        case .str(let text): return pythonStringRepr(text)
        case .bytes(let bytes): return pythonBytesRepr(bytes)
        case .verbatim(let text): return text
        case .tuple, .list, .dict, .enumMember:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(64)
            appendRepr(to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Containers write their items' UTF-8 into one buffer: an address is
    /// printed after every getsockname, so this is on a replayed script's
    /// hot path, and appending bytes is cheaper than appending Strings.
    private func appendRepr(to bytes: inout [UInt8]) {
        switch self {
        case .tuple(let items):
            bytes.append(UInt8(ascii: "("))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " ")) }
                item.appendRepr(to: &bytes)
            }
            if items.count == 1 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: ")"))
        case .list(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " ")) }
                item.appendRepr(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dict(let pairs):
            bytes.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: " ")) }
                pair.key.appendRepr(to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(UInt8(ascii: " "))
                pair.value.appendRepr(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case .enumMember(let type, let name, let value):
            bytes.append(contentsOf: "<\(type).\(name): \(value)>".utf8)
        case .int(let number):
            appendDecimal(number, to: &bytes)
        case .str(let text) where isPlainASCII(text):
            bytes.append(UInt8(ascii: "'"))
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "'"))
        default:
            bytes.append(contentsOf: repr.utf8)
        }
    }

    /// The text Python's `str()` gives: strings bare, everything else as repr.
    public var str: String {
        if case .str(let text) = self { return text }
        return repr
    }
}

/// Printable ASCII without a quote or backslash: its repr is itself in quotes.
private func isPlainASCII(_ string: String) -> Bool {
    func plain(_ byte: UInt8) -> Bool { (0x20..<0x7F).contains(byte) && byte != 0x27 && byte != 0x5C }
    // The contiguous bytes where the string has them: iterating the UTF8View
    // index by index cost more than the rest of an address's repr.
    return string.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(plain) } ?? string.utf8.allSatisfy(plain)
}

/// An integer's decimal digits, as `String(number)` gives them, without
/// making the String.
private func appendDecimal(_ number: Int, to bytes: inout [UInt8]) {
    if number < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = number.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // room for 20 digits, filled from the end
    withUnsafeMutableBytes(of: &digits) { buffer in
        var start = buffer.count
        repeat {
            start -= 1
            buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
    }
}

/// Python's float repr. Swift's shortest round-trip `description` follows the
/// same rules (exponent from 1e16 and below 1e-4, `inf`, `nan`, `-0.0`).
func pythonFloatRepr(_ number: Double) -> String {
    "\(number)"
}

/// Python's quote choice: single quotes unless the text has a single quote and
/// no double quote.
private func pythonQuote(containsSingle: Bool, containsDouble: Bool) -> Character {
    containsSingle && !containsDouble ? "\"" : "'"
}

/// `repr(bytes)`: printable ASCII as itself, `\t \n \r \\` and the quote
/// escaped, every other byte as `\xhh`. No byte reaches the terminal raw.
public func pythonBytesRepr(_ bytes: [UInt8]) -> String {
    let quote: UInt8 = pythonQuote(containsSingle: bytes.contains(0x27), containsDouble: bytes.contains(0x22)) == "'" ? 0x27 : 0x22
    let backslash: UInt8 = 0x5C
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = [UInt8(ascii: "b"), quote]
    text.reserveCapacity(bytes.count + 3)
    for byte in bytes {
        switch byte {
        case backslash: text += [backslash, backslash]
        case 0x09: text += [backslash, UInt8(ascii: "t")]
        case 0x0A: text += [backslash, UInt8(ascii: "n")]
        case 0x0D: text += [backslash, UInt8(ascii: "r")]
        case 0x27 where quote == 0x27: text += [backslash, 0x27]
        case 0x20..<0x7F: text.append(byte)
        default: text += [backslash, UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
        }
    }
    text.append(quote)
    return String(decoding: text, as: UTF8.self)
}

/// `repr(str)`: like bytes, but printable non-ASCII characters stay as they are.
public func pythonStringRepr(_ string: String) -> String {
    // Addresses and names are plain ASCII: nothing to escape.
    if isPlainASCII(string) { return "'" + string + "'" }
    let quote = pythonQuote(containsSingle: string.contains("'"), containsDouble: string.contains("\""))
    var text = String(quote)
    for scalar in string.unicodeScalars { appendRepr(of: scalar, quote: quote, to: &text) }
    text.append(quote)
    return text
}

/// Python's repr of a str given as code points, lone surrogates among them.
public func pythonStringRepr(codePoints: [UInt32]) -> String {
    let quote = pythonQuote(containsSingle: codePoints.contains(0x27), containsDouble: codePoints.contains(0x22))
    var text = String(quote)
    for point in codePoints {
        guard let scalar = Unicode.Scalar(point) else {
            text += "\\u" + hex(point, width: 4)
            continue
        }
        appendRepr(of: scalar, quote: quote, to: &text)
    }
    text.append(quote)
    return text
}

/// One character of a str's repr inside `quote`, as Python writes it.
@inline(__always)
private func appendRepr(of scalar: Unicode.Scalar, quote: Character, to text: inout String) {
    switch scalar {
    case "\\": text += "\\\\"
    case "\t": text += "\\t"
    case "\n": text += "\\n"
    case "\r": text += "\\r"
    case "'" where quote == "'": text += "\\'"
    default:
        if let escaped = escapedIfUnprintable(scalar) { text += escaped } else { text.unicodeScalars.append(scalar) }
    }
}

/// Python's UnicodeEncodeError for a str with a lone surrogate, which no
/// call can send, print or pass to the C library.
func surrogateError(_ codePoints: [UInt32]) -> ShellError {
    let position = codePoints.firstIndex { (0xD800...0xDFFF).contains($0) } ?? 0
    return ShellError("UnicodeEncodeError", "'utf-8' codec can't encode character '\\u\(hex(codePoints[position], width: 4))' "
                      + "in position \(position): surrogates not allowed")
}

/// Python's escape for a character `str.isprintable()` rejects, or nil when
/// the character prints as itself. Control characters, C1 controls and the
/// bidirectional overrides are never shown raw: a peer must not be able to
/// move the cursor or reorder the line.
func escapedIfUnprintable(_ scalar: Unicode.Scalar) -> String? {
    let value = scalar.value
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
        if value < 0x100 { return "\\x" + hexByte(UInt8(value)) }
        if value < 0x10000 { return "\\u" + hex(value, width: 4) }
        return "\\U" + hex(value, width: 8)
    case .spaceSeparator where value != 0x20:
        if value < 0x100 { return "\\x" + hexByte(UInt8(value)) }
        return "\\u" + hex(value, width: 4)
    default:
        return nil
    }
}

func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
