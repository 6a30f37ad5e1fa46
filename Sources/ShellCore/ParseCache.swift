import Glibc

/// The commands of recently run script lines, by the line's bytes.
///
/// Lexing is a pure function of a line's text (`$NAME.port` is read when the
/// command runs, not when it is lexed) and what it makes is immutable, so a
/// line seen again can run what was made the first time. Scripts repeat
/// lines (a lesson's `recv c 1024`, a generated load), and for those the
/// runner skips the lexer, as CPython compiles a loop's body once. It is
/// small: 128 two-way sets of the most recent lines, a line kept only when
/// seen a second time, lines longer than `longestLine` never kept.
struct ParseCache {
    private static let slotCount = 256
    private static let longestLine = 200

    private var slots = [Slot?](repeating: nil, count: ParseCache.slotCount)
    /// Hashes of lines lexed once and not kept.
    private var seen = [UInt64](repeating: 0, count: ParseCache.slotCount)

    private struct Slot {
        let line: [UInt8]
        let commands: [ParsedCommand]

        func holds(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
            guard line.count == other.count else { return false }
            return line.withUnsafeBufferPointer { kept in
                guard let keptBase = kept.baseAddress, let base = other.baseAddress else { return true }  // both empty
                return memcmp(keptBase, base, other.count) == 0
            }
        }
    }

    /// The line's commands, from the cache or from the lexer. A line that
    /// does not lex throws, and is not kept.
    mutating func commands(for line: UnsafeBufferPointer<UInt8>) throws -> [ParsedCommand] {
        guard line.count <= ParseCache.longestLine else { return try Lexer.parse(utf8: line) }
        // FNV-1a: a line is short, and a keyed hash costs more than lexing saves
        // on a line seen once.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in line { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        // Two-way sets: the line's pair of slots, the newer first.
        let first = Int(truncatingIfNeeded: (hash ^ hash >> 32) % UInt64(ParseCache.slotCount)) & ~1
        if let slot = slots[first], slot.holds(line) { return slot.commands }
        if let slot = slots[first + 1], slot.holds(line) {
            slots.swapAt(first, first + 1)
            return slot.commands
        }
        let commands = try Lexer.parse(utf8: line)
        // Kept from its second sighting on: a script of distinct lines pays
        // for a hash, not for copies it will never use.
        let seenIndex = Int(truncatingIfNeeded: hash % UInt64(ParseCache.slotCount))
        guard seen[seenIndex] == hash else {
            seen[seenIndex] = hash
            return commands
        }
        slots[first + 1] = slots[first]
        slots[first] = Slot(line: Array(line), commands: commands)
        return commands
    }
}
