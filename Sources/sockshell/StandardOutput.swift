import Glibc
import ShellCore
import SocketCore

/// Values to stdout, errors to stderr (red on a colour terminal).
///
/// To a terminal each value is written as it is complete. To a pipe or file,
/// values are gathered (a replayed script prints thousands) and written
/// before every error line, before every wait on a socket or on input, and
/// at the end, so `2>&1` still shows values and errors in the order they
/// happened and a reader never waits for output sockshell already has.
///
/// What is gathered lives in memory a signal handler can reach without the
/// Swift runtime (`PendingOutput`): when sockshell is ended by a signal
/// (`kill`, `timeout`, a closed terminal) or crashes, it is written first.
final class StandardOutput: Output {
    let colorErrors: Bool
    private let lineBuffered = Files.isTerminal(1)

    init(colorErrors: Bool) {
        self.colorErrors = colorErrors
        PendingOutput.install()
    }

    func value(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
        withUnsafePointer(to: UInt8(ascii: "\n")) { append(UnsafeBufferPointer(start: $0, count: 1)) }
        if lineBuffered { flush() }
    }

    func trace(_ text: String) {
        flush()
        writeAll(2, Array((text + "\n").utf8))
    }

    func error(_ text: String) {
        flush()
        let line = colorErrors ? "\u{1B}[31m\(text)\u{1B}[0m\n" : text + "\n"
        writeAll(2, Array(line.utf8))
    }

    /// Writes a line to stdout now, for banners and prompts' neighbours.
    func plain(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
        flush()
    }

    func flush() {
        PendingOutput.write()
    }

    func takeWriteFailure() -> OutputLost? {
        guard PendingOutput.lostErrno != 0, !PendingOutput.lostReported else { return nil }
        PendingOutput.lostReported = true
        return OutputLost(errno: Errno(rawValue: PendingOutput.lostErrno))
    }

    /// Writes what is gathered before a wait; throws when stdout cannot take
    /// it, so that the wait does not begin (the runner reports the error).
    func flushBeforeWaiting() throws {
        flush()
        if PendingOutput.lostErrno != 0, !PendingOutput.lostReported {
            throw OutputLost(errno: Errno(rawValue: PendingOutput.lostErrno))
        }
    }

    /// sockshell's exit status once the last values are written: when that
    /// write fails, what python3 says and does when the flush of its stdout
    /// at exit fails (`python3 script.py | head -1` with the output still
    /// buffered): the two lines below, and status 120.
    static func exitStatus(_ status: Int32) -> Int32 {
        PendingOutput.write()
        guard PendingOutput.lostErrno != 0, !PendingOutput.lostReported else { return status }
        let error = ShellError(Errno(rawValue: PendingOutput.lostErrno))
        let lines = "Exception ignored in: <_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>\n\(error.line)\n"
        lines.withCString { _ = Glibc.write(2, $0, strlen($0)) }
        return 120
    }

    /// Gathers bytes; what does not fit goes out first, and a piece bigger
    /// than the whole buffer is written straight through, in order.
    private func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Once a write failed, nothing more can reach the reader.
        guard let base = bytes.baseAddress, !bytes.isEmpty, PendingOutput.lostErrno == 0 else { return }
        if PendingOutput.end.pointee + bytes.count > PendingOutput.capacity { flush() }
        if bytes.count > PendingOutput.capacity {
            PendingOutput.write(bytes)
            return
        }
        (PendingOutput.bytes + PendingOutput.end.pointee).update(from: base, count: bytes.count)
        PendingOutput.end.pointee += bytes.count
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stderr gone: nowhere left to say anything
                }
                offset += written
            }
        }
    }
}

