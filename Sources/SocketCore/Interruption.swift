import Glibc

/// Ctrl-C as an event that a waiting call can see.
///
/// The SIGINT handler writes one byte to a self-pipe and sets a flag; every wait
/// in this module polls the pipe beside its socket, so Ctrl-C ends `accept`,
/// `recv`, `select` or `sleep` the same way, with the socket left as it was.
/// The handler is installed without SA_RESTART so that any other blocking call
/// sees EINTR too. SIGALRM is `--check`'s time limit only while its timer is
/// set (`interrupt(after:)`), and only the timer's own.
public enum Interruption {
    nonisolated(unsafe) private static var pipeFDs: (read: Int32, write: Int32) = (-1, -1)
    nonisolated(unsafe) private static var pendingFlag: Int32 = 0
    nonisolated(unsafe) private static var unechoedFlag: Int32 = 0

    /// The read end of the self-pipe, or -1 before `install()`.
    public static var fileDescriptor: Int32 { pipeFDs.read }

    /// True after SIGINT arrived and before `clear()`. On a background
    /// job's thread, which Ctrl-C does not end, true once `kill` cancelled it.
    public static var isPending: Bool {
        if let context = WaitContext.current { return context.cancelled }
        return pendingFlag != 0
    }

    /// True when the last SIGINT came while the terminal on standard input
    /// echoed nothing (ECHO off): readline's own modes, in the moment between
    /// reading a line's Enter and giving the terminal back, so the `^C` typed
    /// right after Enter was not shown. False when it echoed, or is no terminal.
    public static var cameUnechoed: Bool { unechoedFlag != 0 }

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
        action.__sigaction_handler.sa_handler = { _ in
            // tcgetattr is async-signal-safe; the modes tell whether the
            // terminal echoed this Ctrl-C as it arrived.
            Interruption.unechoedFlag = TerminalDevice.echoes(0) ? 0 : 1
            Interruption.note()
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        // A shell starts a background job with SIGINT ignored, so that the
        // Ctrl-C typed for the foreground job does not end it. CPython keeps
        // an inherited SIG_IGN, and so does sockshell.
        var inherited = sigaction()
        sigaction(SIGINT, nil, &inherited)
        if !Signals.isIgnored(inherited) { sigaction(SIGINT, &action, nil) }
    }

    /// What the handlers do: a flag for the code between waits, a byte for the waits.
    private static func note() {
        pendingFlag = 1
        var byte: UInt8 = 1
        _ = write(pipeFDs.write, &byte, 1)
    }

    nonisolated(unsafe) private static var timerFired: Int32 = 0
    nonisolated(unsafe) private static var timerArmed = false
    /// SIGALRM's action outside `interrupt(after:)`: the default (which ends
    /// the process, as in Python), whatever sockshell's output installed for
    /// it, or SIG_IGN when it was ignored at start. In plain memory, made
    /// before the handler can run, as the handler reads it (a struct global
    /// read by value in a handler is an AddressSanitizer global overflow).
    private static let alarmAction: UnsafeMutablePointer<sigaction> = {
        let pointer = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
        pointer.initialize(to: sigaction())
        return pointer
    }()

    /// Interrupts whatever is waiting `seconds` from now, as Ctrl-C would:
    /// `--check` uses it so that an example that blocks for ever fails instead
    /// of hanging the run. The corresponding C function is `setitimer`.
    ///
    /// The timer's SIGALRM comes from the kernel (`si_code` SI_KERNEL, which no
    /// other process can send: kill(2) gives SI_USER, sigqueue(3) a negative
    /// code), and only that one is taken as the time limit. A SIGALRM someone
    /// sends has its own action, at any time: by default it ends sockshell, as
    /// it ends python3; it is never a Ctrl-C. A signal, not a thread, so that
    /// it interrupts a blocking connect(2) or open(2) as Ctrl-C does.
    public static func interrupt(after seconds: Double) {
        timerFired = 0
        if !timerArmed {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                if let info, info.pointee.si_code == Int32(SI_KERNEL) {
                    Interruption.timerFired = 1
                    Interruption.note()
                    return
                }
                // Not the timer: what this SIGALRM would have done without it.
                if Signals.isIgnored(Interruption.alarmAction.pointee) { return }
                sigaction(signal, Interruption.alarmAction, nil)
                Glibc.raise(signal)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_SIGINFO
            sigaction(SIGALRM, &action, alarmAction)
            timerArmed = true
        }
        var timer = itimerval()
        timer.it_value.tv_sec = Int(seconds)
        timer.it_value.tv_usec = Int((seconds - Double(Int(seconds))) * 1e6)
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    /// Cancels `interrupt(after:)`; true when it had already fired.
    public static func cancelTimer() -> Bool {
        var timer = itimerval()
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
        if timerArmed {
            sigaction(SIGALRM, alarmAction, nil)
            timerArmed = false
        }
        return timerFired != 0
    }

    /// Marks the interruption handled and drains the pipe.
    public static func clear() {
        // A job's cancellation stays: the job is ending.
        if WaitContext.current != nil { return }
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

    /// Whether an action is SIG_IGN (a C function pointer Swift cannot compare).
    public static func isIgnored(_ action: sigaction) -> Bool {
        unsafeBitCast(action.__sigaction_handler, to: Int.self) == 1
    }
}
