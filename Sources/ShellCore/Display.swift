import Glibc

/// How a value is shown at the top level, after `set display`.
///
/// Only bytes change with the mode; every mode escapes control bytes, so a
/// peer cannot write escape sequences to the user's terminal.
func displayText(_ value: Value, mode: DisplayMode) -> String {
    if case .verbatim(let text) = value {
        // Tables and socket reprs can hold a peer's Unix path: escape its
        // control characters (Python would print them raw; a terminal must not).
        if text.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A }) { return text }
        return escapedText(Array(text.utf8), escapingBackslash: false)
    }
    guard case .bytes(let bytes) = value else { return value.repr }
    switch mode {
    case .repr: return value.repr
    case .hex: return hexDump(bytes)
    case .text: return escapedText(bytes)
    }
}

/// `hexdump -C`: offset, sixteen bytes in two groups of eight, the printable
/// ASCII between bars, and the total length last.
public func hexDump(_ bytes: [UInt8]) -> String {
    var text = ""
    hexDump(bytes, piece: Int.max) { text = $0 }
    return text
}

/// The dump of `hexDump(_:)`, handed over in pieces of whole lines of about
/// `piece` bytes of text each (the last without its newline), so a dump of
/// 256 MiB is never one string of a gigabyte.
public func hexDump(_ bytes: [UInt8], piece: Int, _ emit: (String) -> Void) {
    let digits = Array("0123456789abcdef".utf8)
    var line = [UInt8]()
    line.reserveCapacity(min(piece, 1 << 20) + 80)
    func appendOffset(_ value: Int) {
        // At least eight digits, more past 4 GiB, as hexdump prints them.
        var width = 8
        while width < 16, value >> (width * 4) != 0 { width += 1 }
        for shift in stride(from: (width - 1) * 4, through: 0, by: -4) { line.append(digits[(value >> shift) & 0xF]) }
    }
    bytes.withUnsafeBufferPointer { bytes in
        var offset = 0
        var collapsing = false
        while offset < bytes.count {
            let count = min(16, bytes.count - offset)
            // Like hexdump -C: a full row equal to the one before is shown once as '*'.
            if count == 16, offset >= 16, memcmp(bytes.baseAddress! + offset, bytes.baseAddress! + offset - 16, 16) == 0 {
                if !collapsing { line.append(UInt8(ascii: "*")); line.append(0x0A) }
                collapsing = true
                offset += 16
                continue
            }
            collapsing = false
            appendOffset(offset)
            line.append(0x20); line.append(0x20)
            for column in 0..<16 {
                if column < count {
                    let byte = bytes[offset + column]
                    line.append(digits[Int(byte >> 4)]); line.append(digits[Int(byte & 0xF)]); line.append(0x20)
                } else {
                    line.append(0x20); line.append(0x20); line.append(0x20)
                }
                if column == 7 { line.append(0x20) }
            }
            line.append(0x20); line.append(UInt8(ascii: "|"))
            for column in 0..<count {
                let byte = bytes[offset + column]
                line.append((0x20..<0x7F).contains(byte) ? byte : UInt8(ascii: "."))
            }
            line.append(UInt8(ascii: "|")); line.append(0x0A)
            offset += 16
            if line.count >= piece {
                line.removeLast()
                emit(String(decoding: line, as: UTF8.self))
                line.removeAll(keepingCapacity: true)
            }
        }
        appendOffset(bytes.count)
        emit(String(decoding: line, as: UTF8.self))
    }
}

/// The bytes decoded as UTF-8, newlines and tabs kept (unless
/// `keepingLineBreaks` is false: a table cell or a repr stays on one line),
/// every other control character, invalid byte and bidirectional override
/// escaped as in a repr.
public func escapedText(_ bytes: [UInt8], escapingBackslash: Bool = true, keepingLineBreaks: Bool = true) -> String {
    var text = ""
    var index = 0
    while index < bytes.count {
        let (scalar, length) = decodeUTF8(bytes, at: index)
        if let scalar {
            if scalar == "\n" || scalar == "\t" {
                // Escaped as a repr escapes them.
                text += keepingLineBreaks ? String(scalar) : scalar == "\n" ? "\\n" : "\\t"
            } else if scalar == "\r" {
                text += "\\r"
            } else if scalar == "\\" && escapingBackslash {
                text += "\\\\"
            } else if let escaped = escapedIfUnprintable(scalar) {
                text += escaped
            } else {
                text.unicodeScalars.append(scalar)
            }
        } else {
            text += "\\x" + hexByte(bytes[index])
        }
        index += length
    }
    return text
}

/// Text a peer chose (a Unix path) as one line: every control character escaped.
func escapedLine(_ text: String) -> String {
    // Most cells are printable ASCII (addresses, names): nothing to escape.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
    return escapedText(Array(text.utf8), escapingBackslash: false, keepingLineBreaks: false)
}

/// One UTF-8 sequence at `index`: the scalar and its length, or nil and 1
/// for a byte that does not start a valid sequence.
func decodeUTF8(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar?, Int) {
    let lead = bytes[index]
    if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
    let length: Int
    var value: UInt32
    switch lead {
    case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
    case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
    case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
    default: return (nil, 1)
    }
    guard index + length <= bytes.count else { return (nil, 1) }
    for offset in 1..<length {
        let byte = bytes[index + offset]
        guard byte & 0xC0 == 0x80 else { return (nil, 1) }
        value = value << 6 | UInt32(byte & 0x3F)
    }
    let minimum: UInt32 = [0, 0, 0x80, 0x800, 0x10000][length]
    guard value >= minimum, let scalar = Unicode.Scalar(value) else { return (nil, 1) }
    return (scalar, length)
}
