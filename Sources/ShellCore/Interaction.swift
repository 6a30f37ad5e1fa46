import Glibc
import SocketCore

/// `interact NAME`: the socket as netcat or telnet shows it (SPEC section 9).
/// Each line typed is sent with the session's line ending; what arrives is
/// shown as it comes, escaped (`set display hex`: a dump), never raw. The
/// prompt drives it with readline; a script relays its stdin (`relay`).
public final class Interaction {
    public let name: String
    let entry: SocketEntry
    let session: Session
    /// Bytes of a line not yet ended (shown once it ends, or at the close).
    private var partial: [UInt8] = []
    public private(set) var isOver = false

    init(entry: SocketEntry, session: Session) {
        self.name = entry.name
        self.entry = entry
        self.session = session
    }

    public var fileDescriptor: Int32 { entry.socket.fileDescriptor }
    public var prompt: String { "\(name)> " }

    /// What arrived and is shown: lines (`eager`: a line not yet ended is
    /// shown too, as a prompt the peer sends must be seen at once).
    private func shown(_ bytes: [UInt8], eager: Bool) -> [String] {
        if session.display == .hex {
            return bytes.isEmpty ? [] : hexDump(bytes).split(separator: "\n").map(String.init)
        }
        partial += bytes
        var lines: [String] = []
        while let newline = partial.firstIndex(of: 10) {
            var line = Array(partial[..<newline])
            partial.removeSubrange(...newline)
            // A CRLF line ends as a line; a lone \r shows as \r.
            if line.last == 13 { line.removeLast() }
            lines.append(escapedText(line))
        }
        if eager && !partial.isEmpty {
            lines.append(escapedText(partial))
            partial.removeAll()
        }
        return lines
    }

    /// What the socket's buffer held before (bytes a recvline read past its
    /// line): shown first, so no byte is skipped.
    public func start(eager: Bool) -> [String] {
        var waiting = entry.pending.takeAll()
        // Bytes OpenSSL decrypted and holds: no poll would say they are there.
        if let stream = entry.socket.tls, stream.pending > 0,
           let held = try? entry.socket.receive(upTo: stream.pending, flags: Int32(MSG_DONTWAIT)) {
            entry.bytesReceived += held.count
            waiting += held
        }
        guard !waiting.isEmpty else { return [] }
        return shown(waiting, eager: eager)
    }

    /// Sends a typed line and the line ending (`set newline`).
    public func send(line: String) throws {
        try send(Array(line.utf8) + session.newline.bytes)
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        defer { entry.bytesSent += sent }
        try bytes.withUnsafeBytes { try entry.socket.sendAll($0, sent: &sent) }
    }

    public enum Arrival {
        /// Lines to show; the connection goes on.
        case data([String])
        /// The peer closed (b''): the last lines, then the notice.
        case closed([String])
        /// The socket failed: the lines before, and the error.
        case failed([String], Error)
    }

    /// Reads what is waiting (poll said readable).
    public func receive(eager: Bool) -> Arrival {
        do {
            let bytes = try entry.socket.receive(upTo: 65536, flags: Int32(MSG_DONTWAIT))
            if bytes.isEmpty {
                isOver = true
                return .closed(shown([], eager: true))
            }
            entry.bytesReceived += bytes.count
            return .data(shown(bytes, eager: eager))
        } catch let error as Errno where error.rawValue == EAGAIN {
            return .data([])
        } catch let error as TLSError where error.kind == .zeroReturn {
            // Our close_notify went first (the end of a relay's input), then the peer's.
            isOver = true
            return .closed(shown([], eager: true))
        } catch {
            isOver = true
            return .failed(shown([], eager: true), error)
        }
    }

    /// The line to show when the peer closed.
    public var closedNotice: String { "[interact \(name)] the peer closed the connection" }

    /// Script mode: stdin goes to the socket until its end, then the socket
    /// is half-closed (SHUT_WR) and what arrives is shown until the peer
    /// closes, as `nc` does. Ctrl-C ends it, the socket as it was.
    func relay(_ runner: Runner) throws {
        for line in start(eager: false) { runner.emitValue(line) }
        var inputOpen = true
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var requests: [(fd: Int32, events: Int16)] = [(fileDescriptor, Int16(POLLIN))]
            if inputOpen { requests.append((0, Int16(POLLIN))) }
            let ready = try pollUntilReady(requests, deadline: nil)
            if inputOpen, ready[1] != 0 {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count > 0 {
                    try send(Array(buffer[..<count]))
                } else if count == 0 || errno != EINTR && errno != EAGAIN {
                    inputOpen = false
                    // Over TLS the end of the input is a close_notify, as
                    // socat sends it; the stream stays open for reading.
                    if entry.socket.tls != nil {
                        try? entry.socket.closeTLSWriting()
                    } else {
                        try? entry.socket.shutdown(how: Int32(SHUT_WR))
                    }
                }
            }
            if ready[0] != 0 {
                switch receive(eager: false) {
                case .data(let lines):
                    for line in lines { runner.emitValue(line) }
                case .closed(let lines):
                    for line in lines { runner.emitValue(line) }
                    return
                case .failed(let lines, let error):
                    for line in lines { runner.emitValue(line) }
                    throw error
                }
            }
        }
    }
}

/// `set newline`: what `interact` ends a typed line with.
public enum LineEnding: String, CaseIterable {
    case lf, crlf
    var bytes: [UInt8] { self == .lf ? [10] : [13, 10] }
}
