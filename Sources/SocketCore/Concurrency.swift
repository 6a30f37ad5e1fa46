import CLinux
import Glibc

/// The lock every thread holds while it runs session code, as CPython's
/// threads hold the GIL: a background job is a real thread (so it may block
/// in getaddrinfo(3) or a long sendall without the prompt freezing), yet no
/// two threads ever touch the session at once. A thread lets go of it only
/// where it waits (`pollUntilReady`, the prompt's own poll, the resolver),
/// so a job runs exactly while the prompt or a foreground command waits, and
/// a byte is never read by two threads.
///
/// The mutex checks its owner: `released` around a wait on a thread that
/// never took the lock (a unit test calling a command) does nothing.
public enum SessionLock {
    private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return mutex
    }()

    /// Signalled whenever a job parks in a wait or ends, for `settle`.
    private static let changed: UnsafeMutablePointer<pthread_cond_t> = {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        return condition
    }()

    public static func acquire() { pthread_mutex_lock(mutex) }
    public static func release() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the lock let go, when this thread holds it.
    public static func released<T>(_ body: () throws -> T) rethrows -> T {
        let held = pthread_mutex_unlock(mutex) == 0
        defer { if held { pthread_mutex_lock(mutex) } }
        return try body()
    }

    /// Wakes whoever waits in `awaitChange` (a job parked or ended).
    public static func noteChange() { pthread_cond_broadcast(changed) }

    /// Lets go of the lock until a job notes a change or `seconds` pass;
    /// holds it again on return. Only for a thread that holds it.
    public static func awaitChange(seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + seconds
        var until = timespec(tv_sec: Int(total), tv_nsec: Int((total - Double(Int(total))) * 1e9))
        pthread_cond_timedwait(changed, mutex, &until)
    }
}

/// What a background thread's waits answer to instead of Ctrl-C: its own
/// cancel pipe (`kill %N`). A thread that has none is the main thread, whose
/// waits end on Ctrl-C. Every field is read and written with `SessionLock`
/// held.
public final class WaitContext {
    public enum State: Equatable {
        /// Running session code, or wanting the lock to.
        case running
        /// In a poll(2) on `parked`, the lock let go.
        case waiting
        /// In a call that cannot be polled (getaddrinfo), the lock let go.
        case blocked
        case finished
    }

    public internal(set) var state = State.running
    /// The descriptors and events of the poll it is parked in, and its deadline.
    var parked: [pollfd] = []
    var parkedDeadline: Double?
    /// Set by `cancel()`: every wait of the thread throws `Interrupted`.
    public private(set) var cancelled = false
    private let cancelPipe: Wakeup
    /// The job number, for the thread's own check that a socket is its.
    public let owner: Int
    /// Where `set trace on` sends the thread's system calls: its job's own
    /// output, not the terminal's, which the prompt may be drawing on.
    public var traceSink: ((String) -> Void)?

    public init(owner: Int) throws {
        self.owner = owner
        cancelPipe = try Wakeup()
    }

    var cancelFD: Int32 { cancelPipe.fileDescriptor }

    /// Ends the thread's current and every later wait (`Interrupted`).
    public func cancel() {
        cancelled = true
        cancelPipe.signal()
    }

    /// Whether the thread would run now if the lock were free: it is not
    /// parked, or its poll has something ready or its deadline has passed.
    public var isRunnable: Bool {
        switch state {
        case .finished: return false
        case .running, .blocked: return true
        case .waiting:
            if let parkedDeadline, monotonicSeconds() >= parkedDeadline { return true }
            // Not the user's call: untraced.
            var check = parked
            return Glibc.poll(&check, nfds_t(check.count), 0) > 0
        }
    }

    public func finish() { state = .finished }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The context of the calling thread; nil on the main thread.
    public static var current: WaitContext? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<WaitContext>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Makes `context` the calling thread's (held by the caller for as long).
    public static func adopt(_ context: WaitContext) {
        pthread_setspecific(key, Unmanaged.passUnretained(context).toOpaque())
    }
}

/// A real thread with the signals the terminal sends (Ctrl-C, a resize, the
/// time limit) blocked, so that they always reach the main thread, whose
/// waits answer to them. The corresponding C function is `pthread_create`.
public enum BackgroundThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    public static func start(_ run: @escaping () -> Void) throws {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGWINCH, SIGALRM, SIGTSTP] { sigaddset(&blocked, signal) }
        // The new thread inherits the mask it is created with.
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attributes) }
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { pointer in
            guard let pointer else { return nil }
            Unmanaged<Body>.fromOpaque(pointer).takeRetainedValue().run()
            return nil
        }, body)
        if status != 0 {
            Unmanaged<Body>.fromOpaque(body).release()
            throw Errno(rawValue: status)
        }
    }
}

