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

    /// A line's place in the cache: its hash, and the commands kept for it.
    struct Lookup {
        let hash: UInt64
        let commands: [ParsedCommand]?
    }

    /// The commands kept for a line, if any. Only lines that cannot be
    /// Python are kept (see `commands(for:after:keep:)`), so a hit needs no
    /// other test.
    mutating func lookUp(_ line: UnsafeBufferPointer<UInt8>) -> Lookup {
        guard line.count <= ParseCache.longestLine else { return Lookup(hash: 0, commands: nil) }
        // FNV-1a: a line is short, and a keyed hash costs more than lexing saves
        // on a line seen once.
        let hash = fnv1a(line)
        // Two-way sets: the line's pair of slots, the newer first.
        let first = ParseCache.firstSlot(hash)
        if let slot = slots[first], slot.holds(line) { return Lookup(hash: hash, commands: slot.commands) }
        if let slot = slots[first + 1], slot.holds(line) {
            slots.swapAt(first, first + 1)
            return Lookup(hash: hash, commands: slot.commands)
        }
        return Lookup(hash: hash, commands: nil)
    }

    /// The line's commands from the lexer, after `lookUp` missed. With
    /// `keep`, a line seen a second time is kept: a script of distinct lines
    /// pays for a hash, not for copies it will never use. A line that does
    /// not lex throws, and is not kept.
    mutating func commands(for line: UnsafeBufferPointer<UInt8>, after lookup: Lookup, keep: Bool) throws -> [ParsedCommand] {
        let commands = try Lexer.parse(utf8: line)
        guard keep, line.count <= ParseCache.longestLine else { return commands }
        let seenIndex = Int(truncatingIfNeeded: lookup.hash % UInt64(ParseCache.slotCount))
        guard seen[seenIndex] == lookup.hash else {
            seen[seenIndex] = lookup.hash
            return commands
        }
        let first = ParseCache.firstSlot(lookup.hash)
        slots[first + 1] = slots[first]
        slots[first] = Slot(line: Array(line), commands: commands)
        return commands
    }

    private static func firstSlot(_ hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash ^ hash >> 32) % UInt64(ParseCache.slotCount)) & ~1
    }
}
