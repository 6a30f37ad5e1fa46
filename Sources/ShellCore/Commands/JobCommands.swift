import Glibc
import SocketCore

extension CommandTable {
    static let jobCommands: [Command] = [
        Command(name: "jobs", group: .shell, parameters: [],
                summary: "list the commands running in the background (CMD &)",
                python: "threading.enumerate()", cCall: "", run: listJobs),
        Command(name: "wait", group: .shell, parameters: [.optional("%N", .job), .optional("TIMEOUT", .seconds)],
                summary: "wait until job %N (or every job) ends, at most TIMEOUT seconds; Ctrl-C ends the wait, not the job",
                python: "thread.join(TIMEOUT)", cCall: "poll(2)", run: waitForJobs),
        Command(name: "kill", group: .shell, parameters: [.required("%N", .job)],
                summary: "cancel job %N: its socket stays as it was, bytes already read stay for the next recv",
                python: "", cCall: "poll(2)", run: killJob),
        Command(name: "watch", group: .shell, parameters: [.optional("NAME", .socket), .optional("off")],
                summary: "show what happens on NAME as it happens (bytes arriving, the peer closing, connections waiting), taking nothing",
                python: "selectors.DefaultSelector().register(NAME, selectors.EVENT_READ)", cCall: "epoll_ctl(2), recv(2) with MSG_PEEK",
                run: watchSocket),
        Command(name: "interact", group: .shell, parameters: [.required("NAME", .socket)],
                summary: "talk to NAME's peer as netcat does: each line typed is sent (set newline crlf: with \\r\\n), "
                    + "what arrives shows as it comes; Ctrl-] or Ctrl-D on an empty line returns",
                python: "telnetlib.Telnet.interact()", cCall: "poll(2), send(2), recv(2)", run: interact),
    ]
}

private func listJobs(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let running = call.session.jobs.running
    guard !running.isEmpty else { return .verbatim("(no jobs)") }
    return .verbatim(running.map { "[\($0.number)] running  \(escapedLine($0.source))" }.joined(separator: "\n"))
}

/// `wait [%N] [TIMEOUT]`: a number alone is the TIMEOUT.
private func waitForJobs(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let jobs = call.session.jobs
    var target: Int?
    var timeout: Double?
    if let first = bound.argument(0) {
        switch first.kind {
        case .integer, .float, .none:
            guard !bound.isGiven(1) else { throw call.arguments.usageError() }
            timeout = try call.arguments.seconds(first, label: "TIMEOUT", allowNone: true)
        default:
            target = try jobNumber(first)
        }
    }
    if bound.isGiven(1) { timeout = bound.seconds(1) }
    if let timeout, timeout < 0 { throw ShellError.value("TIMEOUT must be non-negative") }
    if let target, jobs.job(target) == nil, !jobs.wasStarted(target) {
        throw ShellError("ProcessLookupError", "no job %\(target)")
    }
    let deadline = timeout.map { monotonicSeconds() + $0 }
    let wakeup = try jobs.wakeupDescriptor()
    func finished() -> Bool { target.map { jobs.job($0) == nil } ?? jobs.running.isEmpty }
    while !finished() {
        do {
            _ = try pollUntilReady([(wakeup, Int16(POLLIN))], deadline: deadline)
        } catch is TimeoutExpired {
            let waited = target.map { "job %\($0) is" } ?? "jobs are"
            throw ShellError("TimeoutError", "timed out: \(waited) still running")
        }
        jobs.drainWakeup()
    }
    return nil
}

private func killJob(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    guard let argument = bound.argument(0) else { throw call.arguments.usageError() }
    let number = try jobNumber(argument)
    guard let job = call.session.jobs.job(number) else {
        throw ShellError("ProcessLookupError", "no job %\(number) is running")
    }
    job.context.cancel()
    // It ends at its next wait, which the cancel ends at once; a resolver
    // call cannot be cut short, and it ends when that returns.
    let until = monotonicSeconds() + 2
    while !job.isFinished, monotonicSeconds() < until { SessionLock.awaitChange(seconds: 0.01) }
    return nil
}

/// `watch NAME`, `watch NAME off`, and `watch` alone to list them.
private func watchSocket(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let watches = call.session.watches
    guard bound.isGiven(0) else {
        let names = watches.names(in: call.session)
        return .verbatim(names.isEmpty ? "(no sockets watched)" : "watching: " + names.joined(separator: ", "))
    }
    let entry = bound.socket(0)
    if let switchArgument = bound.argument(1) {
        guard case .word("off") = switchArgument.kind else {
            throw ShellError.value("watch takes NAME, or NAME off, not \(switchArgument.text)")
        }
        watches.stop(entry)
        return nil
    }
    try watches.start(entry)
    return nil
}

/// `interact NAME`: at the prompt the terminal takes the socket over; in a
/// script stdin is relayed to it (SPEC section 9).
private func interact(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    // As NAME.getpeername(): OSError ENOTCONN for a socket with no peer.
    guard let peer = try entry.socket.peerAddress() else { throw Errno(rawValue: ENOTCONN) }
    let interaction = Interaction(entry: entry, session: call.session)
    if let handler = call.runner.interactHandler {
        try handler(interaction)
        return .verbatim("interacting with \(entry.name) at \(addressValue(peer).repr): "
                         + "Ctrl-] or Ctrl-D on an empty line returns to sock>")
    }
    if call.runner.standardInputIsCommands {
        throw ShellError("RuntimeError", "interact relays stdin, and here stdin is the commands: "
                         + "give them with -c or in a script file")
    }
    try interaction.relay(call.runner)
    return nil
}
