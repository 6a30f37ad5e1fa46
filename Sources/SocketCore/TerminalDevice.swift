import Glibc

/// What the prompt asks of the terminal itself: its size, how it echoes,
/// and its input one byte at a time.
public enum TerminalDevice {
    /// Rows and columns of the terminal on `fd`, or nil when it is not one
    /// (or reports no size). The corresponding C function is `ioctl` (TIOCGWINSZ).
    public static func windowSize(_ fd: Int32) -> (rows: Int, columns: Int)? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    /// Whether the terminal shows a typed Ctrl-C as `^C` (ECHO and ECHOCTL in
    /// its local modes). The corresponding C function is `tcgetattr`.
    public static func echoesControlCharacters(_ fd: Int32) -> Bool {
        var modes = termios()
        guard tcgetattr(fd, &modes) == 0 else { return false }
        let wanted = tcflag_t(ECHO) | tcflag_t(ECHOCTL)
        return modes.c_lflag & wanted == wanted
    }

    /// Whether the terminal on `fd` echoes what is typed (ECHO); true when
    /// `fd` is no terminal, as nothing is missing then. Async-signal-safe.
    /// The corresponding C function is `tcgetattr`.
    public static func echoes(_ fd: Int32) -> Bool {
        var modes = termios()
        guard tcgetattr(fd, &modes) == 0 else { return true }
        return modes.c_lflag & tcflag_t(ECHO) != 0
    }

    /// Bytes typed and not yet read, or nil when the terminal cannot say.
    /// The corresponding C function is `ioctl` (FIONREAD).
    public static func bytesWaiting(_ fd: Int32) -> Int? {
        var count: Int32 = 0
        guard ioctl(fd, UInt(FIONREAD), &count) == 0 else { return nil }
        return Int(count)
    }

    /// Waits until one of `fds` is readable (or hung up) or a signal comes;
    /// returns each one's `revents`, all 0 after a signal. Not traced: the
    /// prompt waits here for every key, which `set trace on` is not about.
    /// The corresponding C function is `poll`.
    public static func waitUntilReadable(_ fds: [Int32]) -> [Int16] {
        var requests = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&requests, nfds_t(requests.count), -1) < 0 { return fds.map { _ in 0 } }
        return requests.map(\.revents)
    }

    public enum ReadResult: Equatable {
        case byte(UInt8)
        case end
        /// A signal came first (EINTR), or there was nothing after all (EAGAIN).
        case nothing
    }

    /// A descriptor of its own for reading the terminal on `fd`, which never
    /// blocks: a Ctrl-C makes the terminal throw away the keys not yet read,
    /// so a read that poll and FIONREAD had just promised bytes to could
    /// otherwise wait for the next key. Opened anew, not duplicated, so that
    /// O_NONBLOCK is this descriptor's alone and not that of the shell which
    /// shares the terminal. Nil when `fd` is no terminal or it cannot be opened.
    /// The corresponding C functions are `ttyname_r` and `open`.
    public static func openNonBlockingReader(_ fd: Int32) -> Int32? {
        var name = [CChar](repeating: 0, count: 256)
        guard ttyname_r(fd, &name, name.count) == 0 else { return nil }
        let opened = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        return Files.moveHigh(opened)
    }

    /// Reads one byte. The corresponding C function is `read`.
    public static func readByte(_ fd: Int32) -> ReadResult {
        var byte: UInt8 = 0
        let count = read(fd, &byte, 1)
        if count == 1 { return .byte(byte) }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return .nothing }
        return .end
    }
}
