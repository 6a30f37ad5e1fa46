import Glibc

/// The one place where sockshell waits.
///
/// Contract, as CPython's `sock_call_ex`: poll(2) on the given descriptors and
/// on the Ctrl-C self-pipe; a `deadline` of nil waits for ever; EINTR is retried
/// with the time left recomputed from the monotonic clock, so a signal never
/// stretches or shortens a timeout. Returns each descriptor's `revents` once any
/// is ready. Throws `Interrupted` on Ctrl-C and `TimeoutExpired` when the
/// deadline passes with nothing ready.
public func pollUntilReady(_ requests: [(fd: Int32, events: Int16)], deadline: Double?) throws -> [Int16] {
    // A background job's waits end on its own cancel pipe (`kill %N`), not
    // on Ctrl-C, and its output is not the terminal's to flush.
    let context = WaitContext.current
    // Whoever reads sockshell's output must see it before sockshell waits;
    // when it cannot, the wait does not begin.
    if context == nil { try WaitHooks.beforeBlocking?() }
    var pollFDs = requests.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
    let interruptFD = context?.cancelFD ?? Interruption.fileDescriptor
    if interruptFD >= 0 { pollFDs.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)) }
    while true {
        if Interruption.isPending { throw Interrupted() }
        var milliseconds: Int32 = -1
        if let deadline {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                milliseconds = 0
            } else {
                // Round up so that a wait never ends a hair before its deadline.
                milliseconds = Int32(min((left * 1000).rounded(.up), Double(Int32.max)))
            }
        }
        // The session's lock is let go for the wait, so that jobs (or, in a
        // job, the prompt) run meanwhile.
        if let context {
            context.parked = pollFDs
            context.parkedDeadline = deadline
            context.state = .waiting
            SessionLock.noteChange()
        }
        let count = SessionLock.released { Sys.poll(&pollFDs, milliseconds) }
        let pollError = errno
        context?.state = .running
        if count < 0 {
            if pollError == EINTR { continue }
            throw Errno(rawValue: pollError)
        }
        if interruptFD >= 0, pollFDs[pollFDs.count - 1].revents != 0, Interruption.isPending {
            throw Interrupted()
        }
        if count > 0 && pollFDs.prefix(requests.count).contains(where: { $0.revents != 0 }) {
            return pollFDs.prefix(requests.count).map(\.revents)
        }
        if let deadline, monotonicSeconds() >= deadline { throw TimeoutExpired() }
        if deadline != nil && milliseconds == 0 { throw TimeoutExpired() }
    }
}

/// Runs a call that blocks and cannot be polled (the resolver's) with the
/// session's lock let go, so the prompt and the jobs go on meanwhile.
public func blockingCall<T>(_ body: () throws -> T) rethrows -> T {
    let context = WaitContext.current
    context?.state = .blocked
    defer { context?.state = .running }
    return try SessionLock.released(body)
}

/// What to do before a call may block; the terminal flushes its output here,
/// and throws when that write failed.
public enum WaitHooks {
    nonisolated(unsafe) public static var beforeBlocking: (() throws -> Void)?
}

/// Waits until one descriptor is readable (`POLLIN`) or writable (`POLLOUT`).
public func waitUntilReady(_ fd: Int32, events: Int16, deadline: Double?) throws {
    _ = try pollUntilReady([(fd, events)], deadline: deadline)
}

/// Sleeps for `seconds`, ended early only by Ctrl-C (`Interrupted`).
public func interruptibleSleep(_ seconds: Double) throws {
    let deadline = monotonicSeconds() + seconds
    do {
        _ = try pollUntilReady([], deadline: deadline)
    } catch is TimeoutExpired {
        return
    }
}

/// The deadline for a call on a socket with `timeout` seconds, or nil for none.
func deadline(after timeout: Double?) -> Double? {
    timeout.map { monotonicSeconds() + $0 }
}
