import Glibc
import SocketCore

/// A command running in the background (`CMD &`, SPEC section 9), on a
/// thread of its own that holds the session's lock only between its waits.
public final class Job {
    public let number: Int
    /// The command as typed, without the `&`.
    public let source: String
    let context: WaitContext
    /// The sockets it names: no other command may race it on them.
    let sockets: [SocketEntry]

    init(number: Int, source: String, context: WaitContext, sockets: [SocketEntry]) {
        self.number = number
        self.source = source
        self.context = context
        self.sockets = sockets
    }

    public var isFinished: Bool { context.state == .finished }
    /// In poll(2), waiting for its sockets (or its deadline); else running.
    public var isWaiting: Bool { context.state == .waiting }
}

/// The commands that may run as jobs: those that can wait.
let backgroundCommands: Set<String> = [
    "accept", "connect", "connect_ex", "create_connection", "recv", "recvfrom", "recvline", "recvuntil", "recvall",
    "send", "sendall", "sendline", "sendto", "sendfile", "select", "sleep", "tls", "tls_server", "unwrap",
    "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo", "getfqdn",
]

/// The commands that may name a socket a job is using: they only look at it.
let busySocketQueries: Set<String> = [
    "sockets", "fileno", "getsockname", "getpeername", "gettimeout", "getblocking", "getsockopt", "tcpinfo",
    "jobs", "wait", "kill", "watch", "help",
]

/// A line a finished job printed, as its output kept it.
enum JobLine {
    case value(String)
    case error(String)
    case trace(String)
}

/// What a job's command prints: kept, to be printed tagged with the job
/// above the prompt or between a script's commands.
final class JobOutput: Output {
    var lines: [JobLine] = []
    func value(_ text: String) {
        lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map { .value(String($0)) })
    }
    func error(_ text: String) { lines.append(.error(text)) }
    func trace(_ text: String) { lines.append(.trace(text)) }
}

/// The session's jobs, and the lines of those that ended, not yet printed.
public final class JobTable {
    public private(set) var running: [Job] = []
    var reports: [JobLine] = []
    /// Written to when a job ends, so that the prompt's poll(2) wakes.
    private var wakeup: Wakeup?

    /// Whether there is anything for `settle` or `report` to do.
    public var isActive: Bool { !running.isEmpty || !reports.isEmpty }
    public var hasReports: Bool { !reports.isEmpty }

    /// The descriptor that is readable once a job has ended.
    public func wakeupDescriptor() throws -> Int32 {
        if let wakeup { return wakeup.fileDescriptor }
        let made = try Wakeup()
        wakeup = made
        return made.fileDescriptor
    }

    /// Empties the wakeup pipe.
    public func drainWakeup() { wakeup?.drain() }

    /// As a shell numbers jobs: one past the highest still running.
    func nextNumber() -> Int { (running.map(\.number).max() ?? 0) + 1 }

    public func job(_ number: Int) -> Job? { running.first { $0.number == number } }

    /// Every number a job was given, so `wait %1` after it ended is no error.
    private var started: Set<Int> = []
    func wasStarted(_ number: Int) -> Bool { started.contains(number) }

    func add(_ job: Job) {
        started.insert(job.number)
        running.append(job)
        for entry in job.sockets { entry.busyJob = job.number }
    }

    /// Called on the job's thread, with the lock held, as it ends.
    func finish(_ job: Job, lines: [JobLine], outcome: Runner.Outcome) {
        running.removeAll { $0 === job }
        for entry in job.sockets where entry.busyJob == job.number { entry.busyJob = 0 }
        reports += JobTable.report(job, lines: lines, outcome: outcome)
        job.context.finish()
        SessionLock.noteChange()
        wakeup?.signal()
    }