/// A self-pipe one thread writes a byte to so that another's poll(2) wakes:
/// a job ending, a job cancelled. The corresponding C function is `pipe`.
public final class Wakeup {
    private var fds: [Int32] = [-1, -1]

    public init() throws {
        guard Sys.pipe(&fds) == 0 else { throw Errno.current }
        // Out of the low descriptors, so sockets keep Python's numbers;
        // close-on-exec, and never blocking the thread that signals.
        for index in fds.indices {
            let moved = Sys.duplicate(fds[index], atLeast: 20)
            if moved >= 0 { _ = Sys.close(fds[index]); fds[index] = moved }
            _ = Sys.setNonBlocking(fds[index])
        }
    }

    deinit { close() }

    /// Closes both ends now (idempotent): for an owner that must know its
    /// descriptors are gone before it is itself released.
    public func close() {
        for index in fds.indices where fds[index] >= 0 {
            _ = Sys.close(fds[index])
            fds[index] = -1
        }
    }

    /// The end to poll for POLLIN.
    public var fileDescriptor: Int32 { fds[0] }

    public func signal() {
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
    }

    /// Empties the pipe; true when anything was in it.
    @discardableResult
    public func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        while read(fds[0], &buffer, buffer.count) > 0 { any = true }
        return any
    }
}

/// Edge-triggered readiness of sockets sockshell only looks at (`watch`):
/// each arrival of data, each new connection on a listener, a peer's close
/// or reset is one event, however long the bytes stay unread, so nothing is
/// read to learn of it. The corresponding C functions are `epoll_create1`,
/// `epoll_ctl` and `epoll_wait`.
public final class ReadinessWatch {
    public struct Event {
        public let fd: Int32
        public let readable: Bool
        /// The peer shut down its side (EPOLLRDHUP).
        public let peerClosed: Bool
        /// An error is pending, or both sides are shut (EPOLLERR, EPOLLHUP).
        public let failed: Bool
    }

    private let epollFD: Int32

    public init() throws {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw Errno.current }
        let moved = Sys.duplicate(fd, atLeast: 20)
        if moved >= 0 { _ = Sys.close(fd); epollFD = moved } else { epollFD = fd }
    }

    deinit { _ = Sys.close(epollFD) }

    /// Readable (for poll) when an event is waiting.
    public var fileDescriptor: Int32 { epollFD }

    public func add(_ fd: Int32) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { throw Errno.current }
    }

    public func remove(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    /// The events waiting now, without waiting.
    public func events() -> [Event] {
        var buffer = [epoll_event](repeating: epoll_event(), count: 64)
        let count = epoll_wait(epollFD, &buffer, Int32(buffer.count), 0)
        guard count > 0 else { return [] }
        return buffer.prefix(Int(count)).map { event in
            Event(fd: event.data.fd, readable: event.events & EPOLLIN.rawValue != 0,
                  peerClosed: event.events & EPOLLRDHUP.rawValue != 0,
                  failed: event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0)
        }
    }
}

extension Socket {
    /// What is waiting to be read, at most `limit` bytes, left where it is
    /// (MSG_PEEK, never waiting): for `watch`, which shows the bytes without
    /// taking them, and is not a call the user made (so not traced).
    /// The corresponding C function is `recv`.
    public func peekWaiting(limit: Int) -> [UInt8] {
        guard fileDescriptor >= 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: limit)
        let count = bytes.withUnsafeMutableBytes { Glibc.recv(fileDescriptor, $0.baseAddress, limit, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        return count > 0 ? Array(bytes.prefix(count)) : []
    }
}

/// The process calls a forking server makes.
public enum Processes {
    /// The corresponding C function is `fork`.
    public static func fork() -> pid_t { sockshell_fork() }

    /// In a forked child: SIGTERM when the parent's forking thread ends
    /// (sockshell killed, the server stopped), so no child outlives it.
    /// The corresponding C function is `prctl`.
    public static func endWithParent() { _ = sockshell_die_with_parent() }

    /// A descriptor readable once process `pid` ends, or -1.
    /// The corresponding C function is `pidfd_open`.
    public static func descriptor(for pid: pid_t) -> Int32 { sockshell_pidfd_open(pid) }

    /// Closes every descriptor above stderr but `keep`: a forked child
    /// holds nothing of its parent's but the one it serves.
    /// The corresponding C function is `close_range`.
    public static func closeAll(except keep: Int32) {
        if keep > 3 { _ = sockshell_close_range(3, UInt32(keep - 1)) }
        _ = sockshell_close_range(UInt32(keep + 1), UInt32.max)
    }
}
