/// Bytes received but not yet handed to the user.
///
/// `recvline` and `recvuntil` read past their delimiter; what they do not
/// return waits here and comes first in the next read of any kind, so no
/// received byte is ever dropped.
struct ReadBuffer {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// The first `count` bytes, removed when `consume` is true.
    mutating func take(_ count: Int, consume: Bool = true) -> [UInt8] {
        let end = head + min(count, self.count)
        let result = Array(storage[head..<end])
        if consume { head = end }
        if head == storage.count { storage.removeAll(keepingCapacity: true); head = 0 }
        return result
    }

    mutating func takeAll() -> [UInt8] { take(count) }

    /// Puts bytes back in front, for the next read: what a `> FILE` could
    /// not write goes back to its socket, so a failing write loses nothing.
    mutating func unread<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        guard !bytes.isEmpty else { return }
        storage = Array(bytes) + storage[head...]
        head = 0
    }

    /// The offset just past the first occurrence of `delimiter` at or after
    /// `searchFrom` (relative to the unread bytes), or nil.
    func end(of delimiter: [UInt8], searchingFrom searchFrom: Int) -> Int? {
        guard !delimiter.isEmpty, count >= delimiter.count else { return nil }
        let first = delimiter[0]
        var index = head + max(0, searchFrom - delimiter.count + 1)
        let last = storage.count - delimiter.count
        while index <= last {
            if storage[index] == first && (delimiter.count == 1 || storage[index..<(index + delimiter.count)].elementsEqual(delimiter)) {
                return index - head + delimiter.count
            }
            index += 1
        }
        return nil
    }

    private mutating func compactIfWorthIt() {
        if head > 0 && head >= storage.count / 2 {
            storage.removeSubrange(0..<head)
            head = 0
        }
    }
}