/// Stdout's gathered bytes, in plain memory: `bytes[start..<end]` is what is
/// not written yet. The handlers of the signals that end a process read it
/// with nothing but write(2), which is async-signal-safe.
enum PendingOutput {
    static let capacity = 1 << 16
    static let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    /// Counters behind pointers: no exclusivity bookkeeping when a handler reads them.
    static let start: UnsafeMutablePointer<Int> = {
        let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        pointer.initialize(repeating: 0, count: 2)
        return pointer
    }()
    static var end: UnsafeMutablePointer<Int> { start + 1 }
    /// The errno of the first write to stdout that failed, or 0; nothing is
    /// gathered after it.
    nonisolated(unsafe) static var lostErrno: Int32 = 0
    /// Whether the runner has reported `lostErrno` (it then ends the run).
    nonisolated(unsafe) static var lostReported = false

    /// Signals whose default action ends the process: sent ones (a handler
    /// writes, then the default action ends sockshell by the same signal, as
    /// it ends python3, which leaves them at their defaults) and faults (a
    /// handler writes, then whoever had the signal before, Swift's crash
    /// reporter or the default action, gets it as it would have).
    private static let ending = [SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ,
                                 SIGALRM, SIGVTALRM, SIGPROF,
                                 SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]
    nonisolated(unsafe) private static var installed = false
    /// The actions the handlers replaced, by signal number.
    private static let previous: UnsafeMutablePointer<sigaction> = {
        let pointer = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
        pointer.initialize(repeating: sigaction(), count: 65)
        return pointer
    }()

    /// Writes everything gathered to stdout, advancing `start` as it goes so
    /// that a handler running in between writes only what is left.
    ///
    /// A handler passes `beforeEnding`: a reader that has stopped reading
    /// must not keep a killed sockshell alive, so each piece waits at most a
    /// second for room and is no bigger than a pipe takes without blocking.
    static func write(beforeEnding: Bool = false) {
        while start.pointee < end.pointee {
            var size = end.pointee - start.pointee
            if beforeEnding {
                var ready = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
                if poll(&ready, 1, 1000) <= 0 || ready.revents & Int16(POLLOUT) == 0 { break }
                size = min(size, Int(PIPE_BUF))
            }
            let written = Glibc.write(1, bytes + start.pointee, size)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 {
                // stdout gone (EPIPE) or full: the bytes cannot go anywhere.
                if written < 0 && lostErrno == 0 { lostErrno = errno }
                break
            }
            start.pointee += written
        }
        start.pointee = 0
        end.pointee = 0
    }

    /// Writes a piece bigger than the buffer straight through, after what is gathered.
    static func write(_ piece: UnsafeBufferPointer<UInt8>) {
        write()
        guard let base = piece.baseAddress else { return }
        var offset = 0
        while offset < piece.count && lostErrno == 0 {
            let written = Glibc.write(1, base + offset, piece.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written < 0 { lostErrno = errno; break }
            offset += written
        }
    }

    /// Installs the handlers, once; a signal ignored when sockshell started
    /// (`nohup`) stays ignored.
    static func install() {
        guard !installed else { return }
        installed = true
        // Made now, not lazily in a handler.
        _ = bytes
        _ = start
        _ = previous
        for signal in ending {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                PendingOutput.write(beforeEnding: true)
                switch (signal, info?.pointee.si_code ?? 0) {
                case (SIGSEGV, 1...), (SIGBUS, 1...), (SIGILL, 1...), (SIGTRAP, 1...), (SIGFPE, 1...):
                    // A fault comes back when the handler returns, to the old
                    // action with its own details.
                    sigaction(signal, PendingOutput.previous + Int(signal), nil)
                case (SIGABRT, Int32(SI_TKILL)):
                    // abort(3) in this process: a crash, for the crash reporter.
                    sigaction(signal, PendingOutput.previous + Int(signal), nil)
                    raise(signal)
                default:
                    // Sent (kill, Ctrl-\, timeout, a closed terminal): the
                    // default action, not Swift's crash reporter, which
                    // reports a SIGQUIT or a sent SIGABRT and lets the
                    // process run on.
                    var byDefault = sigaction()
                    byDefault.__sigaction_handler.sa_handler = SIG_DFL
                    sigaction(signal, &byDefault, nil)
                    raise(signal)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            var old = sigaction()
            sigaction(signal, &action, &old)
            if Signals.isIgnored(old) { sigaction(signal, &old, nil) }
            previous[Int(signal)] = old
        }
    }
}
