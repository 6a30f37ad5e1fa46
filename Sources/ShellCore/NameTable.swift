/// A fixed table of names, for the lookups every replayed command makes (its
/// command, its constants): hashed by FNV-1a over the name's UTF-8 bytes, in
/// open addressing. A name is a few ASCII bytes, and `Dictionary`'s keyed
/// hash of a String cost more than the rest of finding a command.
struct NameTable<Value> {
    private let names: [String]
    private let values: [Value]
    /// Index into `names` + 1, or 0 for an empty slot.
    private let slots: [Int32]
    private let mask: Int

    init(_ entries: [String: Value]) {
        var size = 8
        while size < entries.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        var names: [String] = []
        var values: [Value] = []
        for (name, value) in entries {
            var slot = NameTable.hash(name) & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            names.append(name)
            values.append(value)
            slots[slot] = Int32(names.count)
        }
        self.names = names
        self.values = values
        self.slots = slots
        mask = size - 1
    }

    subscript(name: String) -> Value? {
        var slot = NameTable.hash(name) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if names[entry - 1] == name { return values[entry - 1] }
            slot = (slot + 1) & mask
        }
    }

    private static func hash(_ name: String) -> Int {
        // The bytes in place (a native string has them contiguous); walking
        // `utf8` an index at a time cost more than the hash.
        let hash = name.utf8.withContiguousStorageIfAvailable { fnv1a($0) } ?? fnv1a(Array(name.utf8))
        return Int(truncatingIfNeeded: hash ^ hash >> 29)
    }
}

/// FNV-1a over bytes: for the short keys every replayed line is looked up
/// by (its text in the parse cache, a name in a `NameTable`), where a keyed
/// hash costs more than the lookup saves.
@inline(__always)
func fnv1a(_ bytes: some Collection<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