    /// The lines a finished job shows: `[1] done: accept srv -> VALUE`, its
    /// error as `[1] TimeoutError: timed out`, `[1] killed: accept srv`.
    static func report(_ job: Job, lines: [JobLine], outcome: Runner.Outcome) -> [JobLine] {
        let tag = "[\(job.number)]"
        // What `set trace on` showed of it comes first, as in the foreground.
        var shown: [JobLine] = lines.filter { if case .trace = $0 { return true } else { return false } }
        let printed = lines.filter { if case .trace = $0 { return false } else { return true } }
        if job.context.cancelled {
            shown.append(.value("\(tag) killed: \(job.source)"))
            return shown
        }
        if outcome == .succeeded {
            let values = printed.compactMap { if case .value(let text) = $0 { return text } else { return nil } }
            switch values.count {
            case 0: shown.append(.value("\(tag) done: \(job.source)"))
            case 1: shown.append(.value("\(tag) done: \(job.source) -> \(values[0])"))
            default:
                // A hex dump, a table: below the line that names the job.
                shown.append(.value("\(tag) done: \(job.source) ->"))
                shown += values.map { .value($0) }
            }
            return shown
        }
        var tagged = false
        for line in printed {
            if case .error(let text) = line, !tagged {
                shown.append(.error("\(tag) \(text)"))
                tagged = true
            } else {
                shown.append(line)
            }
        }
        if !tagged { shown.append(.error("\(tag) failed: \(job.source)")) }
        return shown
    }

    func takeReports() -> [JobLine] {
        defer { reports.removeAll() }
        return reports
    }

    /// Lets the jobs run until none could go on without waiting (each is
    /// parked in a poll that nothing is ready for) or `seconds` pass: what
    /// a command just did (a connect a job's accept waits for) has its
    /// effect before the next command, so a script's output is the same on
    /// every run. With the lock held.
    func settle(seconds: Double, servers: ServerTable?) {
        let serving = servers?.servers.isEmpty == false
        guard !running.isEmpty || serving else { return }
        let until = monotonicSeconds() + seconds
        while running.contains(where: { $0.context.isRunnable }) || serving && servers!.contexts.contains(where: { $0.isRunnable }),
              monotonicSeconds() < until {
            SessionLock.awaitChange(seconds: 0.005)
        }
    }

    /// Cancels every job and gives them a moment to end: the session is
    /// closing, and their sockets with it.
    func stopAll() {
        guard !running.isEmpty else { return }
        for job in running { job.context.cancel() }
        let until = monotonicSeconds() + 2
        while !running.isEmpty, monotonicSeconds() < until { SessionLock.awaitChange(seconds: 0.01) }
        reports.removeAll()
    }
}

extension Runner {
    /// `CMD &`: starts the command as a job, prints `[N] CMD`.
    func startJob(_ parsed: ParsedCommand, location: Location?) throws -> Outcome {
        guard let command = parsed.command else { return .failed }
        guard backgroundCommands.contains(command.name) else {
            logCommand(parsed.source)
            return report(ShellError.value("\(command.name) cannot run in the background: only a command that waits can "
                                           + "(accept, connect, create_connection, recv..., send..., select, sleep, tls, tls_server, unwrap, the resolver)"),
                          location: location, command: parsed)
        }
        let jobs = session.jobs
        let sockets: [SocketEntry]
        let context: WaitContext
        do {
            sockets = try socketsNamed(by: parsed)
            context = try WaitContext(owner: jobs.nextNumber())
        } catch {
            return report(error, location: location, command: parsed)
        }
        // The thread that starts a job holds the lock from then on (taking
        // it twice is refused by the checking mutex, and harmless).
        SessionLock.acquire()
        let job = Job(number: context.owner, source: parsed.source, context: context, sockets: sockets)
        let foreground = parsed.running(inBackground: false)
        let session = self.session
        let allowsShellCommands = self.allowsShellCommands
        jobs.add(job)
        do {
            try BackgroundThread.start {
                SessionLock.acquire()
                WaitContext.adopt(context)
                let output = JobOutput()
                context.traceSink = { output.trace($0) }
                let runner = Runner(session: session, output: output)
                runner.allowsShellCommands = allowsShellCommands
                runner.isJob = true
                let outcome = (try? runner.run(foreground, location: nil)) ?? .failed
                context.traceSink = nil
                session.jobs.finish(job, lines: output.lines, outcome: outcome)
                SessionLock.release()
            }
        } catch {
            jobs.finish(job, lines: [], outcome: .failed)
            _ = jobs.takeReports()
            return report(error, location: location, command: parsed)
        }
        logCommand(parsed.source + " &")
        emitValue("[\(job.number)] \(parsed.source)")
        return .succeeded
    }

