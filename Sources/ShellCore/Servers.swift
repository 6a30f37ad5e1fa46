import Glibc
import SocketCore

/// How a server started by `serve` handles several clients, as the
/// SocketServer chapter teaches them (SPEC section 9).
public enum ServeModel: String, CaseIterable {
    /// One client at a time; the next waits in the listen backlog.
    case iterative
    /// A real thread per client (`socketserver.ThreadingTCPServer`).
    case threading
    /// A real process per client (`socketserver.ForkingTCPServer`).
    case forking
    /// One thread serving every client from one poll(2) (`selectors`).
    case select
}

/// One client a server holds.
final class ServedClient {
    let number: Int
    /// Nil in the server's process once a forked child has the connection.
    private(set) var socket: Socket?
    let peer: String
    let conversation: Conversation
    /// The forked child serving it, and a descriptor readable when it ends.
    var pid: pid_t = 0
    var pidDescriptor: Int32 = -1
    var sent = 0
    var received = 0

    nonisolated(unsafe) private static var scratch = [UInt8](repeating: 0, count: 65536)

    init(number: Int, socket: Socket, peer: String, conversation: Conversation) {
        self.number = number
        self.socket = socket
        self.peer = peer
        self.conversation = conversation
    }

    /// The poll(2) events the conversation waits for now.
    var events: Int16 {
        var events: Int16 = 0
        if conversation.wantsInput { events |= Int16(POLLIN) }
        if conversation.hasUnsent { events |= Int16(POLLOUT) }
        return events
    }

    /// Leaves the connection to a forked child: this process's copy closes.
    func handOver(pid: pid_t, pidDescriptor: Int32) {
        self.pid = pid
        self.pidDescriptor = pidDescriptor
        try? socket?.close()
        socket = nil
    }

    /// Reads and writes what the socket is ready for, without waiting:
    /// whether the connection ended, and its error (nil: closed cleanly).
    func step(readable: Bool, writable: Bool) -> (ended: Bool, error: Errno?) {
        guard let socket else { return (true, nil) }
        do {
            if readable {
                // One buffer for every read, made once: only one thread runs
                // at a time (the session's lock), and a step never waits.
                let count = try ServedClient.scratch.withUnsafeMutableBytes { try socket.receive(into: $0, deadline: nil) }
                if count == 0 {
                    conversation.peerClosed()
                } else {
                    received += count
                    conversation.received(ServedClient.scratch[..<count])
                }
            }
            if writable || readable {
                try flush(socket)
            }
        } catch let error as Errno where error.rawValue == EAGAIN || error.rawValue == EWOULDBLOCK {
            // Not ready after all: the next poll says when.
        } catch let error as Errno {
            close()
            return (true, error)
        } catch {
            close()
            return (true, nil)
        }
        if conversation.isFinished {
            close()
            return (true, nil)
        }
        return (false, nil)
    }

    /// Sends what the kernel takes now.
    private func flush(_ socket: Socket) throws {
        while conversation.hasUnsent {
            if conversation.unsent.isEmpty { conversation.sent(0) }
            let pending = conversation.unsent
            if pending.isEmpty { break }
            let count = try pending.withUnsafeBytes { try socket.send($0) }
            sent += count
            conversation.sent(count)
        }
    }

    func close() {
        try? socket?.close()
        socket = nil
    }
}

/// A server `serve` started: its listening socket and the clients it holds,
/// served by threads that hold the session's lock only between their waits.
public final class Server {
    public let name: String
    public let kind: ServeKind
    public let model: ServeModel
    let directory: String?
    let listener: Socket
    let local: (host: String, port: Int)
    var clients: [ServedClient] = []
    /// The threads serving it: `settle` waits for them as for jobs; `stop` cancels them.
    var contexts: [WaitContext] = []
    /// Connections so far, for the clients' numbers.
    var connections = 0
    private(set) var stopping = false
    weak var table: ServerTable?

    init(name: String, kind: ServeKind, model: ServeModel, directory: String?, listener: Socket,
         local: (host: String, port: Int)) {
        self.name = name
        self.kind = kind
        self.model = model
        self.directory = directory
        self.listener = listener
        self.local = local
    }

    func log(_ text: String) { table?.log(self, text) }

