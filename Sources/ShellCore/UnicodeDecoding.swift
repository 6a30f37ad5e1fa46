/// Bytes from the C library (a name in /etc/hosts, a canonical name) as
/// CPython turns them into a str: strict UTF-8, and on an invalid sequence
/// the `UnicodeDecodeError` its decoder raises, with the same position and
/// reason (Objects/stringlib/codecs.h, `utf8_decode`), where Swift would put
/// U+FFFD in silently.
func decodeUTF8Strictly(_ bytes: [UInt8]) throws -> String {
    // Swift's validation and CPython's accept the same sequences (no
    // surrogates, no overlong forms, nothing past U+10FFFF).
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    guard let (start, end, reason) = firstInvalidUTF8(bytes) else { return String(decoding: bytes, as: UTF8.self) }
    let place = end - start == 1
        ? "byte 0x\(hexByte(bytes[start])) in position \(start)"
        : "bytes in position \(start)-\(end - 1)"
    throw ShellError("UnicodeDecodeError", "'utf-8' codec can't decode \(place): \(reason)")
}

/// Where CPython's decoder stops: the range it reports and why.
func firstInvalidUTF8<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> (start: Int, end: Int, reason: String)?
    where Bytes.Element == UInt8, Bytes.Index == Int {
    func continuation(_ index: Int) -> Bool { bytes[index] & 0xC0 == 0x80 }
    let count = bytes.count
    var index = 0
    while index < count {
        let lead = bytes[index]
        let left = count - index
        let endOfData = (index, count, "unexpected end of data")
        // The lead byte and the (k - 1) good bytes after it, then a bad one.
        func badContinuation(_ k: Int) -> (Int, Int, String) { (index, index + k, "invalid continuation byte") }
        switch lead {
        case 0..<0x80:
            index += 1
        case 0x80..<0xC2:
            return (index, index + 1, "invalid start byte")
        case 0xC2..<0xE0:
            if left < 2 { return endOfData }
            if !continuation(index + 1) { return badContinuation(1) }
            index += 2
        case 0xE0..<0xF0:
            if left < 2 { return endOfData }
            let second = bytes[index + 1]
            // E0 needs A0-BF after it (no overlong forms), ED 80-9F (no surrogates).
            if !continuation(index + 1) || (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second >= 0xA0) {
                return badContinuation(1)
            }
            if left < 3 { return endOfData }
            if !continuation(index + 2) { return badContinuation(2) }
            index += 3
        case 0xF0..<0xF5:
            if left < 2 { return endOfData }
            let second = bytes[index + 1]
            // F0 needs 90-BF after it (no overlong forms), F4 80-8F (nothing past U+10FFFF).
            if !continuation(index + 1) || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second >= 0x90) {
                return badContinuation(1)
            }
            if left < 3 { return endOfData }
            if !continuation(index + 2) { return badContinuation(2) }
            if left < 4 { return endOfData }
            if !continuation(index + 3) { return badContinuation(3) }
            index += 4
        default:
            return (index, index + 1, "invalid start byte")
        }
    }
    return nil
}