    /// The open sockets a command names where its declaration takes a
    /// socket; an error naming the job when one of them is a job's.
    func socketsNamed(by parsed: ParsedCommand) throws -> [SocketEntry] {
        guard let command = parsed.command else { return [] }
        var found: [SocketEntry] = []
        for (index, argument) in parsed.arguments.enumerated() where index < command.parameters.count {
            let kind = command.parameters[index].kind
            guard kind == .socket || kind == .sockets else { continue }
            var names: [String] = []
            switch argument.kind {
            case .word(let name): names = [name]
            case .list(let items), .tuple(let items):
                names = items.compactMap { if case .word(let name) = $0.kind { return name } else { return nil } }
            default: break
            }
            for name in names {
                // An unknown name fails now, at the line that gave it, not
                // later from a job that could never have run.
                let entry = try session.entry(named: name)
                try checkNotBusy(entry, command: command.name)
                if !found.contains(where: { $0 === entry }) { found.append(entry) }
            }
        }
        return found
    }

    /// Prints the segments captured since the last time (`set packets on`).
    public func reportPackets() {
        let session = self.session
        let new = session.packets.takeNew(belongs: { session.owns(sourcePort: $0, destinationPort: $1) })
        for segment in new.segments {
            session.timeline.append(.segment(from: session.endName(local: segment.source, peer: segment.destination),
                                             to: session.endName(local: segment.destination, peer: segment.source),
                                             label: arrowLabel(segment.line), line: segment.line))
        }
        for line in new.lines { emitValue(line) }
        session.noteStates()
    }

    /// Prints what the servers logged (connections, closes, requests).
    public func reportServerLogs() {
        session.servers.drainWakeup()
        for line in session.servers.takeLogs() { emitValue(line) }
    }

    /// Prints what finished jobs left, in the order they ended.
    public func reportFinishedJobs() {
        for line in session.jobs.takeReports() {
            switch line {
            case .value(let text): emitValue(text)
            case .error(let text):
                output.error(text)
                recording?.output(text)
            case .trace(let text):
                output.trace(text)
                recording?.output(text)
            }
        }
    }

    /// Between two commands: what watched sockets saw, then the jobs run
    /// until they wait, then what finished is printed (SPEC section 9).
    public func reportBetweenCommands() {
        guard !isJob else { return }
        if session.packets.isCapturing { reportPackets() }
        if session.watches.isActive { reportWatchEvents() }
        guard session.jobs.isActive || session.servers.isActive else { return }
        session.jobs.settle(seconds: jobSettleLimit, servers: settlesServers ? session.servers : nil)
        reportServerLogs()
        reportFinishedJobs()
    }
}

/// A command naming a socket a job is using, other than to look at it.
func checkNotBusy(_ entry: SocketEntry, command: String) throws {
    guard entry.busyJob != 0, entry.busyJob != WaitContext.current?.owner, !busySocketQueries.contains(command) else { return }
    throw ShellError("RuntimeError", "\(entry.name) is in use by job %\(entry.busyJob); wait %\(entry.busyJob) or kill %\(entry.busyJob) first")
}

/// `%N` as `wait` and `kill` take it.
func jobNumber(_ argument: Argument, label: String = "%N") throws -> Int {
    if case .word(let word) = argument.kind, word.hasPrefix("%"), let number = Int(word.dropFirst()), number > 0 {
        return number
    }
    throw ShellError.type("\(label) must be a job as jobs lists it, like %1, not \(argument.text)")
}