    /// Starts a thread serving it; it holds the lock except while it waits.
    func startThread(_ body: @escaping (WaitContext) -> Void) throws {
        let context = try WaitContext(owner: 0)
        contexts.append(context)
        do {
            try BackgroundThread.start { [self] in
                SessionLock.acquire()
                WaitContext.adopt(context)
                body(context)
                contexts.removeAll { $0 === context }
                context.finish()
                SessionLock.noteChange()
                table?.noteThreadEnded()
                SessionLock.release()
            }
        } catch {
            contexts.removeAll { $0 === context }
            throw error
        }
    }

    /// Accepts one waiting connection; nil when none waits.
    private func acceptOne() -> ServedClient? {
        guard let (socket, address) = try? listener.accept(timeout: 0) else { return nil }
        connections += 1
        let peer = addressValue(address).repr
        let conversation = Conversation(kind: kind, peer: peer, directory: directory, local: local)
        let client = ServedClient(number: connections, socket: socket, peer: peer, conversation: conversation)
        log("\(peer) connected")
        return client
    }

    private func ended(_ client: ServedClient, error: Errno?) {
        for line in client.conversation.logLines { log("\(client.peer) \(line)") }
        if let error {
            log("\(client.peer) \(ShellError.os(error).line)")
        } else {
            log("\(client.peer) closed")
        }
        clients.removeAll { $0 === client }
    }

    /// Serves one client until it ends, waiting in poll(2) on it alone.
    private func serveAlone(_ client: ServedClient) {
        clients.append(client)
        var result = client.step(readable: false, writable: true)
        while !result.ended, let socket = client.socket {
            let events = client.events
            guard events != 0 else { client.close(); break }
            guard let ready = try? pollUntilReady([(socket.fileDescriptor, events)], deadline: nil) else {
                client.close()
                break
            }
            let revents = ready[0]
            result = client.step(readable: revents & Int16(POLLIN | POLLHUP | POLLERR) != 0,
                                 writable: revents & Int16(POLLOUT | POLLERR) != 0)
        }
        ended(client, error: result.error)
    }

    /// The model's loop, on the server's first thread.
    func run(_ context: WaitContext) {
        switch model {
        case .iterative:
            while !context.cancelled {
                guard (try? pollUntilReady([(listener.fileDescriptor, Int16(POLLIN))], deadline: nil)) != nil else { break }
                while !context.cancelled, let client = acceptOne() { serveAlone(client) }
            }
        case .threading:
            while !context.cancelled {
                guard (try? pollUntilReady([(listener.fileDescriptor, Int16(POLLIN))], deadline: nil)) != nil else { break }
                while let client = acceptOne() {
                    do {
                        try startThread { [self] _ in serveAlone(client) }
                    } catch {
                        // No thread for it: it is served on this one, as an iterative server would.
                        serveAlone(client)
                    }
                }
            }
        case .forking:
            runForking(context)
        case .select:
            runSelect(context)
        }
        try? listener.close()
        for client in clients { client.close() }
    }

    private func runSelect(_ context: WaitContext) {
        while !context.cancelled {
            var requests: [(fd: Int32, events: Int16)] = [(listener.fileDescriptor, Int16(POLLIN))]
            let polled = clients
            for client in polled { requests.append((client.socket?.fileDescriptor ?? -1, client.events)) }
            guard let ready = try? pollUntilReady(requests, deadline: nil) else { break }
            for (index, client) in polled.enumerated() where ready[index + 1] != 0 {
                let revents = ready[index + 1]
                let result = client.step(readable: revents & Int16(POLLIN | POLLHUP | POLLERR) != 0,
                                         writable: revents & Int16(POLLOUT | POLLERR) != 0)
                if result.ended { ended(client, error: result.error) }
            }
            if ready[0] != 0 {
                while let client = acceptOne() {
                    clients.append(client)
                    let result = client.step(readable: false, writable: true)
                    if result.ended { ended(client, error: result.error) }
                }
            }
        }
    }

