import Glibc

/// Ctrl-C as an event that a waiting call can see.
///
/// The SIGINT handler writes one byte to a self-pipe and sets a flag; every wait
/// in this module polls the pipe beside its socket, so Ctrl-C ends `accept`,
/// `recv`, `select` or `sleep` the same way, with the socket left as it was.
/// The handler is installed without SA_RESTART so that any other blocking call
/// sees EINTR too.
public enum Interruption {
    nonisolated(unsafe) private static var pipeFDs: (read: Int32, write: Int32) = (-1, -1)
    nonisolated(unsafe) private static var pendingFlag: Int32 = 0

    /// The read end of the self-pipe, or -1 before `install()`.
    public static var fileDescriptor: Int32 { pipeFDs.read }

    /// True after SIGINT arrived and before `clear()`.
    public static var isPending: Bool { pendingFlag != 0 }

    /// Creates the self-pipe and installs the SIGINT handler. Idempotent.
    public static func install() {
        guard pipeFDs.read < 0 else { return }
        var fds: [Int32] = [-1, -1]
        guard Sys.pipe(&fds) == 0 else { return }
        // Move the pipe out of the low descriptors, so the first socket is
        // fd 3 as in a fresh Python process.
        for index in fds.indices {
            let moved = Sys.duplicate(fds[index], atLeast: 20)
            if moved >= 0 { _ = Sys.close(fds[index]); fds[index] = moved }
            _ = Sys.setNonBlocking(fds[index])
        }
        pipeFDs = (fds[0], fds[1])
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            if signal == SIGALRM { Interruption.timerFired = 1 }
            Interruption.pendingFlag = 1
            var byte: UInt8 = 1
            _ = write(Interruption.pipeFDs.write, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGALRM, &action, nil)
    }

    nonisolated(unsafe) private static var timerFired: Int32 = 0

    /// Interrupts whatever is waiting `seconds` from now, as Ctrl-C would:
    /// `--check` uses it so that an example that blocks for ever fails instead
    /// of hanging the run. The corresponding C function is `setitimer`.
    public static func interrupt(after seconds: Double) {
        timerFired = 0
        var timer = itimerval()
        timer.it_value.tv_sec = Int(seconds)
        timer.it_value.tv_usec = Int((seconds - Double(Int(seconds))) * 1e6)
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    /// Cancels `interrupt(after:)`; true when it had already fired.
    public static func cancelTimer() -> Bool {
        var timer = itimerval()
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
        return timerFired != 0
    }

    /// Marks the interruption handled and drains the pipe.
    public static func clear() {
        pendingFlag = 0
        guard pipeFDs.read >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(pipeFDs.read, &buffer, buffer.count) > 0 {}
    }

    /// Raises the interruption as if the user had pressed Ctrl-C (for tests).
    public static func raise() {
        _ = Glibc.raise(SIGINT)
    }
}

/// Process-wide signal settings every socket program wants.
public enum Signals {
    /// A send to a dead peer must be `EPIPE`, never the end of the process.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }
}
