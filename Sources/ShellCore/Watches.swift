import Glibc
import SocketCore

/// `watch NAME`: what happens on a socket, shown as it happens, without
/// taking anything from it (SPEC section 9): bytes arriving (peeked, so the
/// next `recv` still gets them), the peer closing or resetting, connections
/// waiting on a listener.
public final class WatchTable {
    private struct Watched {
        let entry: SocketEntry
        /// Where in the stream the bytes shown so far end (`Socket.bytesTaken`'s count).
        var shownUpTo: Int
        var closeShown = false
        var failureShown = false
    }

    private var readiness: ReadinessWatch?
    private var watched: [Int32: Watched] = [:]

    public var isActive: Bool { !watched.isEmpty }

    /// Readable when an event waits; -1 while nothing is watched.
    public var descriptor: Int32 { isActive ? readiness?.fileDescriptor ?? -1 : -1 }

    /// The sockets watched, in the session's order.
    func names(in session: Session) -> [String] {
        dropClosed()
        return session.entries.filter { entry in watched.values.contains { $0.entry === entry } }.map(\.name)
    }

    func isWatching(_ entry: SocketEntry) -> Bool { watched[entry.socket.fileDescriptor]?.entry === entry }

    func start(_ entry: SocketEntry) throws {
        dropClosed()
        guard !isWatching(entry) else { return }
        if readiness == nil { readiness = try ReadinessWatch() }
        let fd = entry.socket.fileDescriptor
        guard fd >= 0 else { throw Errno.badFileDescriptor }
        try readiness?.add(fd)
        // What is already waiting counts as arrived: shown at the next boundary.
        watched[fd] = Watched(entry: entry, shownUpTo: entry.socket.bytesTaken)
    }

    func stop(_ entry: SocketEntry) {
        let fd = entry.socket.fileDescriptor
        guard isWatching(entry) else { return }
        readiness?.remove(fd)
        watched[fd] = nil
    }

    /// Records of sockets closed since: their descriptors left the epoll set with them.
    private func dropClosed() {
        watched = watched.filter { !$0.value.entry.socket.isClosed }
    }

    /// The most of one arrival shown; the rest is counted.
    static let shownLimit = 1024

    /// The lines for the events waiting now.
    func eventLines(display: DisplayMode) -> [String] {
        guard let readiness else { return [] }
        var lines: [String] = []
        for event in readiness.events() {
            guard var record = watched[event.fd], !record.entry.socket.isClosed else { continue }
            let socket = record.entry.socket
            let tag = "[watch \(record.entry.name)]"
            if event.readable, (try? socket.integerOption(level: SOL_SOCKET, name: SO_ACCEPTCONN)) == 1 {
                let waiting = (try? socket.tcpInfo()).flatMap { $0.field("unacked") }
                lines.append("\(tag) connection waiting to be accepted" + (waiting.map { " (\($0) in the backlog)" } ?? ""))
                continue
            }
            if event.readable, socket.tls != nil {
                // The kernel holds TLS records, ciphertext: their count is
                // news, their bytes are not (recv decrypts them).
                let waiting = socket.peekWaiting(limit: 1 << 20).count
                if waiting > 0, waiting != record.shownUpTo {
                    lines.append("\(tag) \(waiting == 1 ? "1 byte" : "\(waiting) bytes") of TLS records waiting (encrypted: recv decrypts them)")
                }
                record.shownUpTo = waiting
            } else if event.readable {
                let waiting = socket.peekWaiting(limit: 64 * 1024)
                var fresh = waiting[...]
                if !socket.keepsMessageBoundaries {
                    fresh = waiting.dropFirst(max(0, record.shownUpTo - socket.bytesTaken))
                    record.shownUpTo = socket.bytesTaken + waiting.count
                }
                if !fresh.isEmpty {
                    let count = fresh.count == 1 ? "1 byte" : "\(fresh.count) bytes"
                    let what = socket.keepsMessageBoundaries ? "a datagram of \(count)" : count
                    lines += WatchTable.dataLines(tag + " " + what + " arrived", Array(fresh), display: display)
                }
            }
            if event.failed, !record.failureShown, (try? socket.tcpInfo())?.state == 7 {
                record.failureShown = true
                lines.append("\(tag) connection reset or failed: the next call on \(record.entry.name) raises the error")
            } else if event.peerClosed, !record.closeShown {
                record.closeShown = true
                lines.append("\(tag) the peer closed its side: recv gives b'' after the bytes waiting")
            }
            watched[event.fd] = record
        }
        return lines
    }

    /// `HEADER: b'...'`, the bytes as the display mode shows them; a dump
    /// goes on the lines below.
    static func dataLines(_ header: String, _ bytes: [UInt8], display: DisplayMode) -> [String] {
        let shown = Array(bytes.prefix(shownLimit))
        let more = bytes.count > shown.count ? " ... and \(bytes.count - shown.count) more" : ""
        let text = displayText(.bytes(shown), mode: display)
        if display == .hex { return [header + more + ":"] + text.split(separator: "\n").map(String.init) }
        // Text mode escapes what is not printable, so no peer's byte reaches the terminal raw.
        return [header + ": " + escapedLine(text) + more]
    }
}

extension Runner {
    /// The lines for what watched sockets saw since the last look.
    public func takeWatchEvents() -> [String] { session.watches.eventLines(display: session.display) }

    /// Prints lines (and records them, when `record` is on) as values.
    public func show(_ lines: [String]) { for line in lines { emitValue(line) } }

    /// Prints the events of watched sockets that happened since the last look.
    func reportWatchEvents() { show(takeWatchEvents()) }
}