    private func runForking(_ context: WaitContext) {
        while !context.cancelled {
            var requests: [(fd: Int32, events: Int16)] = [(listener.fileDescriptor, Int16(POLLIN))]
            let children = clients
            for client in children { requests.append((client.pidDescriptor, Int16(POLLIN))) }
            guard let ready = try? pollUntilReady(requests, deadline: nil) else { break }
            for (index, client) in children.enumerated() where ready[index + 1] != 0 { reap(client) }
            guard ready[0] != 0 else { continue }
            while let client = acceptOne() {
                guard let socket = client.socket else { continue }
                let pid = Processes.fork()
                if pid == 0 { Server.child(serving: client, socket: socket) }
                if pid < 0 {
                    log("\(client.peer) \(ShellError.os(Errno.current).line) (fork)")
                    client.close()
                    continue
                }
                let pidDescriptor = Processes.descriptor(for: pid)
                client.handOver(pid: pid, pidDescriptor: pidDescriptor)
                log("\(client.peer) served by process \(pid)")
                clients.append(client)
                if pidDescriptor < 0 { reap(client) }
            }
        }
        for client in clients where client.pid > 0 { kill(client.pid, SIGTERM) }
        for client in clients { reap(client, waiting: true) }
    }

    /// Collects a forked child that ended (or, `waiting`, waits for it).
    private func reap(_ client: ServedClient, waiting: Bool = false) {
        var status: Int32 = 0
        let result = waitpid(client.pid, &status, waiting ? 0 : WNOHANG)
        guard result == client.pid || result < 0 else { return }
        if client.pidDescriptor >= 0 { _ = Glibc.close(client.pidDescriptor) }
        client.pidDescriptor = -1
        clients.removeAll { $0 === client }
        log("\(client.peer) closed")
    }

    /// The forked child: it keeps the client's socket and nothing else of the
    /// session (the session's own clients of this server must close for real
    /// when the session closes them), serves it, and ends without running
    /// anything of the parent's (no flush of its buffered output, no atexit).
    private static func child(serving client: ServedClient, socket: Socket) -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_DFL)
        Processes.endWithParent()
        let keep = socket.fileDescriptor
        Processes.closeAll(except: keep)
        var result = client.step(readable: false, writable: true)
        while !result.ended {
            let events = client.events
            if events == 0 { break }
            var request = [pollfd(fd: keep, events: events, revents: 0)]
            let count = Glibc.poll(&request, 1, -1)
            if count < 0 { if errno == EINTR { continue } else { break } }
            let revents = request[0].revents
            result = client.step(readable: revents & Int16(POLLIN | POLLHUP | POLLERR) != 0,
                                 writable: revents & Int16(POLLOUT | POLLERR) != 0)
        }
        client.close()
        _exit(0)
    }

    /// Ends every thread of the server and closes its clients. With the lock held.
    func stop() {
        stopping = true
        for context in contexts { context.cancel() }
        let until = monotonicSeconds() + 3
        while !contexts.isEmpty, monotonicSeconds() < until { SessionLock.awaitChange(seconds: 0.01) }
        try? listener.close()
        for client in clients { client.close() }
    }
}

/// The session's servers, and the lines they logged, not yet printed.
public final class ServerTable {
    public private(set) var servers: [Server] = []
    var logs: [String] = []
    /// `set log off`: connections and closes are not shown.
    public var logging = true
    private var wakeup: Wakeup?

    public var isActive: Bool { !servers.isEmpty || !logs.isEmpty }

    /// Readable when a server logged a line; -1 while there is no server.
    public var descriptor: Int32 { servers.isEmpty && logs.isEmpty ? -1 : wakeup?.fileDescriptor ?? -1 }

    public func drainWakeup() { wakeup?.drain() }
    public var hasLogs: Bool { !logs.isEmpty }

    func server(named name: String) -> Server? { servers.first { $0.name == name } }

    /// Every thread serving, for `settle`.
    var contexts: [WaitContext] { servers.flatMap(\.contexts) }

    func add(_ server: Server) throws {
        if wakeup == nil { wakeup = try Wakeup() }
        server.table = self
        servers.append(server)
    }

    func log(_ server: Server, _ text: String) {
        guard logging, !server.stopping else { return }
        logs.append("[serve \(server.name)] \(escapedLine(text))")
        wakeup?.signal()
    }

    func noteThreadEnded() { wakeup?.signal() }

    func takeLogs() -> [String] {
        defer { logs.removeAll() }
        return logs
    }

    func remove(_ server: Server) {
        server.stop()
        servers.removeAll { $0 === server }
    }

    func stopAll() {
        for server in servers { server.stop() }
        servers.removeAll()
        logs.removeAll()
    }
}
