import SocketCore

/// What `why` prints about a failed command: the error's symbol and number,
/// what the kernel (or resolver) did, the likely causes in this situation,
/// and what to try. Several lines, no trailing newline:
///
///     ECONNREFUSED (errno 111): Connection refused
///     What happened: ...
///     Likely causes:
///       - ...
///     Try:
///       - ...
///
/// The entry is chosen by the error's number (`ShellError.code`: errno, EAI_*
/// or h_errno, Linux x86_64 numbering); an error without a number (a timeout,
/// a usage error, Ctrl-C) is explained by its type. The command's own
/// arguments make the advice concrete: the host and port that refused, the
/// port that needs privilege, the socket to set an option on.
public func explain(_ failure: Failure) -> String {
    let situation = Situation(failure.command)
    let error = failure.error
    let header: String
    let note: Note
    switch error.code {
    case .errno(let number)?:
        let text = Errno(rawValue: number).message
        if let known = errnoNote(number, situation) {
            header = "\(known.symbol) (errno \(number)): \(text)"
            note = known
        } else {
            header = "\(Errno(rawValue: number).name ?? "E???") (errno \(number)): \(text)"
            note = unknownNote(situation, what: "errno \(number)")
        }
    case .resolver(let code)?:
        let text = ResolverError(code: code).message
        if let known = resolverNote(code, situation) {
            header = "\(known.symbol) (\(code)): \(text)"
            note = known
        } else {
            header = "EAI_??? (\(code)): \(text)"
            note = unknownNote(situation, what: "resolver code \(code)")
        }
    case .host(let code)?:
        let text = HostError(code: code).message
        if let known = hostNote(code, situation) {
            header = "\(known.symbol) (h_errno \(code)): \(text)"
            note = known
        } else {
            header = "h_errno \(code): \(text)"
            note = unknownNote(situation, what: "h_errno \(code)")
        }
    case nil:
        header = error.line
        note = typeNote(error, situation)
    }
    var lines = [header, "What happened: \(note.happened)", "Likely causes:"]
    lines += note.causes.map { "  - \($0)" }
    lines.append("Try:")
    lines += note.tries.map { "  - \($0)" }
    return lines.joined(separator: "\n")
}

/// One explanation: the symbol for the first line, then the three parts.
private struct Note {
    var symbol = ""
    var happened: String
    var causes: [String]
    var tries: [String]
}

/// What the failed command tells about the situation: which call, on which
/// socket, to which address. Every field is shown as the user wrote it.
private struct Situation {
    /// The command's name; empty when the line did not parse.
    var command = ""
    var arguments: [Argument] = []
    /// The socket the command works on, or `NAME` when there is none.
    var name = "NAME"
    var host: String?
    /// HOST was `''` or `*`: every local address.
    var hostIsAny = false
    var port: String?
    var portNumber: Int?
    /// An AF_UNIX address.
    var path: String?
    /// A file the command reads (`sendfile NAME PATH`, `@PATH`).
    var file: String?

    static let socketFirst: Set<String> = [
        "bind", "listen", "accept", "connect", "connect_ex", "shutdown", "close", "getsockname",
        "getpeername", "fileno", "send", "sendall", "sendline", "sendto", "sendfile", "recv", "recvfrom",
        "recvline", "recvuntil", "recvall", "setsockopt", "getsockopt", "settimeout", "gettimeout",
        "setblocking", "getblocking", "socket", "socketpair", "create_connection", "create_server",
        "tls", "tls_server", "unwrap", "tlsinfo",
    ]
    /// Where the address starts in each command that takes one.
    static let addressIndex: [String: Int] = [
        "bind": 1, "connect": 1, "connect_ex": 1, "create_connection": 1, "create_server": 1, "sendto": 2,
        "getaddrinfo": 0, "gethostbyname": 0, "gethostbyname_ex": 0, "gethostbyaddr": 0, "getfqdn": 0,
        "getnameinfo": 0,
    ]
    static let resolverCommands: Set<String> = [
        "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getfqdn", "getnameinfo",
    ]

    init(_ parsed: ParsedCommand?) {
        guard let parsed else { return }
        command = parsed.name
        arguments = parsed.arguments
        if Situation.socketFirst.contains(command), let first = arguments.first, case .word(let word) = first.kind {
            name = word
        }
        for argument in arguments {
            if case .file(let path) = argument.kind { file = path }
        }
        if command == "sendfile", arguments.count > 1 { file = Situation.shown(arguments[1]) }
        guard let index = Situation.addressIndex[command], index < arguments.count else { return }
        let first = arguments[index]
        if case .tuple(let items) = first.kind {
            if let host = items.first { setHost(host) }
            if items.count > 1 { setPort(items[1]) }
        } else if Situation.resolverCommands.contains(command) {
            setHost(first)
            if command == "getaddrinfo", index + 1 < arguments.count { setPort(arguments[index + 1]) }
        } else if index + 1 < arguments.count {
            setHost(first)
            setPort(arguments[index + 1])
        } else {
            switch first.kind {
            case .string(let text) where text.hasPrefix("\0"): path = first.text
            case .word, .string: path = Situation.shown(first)
            default: break
            }
        }
    }

    private mutating func setHost(_ argument: Argument) {
        switch argument.kind {
        case .string(""), .word("*"):
            hostIsAny = true
            host = argument.text
        case .string("<broadcast>"):
            host = "<broadcast>"
        default:
            host = Situation.shown(argument)
        }
    }

    private mutating func setPort(_ argument: Argument) {
        port = Situation.shown(argument)
        if case .integer(let number) = argument.kind { portNumber = number }
    }

    /// A plain word or string without its quotes; anything else as typed.
    static func shown(_ argument: Argument) -> String {
        switch argument.kind {
        case .word(let word): return word
        case .string(let text) where !text.contains("\0"): return text
        default: return argument.text
        }
    }

    /// The address as a phrase: `127.0.0.1 port 1`, `port 80 on every local
    /// address`, a path, or `the address`.
    var target: String {
        if let path { return path }
        guard let port else { return host ?? "the address" }
        if hostIsAny { return "port \(port) on every local address" }
        return "\(host ?? "the host") port \(port)"
    }

    /// HOST is this machine (or not given as a plain address): a listener
    /// in this session could serve it.
    var isLocalHost: Bool {
        guard let host else { return true }
        return hostIsAny || host == "localhost" || host == "::1" || host.hasPrefix("127.") || host.hasPrefix("$")
            || host.hasPrefix("::ffff:127.")
    }

    /// The host alone, for resolver messages.
    var hostName: String { host ?? "the name" }

    /// HOST and PORT as they go back into a command.
    var hostPortArguments: String {
        "\(typedHost) \(port ?? "PORT")"
    }

    /// HOST as it goes back into a command.
    var typedHost: String {
        guard let host else { return "HOST" }
        if hostIsAny { return host == "*" ? "*" : "''" }
        return host == "<broadcast>" ? "'<broadcast>'" : host
    }

    var isBind: Bool { command == "bind" || command == "create_server" }
    var isConnect: Bool { command == "connect" || command == "connect_ex" || command == "create_connection" }
    var isReceive: Bool { ["recv", "recvfrom", "recvline", "recvuntil", "recvall"].contains(command) }
    var isSend: Bool { ["send", "sendall", "sendline", "sendto", "sendfile"].contains(command) }
    var isOption: Bool { command == "setsockopt" || command == "getsockopt" }
    var isBroadcast: Bool {
        guard let host else { return false }
        return host == "<broadcast>" || host.hasSuffix(".255")
    }
    /// `the call` in prose: `connect`, `bind`, ... or `the call`.
    var call: String { command.isEmpty ? "the call" : command }
    /// The command's C call from the command table, for `man`.
    var manPages: [String] {
        guard let entry = CommandTable.lookup(command), !entry.cCall.isEmpty else { return [] }
        return entry.cCall.split(separator: ",").compactMap { part -> String? in
            guard let call = part.split(separator: " ").first else { return nil }
            guard let open = call.firstIndex(of: "("), call.hasSuffix(")") else { return nil }
            let section = call[call.index(after: open)..<call.index(before: call.endIndex)]
            return "`man \(section) \(call[..<open])`"
        }
    }
}

// MARK: - errno

private func errnoNote(_ number: Int32, _ s: Situation) -> Note? {
    let n = s.name
    switch number {
    case 1:
        let raw = "A raw or packet socket needs CAP_NET_RAW (root has it)"
        let admin = "Some socket options need CAP_NET_ADMIN: SO_PRIORITY above 6, SO_MARK, SO_RCVBUFFORCE, SO_SNDBUFFORCE"
        let firewall = "A local firewall rule (iptables/nftables OUTPUT chain) dropped the outgoing packet: connect and send then fail with EPERM"
        let causes: [String]
        let tries: [String]
        if s.command == "socket" || s.command == "socketpair" {
            causes = [raw, "A security module (SELinux, AppArmor, a container's seccomp profile) forbids this kind of socket"]
            tries = ["Use an ordinary socket: `socket \(n) tcp` or `socket \(n) udp`",
                     "For raw sockets, run sockshell with the capability (`sudo setcap cap_net_raw=+ep` on the sockshell binary) or as root"]
        } else if s.isOption {
            causes = [admin, "A security module forbids changing this option"]
            tries = ["Use a value that needs no privilege (SO_PRIORITY 0-6), or run sockshell as root",
                     "`getsockopt \(n) LEVEL OPTION` shows the current value"]
        } else {
            causes = [firewall, "A security module (SELinux, AppArmor, seccomp) forbids the call"]
            tries = ["Outside sockshell, `sudo nft list ruleset` or `sudo iptables -L OUTPUT` shows firewall rules",
                     "Try 127.0.0.1, which firewalls rarely filter, to tell a firewall from other problems"]
        }
        return Note(symbol: "EPERM",
            happened: "The kernel refused \(s.call) because the process lacks a privilege (a capability) the operation needs, or a security rule forbids it.",
            causes: causes, tries: tries)
    case 2:
        if let file = s.file {
            return Note(symbol: "ENOENT",
                happened: "\(s.call) tried to open the file \(file), and there is no file at that path.",
                causes: ["The path has a typo, or a relative path was taken from another working directory than you think",
                         "The file was moved or removed"],
                tries: ["Give an absolute path, e.g. `/tmp/data.bin`",
                        "Outside sockshell, `ls -l \(file)` shows whether it exists"])
        }
        let path = s.path ?? "PATH"
        if s.isBind {
            return Note(symbol: "ENOENT",
                happened: "bind could not create the Unix socket file \(path), because a directory in that path does not exist.",
                causes: ["A directory in \(path) does not exist (bind creates the socket file, never the directories above it)",
                         "A typo in the path, or a relative path taken from another working directory"],
                tries: ["Create the directory first (`mkdir -p` outside sockshell), or bind in one that exists, e.g. `bind \(n) /tmp/\(n).sock`",
                        "An abstract address needs no file at all: `bind \(n) '\\0\(n)'`"])
        }
        return Note(symbol: "ENOENT",
            happened: "\(s.call) looked for the Unix socket file \(path), and there is no file there, so there is no socket to reach.",
            causes: ["No server has bound \(path) yet (its `bind` creates the file)",
                     "The path has a typo, or a relative path was taken from another working directory",
                     "The file was removed (by the server on exit, or by hand)",
                     "The server uses the abstract namespace, which has no file: its address starts with \\0"],
            tries: ["Start a server on it: `socket srv unix`, `bind srv \(path)`, `listen srv`",
                    "Outside sockshell, `ls -l \(path)` shows whether the socket file exists (type `s` in the listing)",
                    "For an abstract address, write the leading NUL: `connect \(n) '\\0name'`"])
    case 4:
        return Note(symbol: "EINTR",
            happened: "A signal arrived while \(s.call) was waiting in the kernel, and the call returned before it finished.",
            causes: ["A signal other than Ctrl-C (SIGINT is reported as KeyboardInterrupt) interrupted the call",
                     "A timer or child-process signal, or a terminal resize, arrived during the wait"],
            tries: ["Repeat the command: nothing was lost, the call just did not complete",
                    "`sockets` shows that \(n) is still open"])
    case 9:
        return Note(symbol: "EBADF",
            happened: "The file descriptor given to \(s.call) is not open (or not open for this operation), so the kernel had no socket to act on.",
            causes: ["The socket's descriptor was closed before the call (closed underneath the session, or an fd number from `$NAME.fd` that is no longer open)",
                     "The descriptor was opened in a mode that does not allow this operation"],
            tries: ["`sockets` lists the open sockets and their descriptors",
                    "`close \(n)` and create it again: `socket \(n)`"])
    case 11:
        var what = "the call would have had to wait"
        var cause = "Nothing has arrived yet: the peer has not sent, or the data is still on its way"
        if s.isReceive { what = "there was no data in its receive queue" }
        else if s.isSend {
            what = "its send buffer is full"
            cause = "The peer is not reading, so its receive window and this socket's send buffer filled up"
        } else if s.command == "accept" {
            what = "no connection is waiting in its accept queue"
            cause = "No client has connected yet"
        } else if s.isConnect {
            what = "the server could not take the connection at once"
            cause = "\(n) is a Unix socket and the server's listen backlog is full: it is not accepting fast enough"
        }
        return Note(symbol: "EAGAIN",
            happened: "\(n) is non-blocking, so \(s.call) returned at once instead of waiting, because \(what) (EAGAIN is also called EWOULDBLOCK; Python raises BlockingIOError).",
            causes: [cause,
                     "\(n) was made non-blocking on purpose: `settimeout \(n) 0`, `setblocking \(n) False`, or the MSG_DONTWAIT flag"],
            tries: [s.isSend ? "`select [] [\(n)] 5` waits up to 5 s until \(n) can take more data"
                             : "`select [\(n)] [] 5` waits up to 5 s until \(n) is readable, then repeat the command",
                    "`settimeout \(n) None` makes calls wait (Ctrl-C ends a wait), or `settimeout \(n) 5` waits at most 5 s",
                    "`gettimeout \(n)` shows the mode: 0.0 means non-blocking"])
    case 12:
        return Note(symbol: "ENOMEM",
            happened: "The kernel could not allocate the memory \(s.call) needed.",
            causes: ["The machine is short of memory", "A very large buffer size was asked for"],
            tries: ["Ask for less (a smaller BUFSIZE or option value)", "Close sockets you no longer need: `sockets` lists them"])
    case 13:
        if s.isBind, let port = s.portNumber, (1...1023).contains(port) {
            return Note(symbol: "EACCES",
                happened: "bind refused \(s.target): port \(port) is below 1024, a privileged port, and on Linux only a process with CAP_NET_BIND_SERVICE (root has it) may bind one.",
                causes: ["Port \(port) is privileged and sockshell runs as an ordinary user",
                         "/proc/sys/net/ipv4/ip_unprivileged_port_start is 1024 (the default): every port below it needs the capability",
                         "A security module (SELinux, AppArmor) may also deny the bind"],
                tries: ["Use a port of 1024 or above: `\(s.command) \(n) \(s.typedHost) 8080`, or port 0 to let the kernel pick one (`getsockname \(n)` then shows it)",
                        "Give the binary the capability: `sudo setcap cap_net_bind_service=+ep` on the sockshell executable",
                        "Or lower the limit for the whole machine: `sudo sysctl net.ipv4.ip_unprivileged_port_start=\(port)`"])
        }
        if s.isBind, s.path != nil {
            let path = s.path ?? "PATH"
            return Note(symbol: "EACCES",
                happened: "bind could not create the Unix socket file \(path): the process may not write in its directory.",
                causes: ["No write (or search) permission on the directory that would hold \(path)"],
                tries: ["Bind in a directory you own, e.g. `bind \(n) /tmp/\(n).sock`",
                        "An abstract address needs no file: `bind \(n) '\\0\(n)'`"])
        }
        if s.isBind {
            return Note(symbol: "EACCES",
                happened: "bind refused \(s.target): the process is not allowed to bind it.",
                causes: ["The port is below /proc/sys/net/ipv4/ip_unprivileged_port_start (1024 by default, possibly raised here) and the process lacks CAP_NET_BIND_SERVICE",
                         "A security module (SELinux, AppArmor) denies the bind"],
                tries: ["Bind a higher port, or port 0 to let the kernel pick: `\(s.command) \(n) \(s.typedHost) 0`",
                        "Outside sockshell, `cat /proc/sys/net/ipv4/ip_unprivileged_port_start` shows the limit"])
        }
        if s.path != nil {
            let path = s.path ?? "PATH"
            return Note(symbol: "EACCES",
                happened: "\(s.call) may not use the Unix socket file \(path): connecting needs write permission on the socket file and search permission on every directory above it.",
                causes: ["The server created \(path) with a mode that leaves you out (its umask, or it runs as another user)",
                         "A directory in the path is not searchable by you"],
                tries: ["Outside sockshell, `ls -l \(path)` shows the owner and mode; the server may `chmod` it",
                        "Run the server and client as the same user"])
        }
        if s.command == "socket" {
            return Note(symbol: "EACCES",
                happened: "socket refused to create this kind of socket for this user.",
                causes: ["An ICMP (ping) datagram socket needs the user's group in /proc/sys/net/ipv4/ping_group_range",
                         "A security module denies the socket type"],
                tries: ["Use a TCP or UDP socket: `socket \(n) tcp`, `socket \(n) udp`",
                        "Outside sockshell, `sudo sysctl net.ipv4.ping_group_range='0 2147483647'` allows ping sockets for everyone"])
        }
        var causes = ["The destination is a broadcast address, and \(n) does not have SO_BROADCAST set: Linux refuses broadcasts without it",
                      "A local firewall rule rejected the packet (connect and send may also report EPERM for that)"]
        if !s.isBroadcast && s.host != nil { causes.swapAt(0, 1) }
        return Note(symbol: "EACCES",
            happened: s.isBroadcast
                ? "\(s.call) to the broadcast address \(s.hostName) was refused: a socket may send broadcasts only after SO_BROADCAST is set on it."
                : "The kernel refused \(s.call) on \(n): the process or the socket lacks a permission this operation needs.",
            causes: causes,
            tries: s.isBroadcast
                ? ["`setsockopt \(n) SOL_SOCKET SO_BROADCAST 1`, then repeat the command",
                   "Outside sockshell, `sudo nft list ruleset` or `sudo iptables -L OUTPUT` shows firewall rules"]
                : ["Outside sockshell, `sudo nft list ruleset` or `sudo iptables -L OUTPUT` shows firewall rules",
                   "If the destination is a broadcast address (255.255.255.255, or the last address of a subnet), `setsockopt \(n) SOL_SOCKET SO_BROADCAST 1` first"])
    case 14:
        return Note(symbol: "EFAULT",
            happened: "A pointer that \(s.call) passed to the kernel pointed outside the process's memory, so the kernel refused to read or write through it.",
            causes: ["This is a bug in sockshell (or the C library), not in your command: nothing you type should cause it"],
            tries: ["Report the command and this output to the sockshell maintainers",
                    "The socket is unchanged; `sockets` shows its state"])
    case 19:
        return Note(symbol: "ENODEV",
            happened: "\(s.call) named a network interface (a device) that does not exist on this machine.",
            causes: ["A typo in the interface name given to SO_BINDTODEVICE or a multicast option",
                     "The interface was removed or renamed (USB adapters, VPN tunnels, containers)"],
            tries: ["`if_nameindex` lists this machine's interfaces by name and index",
                    "Give the name as bytes: `setsockopt \(n) SOL_SOCKET SO_BINDTODEVICE b'lo'`"])
    case 20:
        let path = s.path ?? s.file ?? "PATH"
        return Note(symbol: "ENOTDIR",
            happened: "A part of \(path) that must be a directory is a file, so the kernel could not follow the path.",
            causes: ["A component in the middle of \(path) is a regular file or a socket, not a directory"],
            tries: ["Check each part of the path (`ls -ld` outside sockshell)",
                    "Use a path in a real directory, e.g. `/tmp/\(n).sock`"])
    case 21:
        let path = s.file ?? s.path ?? "PATH"
        return Note(symbol: "EISDIR",
            happened: "\(s.call) tried to read \(path) as a file, and it is a directory.",
            causes: ["`sendfile` and `@PATH` need a regular file, not a directory"],
            tries: ["Name a file inside the directory: `sendfile \(n) \(path)/FILE`"])
    case 22:
        return einvalNote(s)
    case 23:
        return Note(symbol: "ENFILE",
            happened: "The whole system ran out of open-file slots, so \(s.call) could not get a new descriptor.",
            causes: ["Some process on the machine holds a huge number of files or sockets",
                     "/proc/sys/fs/file-max is low"],
            tries: ["Close sockets you no longer need: `sockets` lists them, `close NAME` closes one",
                    "Outside sockshell, `cat /proc/sys/fs/file-nr` shows the files in use and the limit"])
    case 24:
        return Note(symbol: "EMFILE",
            happened: "The process reached its limit of open file descriptors (RLIMIT_NOFILE), so \(s.call) could not get a new one\(s.command == "accept" ? "; the connection stays in the accept queue" : "").",
            causes: ["Many sockets are open in this session: every socket, accepted connection and open file uses one descriptor",
                     "The limit is low: `ulimit -n` in the shell that started sockshell shows it (often 1024)"],
            tries: ["`sockets` lists the open sockets; `close NAME` frees a descriptor",
                    "Raise the limit before starting sockshell: `ulimit -n 4096` (up to the hard limit, `ulimit -Hn`)"])
    case 32:
        return Note(symbol: "EPIPE",
            happened: "\(s.call) on \(n) was refused because the connection can no longer carry data in this direction (sockshell ignores SIGPIPE, so this is an error instead of a signal that ends the program).",
            causes: ["The peer closed the connection (or reset it): the first send after the peer's close usually succeeds and makes the peer's kernel answer with RST; the next send fails with EPIPE",
                     "This side called `shutdown \(n) wr` (or rdwr) earlier: no more sends are allowed",
                     "\(n) was never connected: on Linux, send on an unconnected TCP socket is EPIPE, not ENOTCONN"],
            tries: ["`recv \(n)` reads what the peer sent before it closed: b'' means it closed normally, ConnectionResetError means it reset",
                    "`sockets` shows \(n)'s state",
                    "A closed connection cannot be reopened: `close \(n)`, then `socket \(n)` and `connect \(n) HOST PORT` again"])
    case 36:
        let path = s.path ?? s.file ?? "PATH"
        return Note(symbol: "ENAMETOOLONG",
            happened: "The path \(path) is longer than the kernel accepts.",
            causes: ["A single component of the path is longer than 255 bytes (NAME_MAX)",
                     "For a Unix socket, the whole path must fit in sun_path: at most 107 bytes plus the terminating NUL"],
            tries: ["Use a shorter path, e.g. `/tmp/\(n).sock`",
                    "Or an abstract address, which has no file: `'\\0\(n)'`"])
    case 88:
        return Note(symbol: "ENOTSOCK",
            happened: "The descriptor given to \(s.call) is open, but it is a file or pipe, not a socket.",
            causes: ["A descriptor number that belongs to a file, not a socket, was used where a socket was expected"],
            tries: ["`sockets` lists the sockets and their descriptors; use a socket's name, not a number"])
    case 89:
        return Note(symbol: "EDESTADDRREQ",
            happened: "\(s.call) on \(n) had no destination: \(n) is a datagram socket that is not connected, so a send without an address has nowhere to go.",
            causes: ["`send`, `sendall` and `sendline` need a connected socket; an unconnected UDP socket must name the destination on every datagram"],
            tries: ["`sendto \(n) DATA HOST PORT` gives the address with the datagram",
                    "Or `connect \(n) HOST PORT` first to set a default peer (UDP connect sends nothing), then `send \(n) DATA`"])
    case 90:
        return Note(symbol: "EMSGSIZE",
            happened: "\(s.call) was asked to send one datagram larger than \(n) can send in one piece, so nothing was sent.",
            causes: ["A UDP datagram over IPv4 carries at most 65,507 bytes (65,535 minus the 20-byte IP header and the 8-byte UDP header); over IPv6, 65,527 bytes",
                     "Path MTU discovery is set to forbid fragmentation (IP_MTU_DISCOVER), and the datagram is larger than the route's MTU",
                     "On a Unix datagram socket, the datagram is larger than the send buffer (SO_SNDBUF)"],
            tries: ["Split the data into smaller datagrams; up to 1,472 bytes fits an Ethernet frame (1,500 minus 28 bytes of headers) without IP fragmentation",
                    "For large data, use a stream socket (`socket NAME tcp`) and `sendall`"])
    case 91:
        if s.path != nil {
            return Note(symbol: "EPROTOTYPE",
                happened: "The socket at \(s.target) is of another type than \(n): a stream socket cannot connect to a datagram socket, nor the reverse.",
                causes: ["The server bound \(s.target) with SOCK_DGRAM and \(n) is SOCK_STREAM (or the other way round, or SOCK_SEQPACKET)"],
                tries: ["Create \(n) with the server's type: `close \(n)`, then e.g. `socket \(n) unix dgram` for a datagram server",
                        "`sockets` shows \(n)'s type"])
        }
        return Note(symbol: "EPROTOTYPE",
            happened: "The protocol does not support the semantics of the socket type asked for.",
            causes: ["A PROTO argument that belongs to another socket type",
                     "For Unix sockets: the socket at the path has another type than this one"],
            tries: ["Leave PROTO out and let the kernel choose: `socket \(n) inet stream`", "`help socket`"])
    case 92:
        return enoprotooptNote(s)
    case 93:
        return Note(symbol: "EPROTONOSUPPORT",
            happened: "socket was asked for a protocol that this family and type do not offer, so no socket was created.",
            causes: ["The PROTO number does not match the type: IPPROTO_UDP (17) with SOCK_STREAM, or IPPROTO_TCP (6) with SOCK_DGRAM",
                     "AF_UNIX sockets take protocol 0 only",
                     "The protocol's kernel module (SCTP, for example) is not available"],
            tries: ["Leave PROTO out: 0 lets the kernel choose TCP for stream and UDP for dgram: `socket \(n) inet stream`",
                    "`socket \(n) tcp` and `socket \(n) udp` are the usual pairs"])
    case 94:
        return Note(symbol: "ESOCKTNOSUPPORT",
            happened: "socket was asked for a socket type that this address family does not offer, so no socket was created.",
            causes: ["AF_INET and AF_INET6 offer SOCK_STREAM (TCP), SOCK_DGRAM (UDP) and SOCK_RAW; SOCK_SEQPACKET needs SCTP",
                     "AF_UNIX offers SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET"],
            tries: ["`socket \(n) inet stream` or `socket \(n) inet dgram`", "`help socket` lists the families and types"])
    case 95:
        if s.command == "listen" || s.command == "accept" {
            return Note(symbol: "EOPNOTSUPP",
                happened: "\(s.call) works only on connection-oriented sockets, and \(n) is a datagram (UDP) socket: datagram sockets have no connections to listen for or accept.",
                causes: ["\(n) was created with SOCK_DGRAM (`socket \(n) udp`)"],
                tries: ["For a TCP server, use a stream socket: `close \(n)`, then `socket \(n) tcp`, `bind`, `listen`, `accept`",
                        "For a UDP server, `bind \(n) HOST PORT` and then `recvfrom \(n)`: each datagram comes with its sender's address",
                        "`sockets` shows \(n)'s type"])
        }
        return Note(symbol: "EOPNOTSUPP",
            happened: "\(s.call) asked for something \(n)'s kind of socket does not support.",
            causes: ["A flag this socket type does not support, e.g. MSG_OOB on a UDP or Unix socket",
                     "An operation for connection-oriented sockets on a datagram socket"],
            tries: ["Leave the FLAGS out, or use flags this socket supports", "`sockets` shows \(n)'s family and type"])
    case 97:
        if s.command == "socket" || s.command == "socketpair" {
            return Note(symbol: "EAFNOSUPPORT",
                happened: "The kernel does not support the address family asked for, so no socket was created.",
                causes: ["The FAMILY number is not a family this kernel knows",
                         "IPv6 is disabled on this machine (booted with ipv6.disable=1), so AF_INET6 sockets cannot be made",
                         "socketpair works for AF_UNIX only"],
                tries: ["`socket \(n) inet` (IPv4), `socket \(n) inet6` (IPv6) or `socket \(n) unix`",
                        "`help socket` lists the families"])
        }
        return Note(symbol: "EAFNOSUPPORT",
            happened: "\(s.call) was given an address of another family than \(n)'s, so the kernel refused it.",
            causes: ["The address and the socket mix families: an IPv6 address for an AF_INET socket, an IPv4 address for an AF_INET6 socket, or a path for an IP socket",
                     "On an AF_INET6 socket with IPV6_V6ONLY set, IPv4-mapped addresses (::ffff:a.b.c.d) cannot be used"],
            tries: ["`sockets` shows \(n)'s family; create a socket in the address's family: `socket \(n)6 inet6` for IPv6, `socket \(n)u unix` for paths",
                    "`getaddrinfo HOST PORT` shows which families a name has"])
    case 98:
        return eaddrinuseNote(s)
    case 99:
        if s.isConnect || s.isSend {
            return Note(symbol: "EADDRNOTAVAIL",
                happened: "\(s.call) could not choose a local address and port for the connection to \(s.target).",
                causes: ["No ephemeral port is free for this destination: the range in /proc/sys/net/ipv4/ip_local_port_range is used up, often by many connections in TIME_WAIT",
                         "\(n) was bound to an address that is no longer on this machine",
                         "The destination cannot be used as one: the any-address on some systems, or port 0"],
            tries: ["Wait a minute for TIME_WAIT connections to end (60 s on Linux), or close sockets you no longer need",
                    "Outside sockshell, `ss -tan state time-wait | wc -l` counts connections in TIME_WAIT",
                    "Check the destination address and port"])
        }
        return Note(symbol: "EADDRNOTAVAIL",
            happened: "bind asked for \(s.target), but no network interface on this machine has the address \(s.hostName), so the kernel cannot use it as a local address.",
            causes: ["A typo, or the address belongs to another machine: bind takes one of this machine's addresses; the remote address goes to `connect`",
                     "The interface with that address is down or not configured yet (a new IPv6 address is unusable until duplicate address detection finishes)",
                     "A link-local IPv6 address (fe80::...) without its scope id"],
            tries: ["Bind to every address with `bind \(n) '' \(s.port ?? "PORT")`, or to loopback with `bind \(n) 127.0.0.1 \(s.port ?? "PORT")`",
                    "Outside sockshell, `ip -brief addr` lists the machine's addresses; `if_nameindex` lists its interfaces",
                    "For a link-local address, give the interface: `bind \(n) ('fe80::1', \(s.port ?? "PORT"), 0, INDEX)` with INDEX from `if_nameindex`",
                    "To bind an address that is not (yet) configured, set IP_FREEBIND (number 15, which Python's socket module does not name): `setsockopt \(n) ip 15 1`"])
    case 100:
        return Note(symbol: "ENETDOWN",
            happened: "The network interface \(s.call) would use is down.",
            causes: ["The interface was taken down (cable unplugged, Wi-Fi off, `ip link set ... down`)"],
            tries: ["Outside sockshell, `ip -brief link` shows which interfaces are up", "Try 127.0.0.1, which is always up"])
    case 101:
        return Note(symbol: "ENETUNREACH",
            happened: "The kernel has no route to the network of \(s.hostName): no entry in the routing table covers it and there is no default route, so \(s.call) failed before sending anything (or a router answered ICMP network unreachable).",
            causes: ["This machine has no default route: it is offline, or a container without a network",
                     "An IPv6 address on a machine without IPv6 connectivity (common when a name has both an IPv4 and an IPv6 address)",
                     "A router on the way sent back ICMP network unreachable"],
            tries: ["Outside sockshell, `ip route get \(s.host ?? "ADDRESS")` shows the route the kernel would take",
                    "For a name with both families, `getaddrinfo \(s.host ?? "HOST") \(s.port ?? "PORT") inet` gives the IPv4 addresses; connect an AF_INET socket to one",
                    "Check the network connection"])
    case 103:
        return Note(symbol: "ECONNABORTED",
            happened: "The connection was torn down inside this host before \(s.call) could finish with it.",
            causes: ["The client reset a connection while it waited in the accept queue",
                     "The local TCP gave up on the connection (a timeout or too many retransmissions)"],
            tries: [s.command == "accept" ? "`accept \(n)` again: the listening socket is fine, only that one connection is gone"
                                          : "`close \(n)` and open a new connection"])
    case 104:
        return Note(symbol: "ECONNRESET",
            happened: "The peer's kernel sent a RST (reset) for this connection: the connection is aborted at once, data not yet delivered is discarded, and \(n) can no longer carry data.",
            causes: ["The peer closed its socket while data it had not read was still in its receive buffer: Linux then sends RST instead of FIN",
                     "The peer closed with SO_LINGER on and a linger time of 0 (an abortive close)",
                     "This side sent data after the peer had closed its socket; the peer's kernel answered with RST",
                     "The peer's process or host crashed and restarted, or a NAT or firewall forgot the connection"],
            tries: ["A reset connection cannot be reused: `close \(n)` and connect a new socket",
                    "For an orderly end, the peer reads everything it was sent before it closes: this side then sees `recv` return b'' instead of this error",
                    "In a session that plays both ends, `sockets` shows the byte counts: unread data at close means a reset"])
    case 105:
        return Note(symbol: "ENOBUFS",
            happened: "The kernel had no buffer space for \(s.call): a queue was full or memory for socket buffers ran short.",
            causes: ["Datagrams were sent faster than the interface can transmit, so its queue filled",
                     "Too many multicast group memberships (net.ipv4.igmp_max_memberships, 20 by default)",
                     "The system is short of memory for network buffers"],
            tries: ["Repeat the command after a moment; send more slowly", "Close sockets you no longer need: `sockets` lists them"])
    case 106:
        return Note(symbol: "EISCONN",
            happened: "\(s.call) was refused because \(n) is already connected (or listening): a TCP socket connects once, for its whole life.",
            causes: ["An earlier `connect \(n)` succeeded (perhaps one that was interrupted or timed out and finished in the background)",
                     "\(n) is a listening socket or an accepted one: those already have their role",
                     s.command == "sendto" ? "`sendto` with an address on a connected Unix stream socket (TCP ignores the address): use `send`" : "The command was repeated by mistake"],
            tries: ["`getpeername \(n)` shows the peer \(n) is connected to",
                    "To connect elsewhere, use a new socket: `socket \(n)2`, `connect \(n)2 HOST PORT` (or `close \(n)` first to reuse the name)",
                    "A UDP socket may connect again to change its peer; a TCP socket may not"])
    case 107:
        let doing: String
        if s.isReceive { doing = "there is no peer to receive from" }
        else if s.command == "getpeername" { doing = "there is no peer to name" }
        else if s.command == "shutdown" { doing = "there is no connection to shut down" }
        else { doing = "it has no peer" }
        var causes = ["`connect \(n) HOST PORT` was never called, or it failed (after ECONNREFUSED or a timeout the socket is still unconnected)",
                      "\(n) is a listening socket: data flows on the socket that `accept` returns (`accept \(n)` names it \(n)_1), never on the listener",
                      "\(n) is a UDP socket without `connect`: it has no peer, so getpeername and shutdown have nothing to act on; use `sendto` and `recvfrom`"]
        if !s.isReceive { causes.swapAt(1, 2) }
        return Note(symbol: "ENOTCONN",
            happened: "\(n) is not connected, so \(doing): \(s.call) needs a socket with a peer.",
            causes: causes,
            tries: ["`sockets` shows \(n)'s state: listening, connected, or neither",
                    "For a client: `connect \(n) HOST PORT` first",
                    "For a listener: `accept \(n)` and use the new socket, e.g. `recv \(n)_1`"])
    case 108:
        return Note(symbol: "ESHUTDOWN",
            happened: "\(s.call) tried to send on \(n) after its sending side was shut down.",
            causes: ["`shutdown \(n) wr` (or rdwr) was called earlier"],
            tries: ["Sending is over for this connection; `recv \(n)` can still read what the peer sends",
                    "For more data, open a new connection"])
    case 110:
        if s.isConnect {
            return Note(symbol: "ETIMEDOUT",
                happened: "\(s.call) sent SYNs to \(s.target) and got no answer at all: Linux retransmits the SYN 6 times (net.ipv4.tcp_syn_retries) at doubling intervals, about 127 seconds in all, then gives up.",
                causes: ["A firewall drops the packets silently (a rejecting one answers, and connect fails at once with ECONNREFUSED or EHOSTUNREACH)",
                         "The host is down, or the address routes somewhere that never answers",
                         "The port is filtered at \(s.hostName) or on the path"],
                tries: ["`settimeout \(n) 5` before connect fails after 5 s instead of about 2 minutes (that failure is `TimeoutError: timed out`, sockshell's own clock, not the kernel's ETIMEDOUT)",
                        "Check the address and port, and whether a firewall allows them",
                        "Outside sockshell, `nc -vz \(s.host ?? "HOST") \(s.port ?? "PORT")` tries the same connection"])
        }
        return Note(symbol: "ETIMEDOUT",
            happened: "The kernel gave up on \(n)'s connection: data it sent was never acknowledged, or keepalive probes went unanswered, so the connection is dead.",
            causes: ["The peer vanished without a FIN or RST (crash, power loss, network cut)",
                     "Retransmissions ran out (net.ipv4.tcp_retries2: about 15 minutes), keepalive failed, or TCP_USER_TIMEOUT expired"],
            tries: ["`close \(n)` and open a new connection", "Check that the peer and the network between are up"])
    case 111:
        return econnrefusedNote(s)
    case 112:
        return Note(symbol: "EHOSTDOWN",
            happened: "\(s.call) failed because \(s.hostName) is known to be down.",
            causes: ["The host does not answer on the local network"],
            tries: ["Check that the host is on and connected", "Outside sockshell, `ping \(s.host ?? "HOST")`"])
    case 113:
        return Note(symbol: "EHOSTUNREACH",
            happened: "The kernel could not reach \(s.hostName): on the local network no machine answered ARP (IPv4) or neighbour discovery (IPv6) for that address, or a router sent back ICMP host unreachable.",
            causes: ["The host is down or off the network",
                     "The address is on a local subnet but no machine has it (a typo, or a changed address)",
                     "A firewall rejects the packets with ICMP host-prohibited",
                     "No route for this IPv6 destination"],
            tries: ["Outside sockshell, `ping \(s.host ?? "HOST")`, and `ip neigh` (a FAILED entry means ARP got no answer)",
                    "`ip route get \(s.host ?? "ADDRESS")` shows the route the kernel would take"])
    case 114:
        return Note(symbol: "EALREADY",
            happened: "A non-blocking connect on \(n) is still in progress; a second connect does not start another.",
            causes: ["An earlier `connect \(n)` on the non-blocking socket returned EINPROGRESS and the handshake has not finished",
                     "A connect that timed out or was interrupted is still going on in the kernel"],
            tries: ["`select [] [\(n)] 5` waits until the handshake is over (the socket becomes writable)",
                    "Then `getsockopt \(n) SOL_SOCKET SO_ERROR`: 0 means connected, otherwise the errno of the failure (111: refused)",
                    "`getpeername \(n)` succeeds once it is connected"])
    case 115:
        return Note(symbol: "EINPROGRESS",
            happened: "\(n) is non-blocking, so connect sent the SYN and returned at once; the handshake goes on in the kernel. This is not a failure: "
                + (s.command == "connect_ex" ? "connect_ex returns 115 for it." : "Python raises BlockingIOError for it."),
            causes: ["\(n) has timeout 0 (`settimeout \(n) 0` or `setblocking \(n) False`)"],
            tries: ["`select [] [\(n)] 5` waits until the handshake is over (the socket becomes writable)",
                    "Then `getsockopt \(n) SOL_SOCKET SO_ERROR`: 0 means connected, otherwise the errno of the failure (111: refused)",
                    "Or let connect wait: `settimeout \(n) 5` (or None) before connecting"])
    default:
        return nil
    }
}

private func einvalNote(_ s: Situation) -> Note {
    let n = s.name
    switch s.command {
    case "accept":
        return Note(symbol: "EINVAL",
            happened: "accept works only on a listening socket, and \(n) is not listening, so there is no queue of connections to take one from.",
            causes: ["`listen \(n)` was not called after `bind \(n) ...`",
                     "\(n) is a connected socket (a client, or one that accept returned), not the listener"],
            tries: ["`listen \(n)` first, then `accept \(n)`",
                    "`sockets` shows which socket is `listening`"])
    case "bind":
        return Note(symbol: "EINVAL",
            happened: "\(n) already has a local address, and a socket is bound once: bind cannot move it to \(s.target).",
            causes: ["An earlier `bind \(n)` succeeded",
                     "`connect` or `listen` on \(n) bound it implicitly to an ephemeral port",
                     "The address is malformed for this family (a wrong length)"],
            tries: ["`getsockname \(n)` shows the address \(n) has",
                    "For another address, use a new socket: `socket \(n)2`, then `bind \(n)2 \(s.hostPortArguments)`"])
    case "listen":
        return Note(symbol: "EINVAL",
            happened: "listen is refused on \(n): only an unconnected stream socket can become a listener.",
            causes: ["\(n) is connected (or connecting): a socket is either a client or a listener",
                     "\(n) was shut down"],
            tries: ["Create a separate listener: `socket srv`, `bind srv HOST PORT`, `listen srv`",
                    "`sockets` shows \(n)'s state"])
    case "setsockopt", "getsockopt":
        return Note(symbol: "EINVAL",
            happened: "\(s.call) was given a value the option does not accept (a wrong size or out of range).",
            causes: ["The option takes a structure, not an integer (SO_LINGER takes 8 bytes: on/off and seconds)",
                     "The value is outside the option's range",
                     "The option cannot change in \(n)'s current state"],
            tries: ["Give structured options as bytes, e.g. `setsockopt \(n) SOL_SOCKET SO_LINGER b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'` (on, 0 seconds)",
                    "`getsockopt \(n) LEVEL OPTION` shows the current value; `help setsockopt`"])
    case "recv", "recvfrom", "recvline", "recvuntil", "recvall":
        return Note(symbol: "EINVAL",
            happened: "\(s.call) on \(n) asked for something the socket cannot give in its state.",
            causes: ["MSG_OOB was asked for and no urgent data is waiting (or SO_OOBINLINE is set, which puts urgent data in the normal stream)",
                     "A flag that this call does not accept"],
            tries: ["Leave the flags out", "`sockets` shows \(n)'s state"])
    default:
        return Note(symbol: "EINVAL",
            happened: "\(s.call) got an argument that is not valid for \(n) in its current state.",
            causes: ["A value out of range or of the wrong size for this call",
                     "The operation does not fit the socket's state (bound, listening, connected)"],
            tries: ["`sockets` shows \(n)'s state", "`help \(s.command.isEmpty ? "COMMAND" : s.command)`"] + s.manPages)
    }
}

private func enoprotooptNote(_ s: Situation) -> Note {
    let n = s.name
    var tries = ["Pair each option with its level: SO_* with SOL_SOCKET (`socket`), TCP_* with IPPROTO_TCP (`tcp`), IP_* with IPPROTO_IP (`ip`), IPV6_* with IPPROTO_IPV6 (`ipv6`)"]
    if s.isOption, s.arguments.count >= 3 {
        let option = s.arguments[2].text
        let bare = option.hasPrefix("socket.") ? String(option.dropFirst(7)) : option
        if let level = optionLevelName(bare) {
            let rest = s.arguments.dropFirst(3).map(\.text).joined(separator: " ")
            tries.append("Here: `\(s.command) \(n) \(level) \(option)\(rest.isEmpty ? "" : " " + rest)`")
        }
    }
    tries.append("`help setsockopt`; `sockets` shows \(n)'s type (TCP options need a TCP socket)")
    return Note(symbol: "ENOPROTOOPT",
        happened: "\(s.call) named an option that does not exist at that level, or not for this kind of socket.",
        causes: ["The option and the level do not match: e.g. TCP_NODELAY at SOL_SOCKET",
                 "The option belongs to another protocol: a TCP option on a UDP socket, an IPv6 option on an IPv4 socket"],
        tries: tries)
}

private func eaddrinuseNote(_ s: Situation) -> Note {
    let n = s.name
    if let path = s.path {
        return Note(symbol: "EADDRINUSE",
            happened: "bind could not create the Unix socket file \(path), because a file of that name already exists.",
            causes: ["A previous server bound \(path) and closed: closing a Unix socket does not remove its file",
                     "A server is using \(path) right now"],
            tries: ["If no server uses it (connecting to it is refused), remove the stale file with `rm \(path)` outside sockshell and bind again",
                    "`sockets` shows whether a socket in this session is bound to it",
                    "An abstract address leaves no file behind: `bind \(n) '\\0\(n)'`"])
    }
    if s.command == "listen" {
        return Note(symbol: "EADDRINUSE",
            happened: "listen on \(n) was refused because another socket already listens on the same address and port.",
            causes: ["Both sockets were bound with SO_REUSEADDR (allowed while neither listens), and only one may listen",
                     "\(n) had no address, and listen could not bind it to a free ephemeral port"],
            tries: ["`sockets` shows the other listener",
                    "To share a port between listeners on purpose, set SO_REUSEPORT on every one before bind: `setsockopt \(n) SOL_SOCKET SO_REUSEPORT 1`"])
    }
    if s.isConnect {
        return Note(symbol: "EADDRINUSE",
            happened: "connect could not use \(n)'s local address and port: a connection from it to the same destination already exists.",
            causes: ["\(n) was bound to a fixed local port, and a connection from that port to \(s.target) is still open or in TIME_WAIT (a connection's address pair must be unique)"],
            tries: ["Leave the local port to the kernel: do not bind a client, or bind it to port 0",
                    "Wait for TIME_WAIT to end: 60 seconds on Linux"])
    }
    if s.portNumber == 0 {
        return Note(symbol: "EADDRINUSE",
            happened: "bind asked for port 0 (any free port), and the kernel found none free.",
            causes: ["The ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range) is used up"],
            tries: ["Close sockets you no longer need: `sockets` lists them",
                    "Outside sockshell, `ss -tan | wc -l` counts the machine's TCP sockets"])
    }
    let port = s.port ?? "PORT"
    var causes = ["Another socket, in this session or another process, is bound to or listening on port \(port) (a listener on '' holds the port for every local address)"]
    let who = s.portNumber.map { "`ss -tuanp 'sport = :\($0)'`" } ?? "`ss -tuanp`"
    var tries = ["`sockets` shows whether a socket in this session holds port \(port); outside sockshell, \(who) shows which process does"]
    if s.command == "create_server" {
        causes.append("create_server already sets SO_REUSEADDR, as Python does, so TIME_WAIT is not the cause: a live socket holds the port")
    } else {
        causes.append("A connection that used port \(port) was closed recently by this side and waits in TIME_WAIT: the side that closes first keeps the port for 60 seconds on Linux (2*MSL, MSL being 30 s)")
        causes.append("SO_REUSEADDR was not set before bind: on Linux it lets bind share a port with sockets that are not listening (those in TIME_WAIT), provided they had SO_REUSEADDR set too, but never a port a socket is listening on")
        tries.append("`setsockopt \(n) SOL_SOCKET SO_REUSEADDR 1` before bind: the failed bind left \(n) unbound, so set it now and repeat `bind \(n) \(s.hostPortArguments)`; set it on every server socket, so the next restart finds its old connections reusable (create_server does this)")
        tries.append("Or wait: TIME_WAIT ends after 60 seconds")
    }
    tries.append("`close` the session socket that holds it, or bind port 0 to let the kernel pick a free one: `\(s.command) \(n) \(s.typedHost) 0`, then `getsockname \(n)`")
    return Note(symbol: "EADDRINUSE",
        happened: "\(s.call) asked for \(s.target), and the kernel refused because another socket already holds that local address and port.",
        causes: causes, tries: tries)
}

private func econnrefusedNote(_ s: Situation) -> Note {
    let n = s.name
    if let path = s.path {
        return Note(symbol: "ECONNREFUSED",
            happened: "\(s.call) found the socket file \(path), but no socket is listening on it.",
            causes: ["The server closed its socket: the file stays behind after close (a stale socket file)",
                     "The server bound \(path) but has not called `listen` yet (or its listen backlog is full)"],
            tries: ["Start the server: `socket srv unix`, `bind srv \(path)`, `listen srv` (remove a stale file first with `rm \(path)` outside sockshell)",
                    "`sockets` shows whether a socket in this session is listening on \(path)"])
    }
    if s.isSend || s.isReceive {
        return Note(symbol: "ECONNREFUSED",
            happened: "An earlier datagram from \(n) was answered with ICMP port unreachable: nothing is bound to the destination port. Linux reports it on the next call on a connected UDP socket.",
            causes: ["No program is bound to the UDP port \(n) is connected to",
                     "The server is bound to another address or port"],
            tries: ["Start a receiver: `socket srv udp`, `bind srv HOST PORT`",
                    "`getpeername \(n)` shows where \(n) sends; the error is reported once, so the next call may succeed"])
    }
    var causes = ["No server is listening on port \(s.port ?? "PORT") of \(s.hostName): it has not started, has exited, or listens on another port",
                  "The server socket is bound but `listen` was not called on it yet (a bound socket that does not listen also answers with RST)",
                  "The server listens on another address: a socket bound to 127.0.0.1 does not take connections to the machine's other addresses, and ::1 is not 127.0.0.1",
                  "A firewall REJECT rule answered for the server (with a TCP reset or ICMP port unreachable)"]
    if s.portNumber == 0 {
        causes.insert("Port 0 cannot be connected to: it means \"any free port\" only for bind", at: 0)
    }
    let hostPort = s.hostPortArguments
    return Note(symbol: "ECONNREFUSED",
        happened: "\(s.call) sent a SYN to \(s.target) and the host answered with a RST (reset): the machine is reachable, but no socket is listening on that port.",
        causes: causes,
        tries: s.isLocalHost
            ? ["`sockets` shows whether a socket in this session is `listening`, and on which address and port",
               "Start a listener: `socket srv`, `bind srv \(hostPort)`, `listen srv` (or `create_server srv \(hostPort)`)",
               "Connect to the port the server really got: after `bind srv 127.0.0.1 0`, use `connect \(n) 127.0.0.1 $srv.port`",
               "Outside sockshell, `ss -ltn` lists every listening TCP socket on the machine",
               "\(n) is unchanged and may `connect` again once a server listens"]
            : ["Check that the server runs on \(s.hostName) and listens on port \(s.port ?? "PORT"): `ss -ltn` on that machine lists its listening sockets",
               "Check the port number: services listen on their own port (`getservbyname http tcp` gives 80)",
               "\(n) is unchanged and may `connect` again once a server listens"])
}

// MARK: - resolver (EAI_*) and h_errno

private func resolverNote(_ code: Int32, _ s: Situation) -> Note? {
    let host = s.hostName
    let family = "`getaddrinfo \(s.host ?? "HOST") \(s.port ?? "None")`"
    switch code {
    case -1:
        return Note(symbol: "EAI_BADFLAGS",
            happened: "getaddrinfo rejected its FLAGS argument: the flags are invalid or contradict the other arguments.",
            causes: ["AI_CANONNAME without a host name (HOST None)", "An unknown flag bit"],
            tries: ["Leave FLAGS out (0)", "`help getaddrinfo`"])
    case -2:
        if s.command == "getnameinfo" {
            return Note(symbol: "EAI_NONAME",
                happened: "getnameinfo found no name for \(host), and NI_NAMEREQD asked for a name rather than the numeric form.",
                causes: ["The address has no reverse DNS (PTR) record and no /etc/hosts entry: many addresses have none"],
                tries: ["Drop NI_NAMEREQD: `getnameinfo ('\(host)', \(s.port ?? "0")) 0` returns the numeric form instead of failing"])
        }
        var causes = ["A typo in the name",
                      "The name does not exist in DNS (the DNS server answered NXDOMAIN), nor in /etc/hosts",
                      "The name exists only on another network (a company DNS or VPN), or is a .local name that needs mDNS"]
        if host.hasSuffix(".invalid") || host.hasSuffix(".invalid.") {
            causes.insert("The .invalid top-level domain is reserved never to resolve (RFC 6761): this failure is expected", at: 0)
        }
        if s.host == nil || s.host == "None" {
            causes.append("Both HOST and PORT were None: there is nothing to look up")
        }
        return Note(symbol: "EAI_NONAME",
            happened: "The resolver looked \(host) up (in /etc/hosts, then DNS, in the order /etc/nsswitch.conf gives) and got a definite answer: no such name.",
            causes: causes,
            tries: ["Check the spelling; `getaddrinfo localhost 80` shows the resolver works for a name in /etc/hosts",
                    "Outside sockshell, `getent ahosts \(host)` asks the same resolver, and `dig \(host)` asks DNS directly",
                    "A numeric address (`127.0.0.1`, `::1`) needs no lookup"])
    case -3:
        return Note(symbol: "EAI_AGAIN",
            happened: "The resolver could not get an answer for \(host) now: the DNS server did not reply in time or failed (SERVFAIL). The failure is temporary: the same lookup may succeed later.",
            causes: ["No network connection, so the DNS server is unreachable",
                     "/etc/resolv.conf names a DNS server that is down or not reachable from here",
                     "The domain's own DNS servers are failing"],
            tries: ["Repeat the command in a moment",
                    "Outside sockshell, `cat /etc/resolv.conf` shows the DNS servers; `dig \(host)` tries one",
                    "`getaddrinfo localhost 80` works without DNS (from /etc/hosts); a numeric address needs no lookup"])
    case -4:
        return Note(symbol: "EAI_FAIL",
            happened: "The resolver got a non-recoverable failure for \(host): the DNS server refused the query or gave an unusable answer.",
            causes: ["The DNS server refused to answer (REFUSED), e.g. it does not serve this client",
                     "A malformed or unusable response"],
            tries: ["Outside sockshell, `dig \(host)` shows the DNS answer; try another server with `dig @1.1.1.1 \(host)`",
                    "A numeric address needs no lookup"])
    case -5:
        return Note(symbol: "EAI_NODATA",
            happened: "The name \(host) exists, but has no address records of the kind asked for (A records for IPv4, AAAA for IPv6).",
            causes: ["The name has other records only (MX, TXT, ...), or only addresses of the other family"],
            tries: ["Ask for any family: \(family)",
                    "Outside sockshell, `dig \(host) A` and `dig \(host) AAAA` show which records exist"])
    case -6:
        return Note(symbol: "EAI_FAMILY",
            happened: "getaddrinfo does not handle the FAMILY asked for: it resolves AF_INET, AF_INET6 and AF_UNSPEC (0) only.",
            causes: ["FAMILY was AF_UNIX or another family: Unix sockets use paths, which need no resolver",
                     "The socket's family is not an IP family"],
            tries: ["`getaddrinfo \(s.host ?? "HOST") \(s.port ?? "PORT") inet` (or inet6, or leave FAMILY out)",
                    "For a Unix socket, give the path itself: `connect \(s.name) /tmp/srv.sock`"])
    case -7:
        return Note(symbol: "EAI_SOCKTYPE",
            happened: "getaddrinfo rejected the TYPE (and PROTO) asked for: they are unsupported or do not go together.",
            causes: ["TYPE and PROTO contradict each other: SOCK_STREAM with IPPROTO_UDP (17), SOCK_DGRAM with IPPROTO_TCP (6)",
                     "A socket type getaddrinfo does not know"],
            tries: ["Leave PROTO 0: `getaddrinfo \(s.host ?? "HOST") \(s.port ?? "PORT") inet stream`", "`help getaddrinfo`"])
    case -8:
        return Note(symbol: "EAI_SERVICE",
            happened: "getaddrinfo could not turn the port \(s.port ?? "PORT") into a number for this socket type.",
            causes: ["The port is a service name that /etc/services does not list (or not for this protocol)",
                     "A port was given with SOCK_RAW: raw sockets have no ports"],
            tries: ["Give the port as a number, e.g. 80",
                    "`getservbyname http tcp` shows whether a name is known"])
    case -9:
        let socketCommand = Situation.socketFirst.contains(s.command) && !Situation.resolverCommands.contains(s.command)
        return Note(symbol: "EAI_ADDRFAMILY",
            happened: socketCommand
                ? "\(s.call) resolved \(host) for \(s.name)'s address family, and \(host) has no address in that family: the socket and the address mix IPv4 and IPv6."
                : "\(host) has no address in the family asked for.",
            causes: ["An IPv6 address (like ::1) for an AF_INET socket, or an IPv4 address (like 127.0.0.1) for an AF_INET6 socket",
                     "A name with addresses of one family only"],
            tries: ["Create the socket in the address's family: `socket \(s.name)6 inet6` for IPv6, `socket \(s.name)4 inet` for IPv4",
                    "An AF_INET6 socket reaches IPv4 peers through the mapped form: ::ffff:127.0.0.1",
                    "\(family) shows which families \(host) has"])
    case -10:
        return Note(symbol: "EAI_MEMORY",
            happened: "The resolver ran out of memory.",
            causes: ["The machine is short of memory"],
            tries: ["Repeat the command; close what you do not need"])
    case -11:
        return Note(symbol: "EAI_SYSTEM",
            happened: "The resolver failed because a system call failed; errno tells which.",
            causes: ["A system error inside getaddrinfo (sockshell normally shows that errno instead)"],
            tries: ["Repeat the command", "`man 3 getaddrinfo`"])
    case -12:
        return Note(symbol: "EAI_OVERFLOW",
            happened: "getnameinfo's answer did not fit in the buffer given for it.",
            causes: ["An unusually long host or service name"],
            tries: ["Use the numeric form: NI_NUMERICHOST | NI_NUMERICSERV flags"])
    default:
        return nil
    }
}

private func hostNote(_ code: Int32, _ s: Situation) -> Note? {
    let host = s.hostName
    switch code {
    case 1:
        if s.command == "gethostbyaddr" {
            return Note(symbol: "HOST_NOT_FOUND",
                happened: "The reverse lookup of \(host) found no name: no PTR record in DNS and no /etc/hosts entry.",
                causes: ["Many addresses have no reverse name: documentation ranges, home networks, most client addresses",
                         "The address is mistyped"],
                tries: ["`getnameinfo ('\(host)', 0) 0` returns the numeric form instead of failing",
                        "Outside sockshell, `dig -x \(host)` shows the PTR lookup"])
        }
        return Note(symbol: "HOST_NOT_FOUND",
            happened: "The resolver found no host called \(host).",
            causes: ["A typo, or a name that exists neither in DNS nor in /etc/hosts"],
            tries: ["Check the spelling; `gethostbyname localhost` shows the resolver works",
                    "Outside sockshell, `getent hosts \(host)`"])
    case 2:
        return Note(symbol: "TRY_AGAIN",
            happened: "The lookup of \(host) failed for now: the DNS server did not answer in time, or answered with a temporary failure.",
            causes: ["No network connection, or the DNS server in /etc/resolv.conf is unreachable"],
            tries: ["Repeat the command in a moment", "Outside sockshell, `cat /etc/resolv.conf` shows the DNS servers"])
    case 3:
        return Note(symbol: "NO_RECOVERY",
            happened: "The lookup of \(host) failed with a non-recoverable error: the DNS server refused it or answered with garbage.",
            causes: ["The DNS server refused the query, or its answer was malformed"],
            tries: ["Outside sockshell, `dig \(host)` shows the answer"])
    case 4:
        return Note(symbol: "NO_DATA",
            happened: "The name \(host) exists, but has no address record of the kind asked for.",
            causes: ["The name has only other records (MX, TXT), or only IPv6 addresses where IPv4 was asked for"],
            tries: ["`getaddrinfo \(host) None` shows the addresses of every family"])
    default:
        return nil
    }
}

// MARK: - errors without a number

private func typeNote(_ error: ShellError, _ s: Situation) -> Note {
    let n = s.name
    let message = error.message
    switch error.type {
    case _ where error.type.hasPrefix("ssl.") || (error.type == "TimeoutError" && message.contains("_ssl.c")):
        return sslNote(error, s)
    case "TimeoutError" where s.command == "wait":
        return Note(happened: "wait gave up after its TIMEOUT, and the job it waited for is still running: \(sentence(message))",
                    causes: ["The job is waiting for its peer: an accept with no client yet, a recv with nothing sent"],
                    tries: ["`jobs` lists what still runs; `wait` again with a longer TIMEOUT, or without one",
                            "`kill %N` cancels a job; its socket stays as it was"])
    case "TimeoutError":
        return timeoutNote(s)
    case "RuntimeError" where message.contains("in use by job"):
        let job = message.firstRange(of: "job %").map { "%" + message[$0.upperBound...].prefix { $0.isNumber } } ?? "%N"
        return Note(happened: "\(s.command) did not run: a background job (\(job)) is using the socket, and two calls at once on one socket would race for its bytes.",
                    causes: ["`CMD &` started a job on that socket, and it has not ended yet (`jobs` lists it)"],
                    tries: ["`wait \(job)` lets the job end first (Ctrl-C ends the wait, not the job)",
                            "`kill \(job)` cancels it: the socket stays as it was, bytes already read stay for the next recv",
                            "Commands that only look (sockets, getsockname, tcpinfo, watch) work meanwhile"])
    case "PermissionError" where message.contains("CAP_NET_RAW"):
        return Note(happened: "Capturing packets needs a packet socket (AF_PACKET), and the kernel lets only a process with CAP_NET_RAW open one; this sockshell has not got it.",
                    causes: ["sockshell runs as an ordinary user, on the machine's own network, which others share"],
                    tries: ["`sockshell --sandbox` gives the session a network of its own, where it may capture (no root needed)",
                            "Or run the capture as root, where that is yours to do"])
    case "ProcessLookupError":
        let server = s.command == "stop"
        return Note(happened: server ? "stop found no server by that name: \(sentence(message))"
                        : "\(s.command) found no such job: \(sentence(message))",
                    causes: server ? ["serve did not start one by that name, or it was stopped already"]
                        : ["The job ended already (its result was printed, tagged [N])", "No job ever had that number"],
                    tries: server ? ["`sockets` lists the servers (their listening socket, options `serve KIND MODEL`)"]
                        : ["`jobs` lists the jobs running now"])
    case "KeyboardInterrupt":
        var causes = ["Ctrl-C was pressed while \(s.call) was waiting"]
        var tries = ["Repeat the command to wait again; `sockets` shows that every socket is still open"]
        if s.isConnect {
            causes.append("The kernel may still finish the handshake in the background")
            tries.append("`getpeername \(n)` tells whether \(n) got connected; if not, `close \(n)` and use a new socket")
        } else if s.command == "accept" {
            tries.append("A connection that arrives stays in the accept queue until `accept \(n)` takes it")
        } else if s.isSend {
            tries.append("Part of the data may already be sent: `sockets` shows the bytes sent")
        } else if s.isReceive {
            tries.append("No received byte is lost: the next read returns what arrived")
        }
        return Note(happened: "Ctrl-C interrupted the wait: \(s.call) was abandoned before it completed, and the socket and the session are as they were.",
                    causes: causes, tries: tries)
    case "TypeError":
        let command = s.command.isEmpty ? "COMMAND" : s.command
        if message.hasPrefix("usage:") {
            return Note(happened: "\(command) was given the wrong number of arguments, so it did not run; the message shows what it takes.",
                        causes: ["An argument is missing or extra: an address is HOST PORT (two arguments), a tuple (HOST, PORT), or a path for Unix sockets",
                                 "A socket command needs the socket's NAME first"],
                        tries: ["`help \(command)` explains each argument, with examples"])
        }
        if message.contains("names its new socket") || message.contains("not a name for the new socket")
            || message.contains("names a kind of socket") || message.contains("is a type, not a family") {
            return Note(happened: "\(command) did not run: the line would have made a socket other than the one it seems to ask for: \(sentence(message))",
                        causes: ["A command names its new socket with its first word (`socket s AF_INET SOCK_STREAM`); "
                                    + "Python's `s = socket.socket(...)` puts the name on the left",
                                 "FAMILY comes before TYPE: AF_INET, AF_INET6 or AF_UNIX, then SOCK_STREAM or SOCK_DGRAM "
                                    + "(Python would take SOCK_DGRAM, 2, as the family AF_INET and make a TCP socket)"],
                        tries: ["Type the line the message shows", "`help \(command)` explains each argument, with examples"])
        }
        return Note(happened: "An argument of \(command) had the wrong kind, so the command did not run: \(sentence(message))",
                    causes: ["A word where a number was expected, or the reverse; quoted text where a name was expected"],
                    tries: ["`help \(command)` explains each argument, with examples"])
    case "NameError":
        if s.command.isEmpty || CommandTable.lookup(s.command) == nil {
            let typed = s.command.isEmpty ? quoted(in: message) ?? "the command" : s.command
            var tries = ["`help` lists every command"]
            if let range = message.firstRange(of: "Did you mean: ") {
                let suggestion = message[range.upperBound...].filter { $0 != "'" && $0 != "?" }
                tries.insert("Did you mean `\(suggestion)`? `help \(suggestion)` explains it", at: 0)
            }
            return Note(happened: "There is no command called \(typed), so nothing ran.",
                        causes: ["A typo in the command name", "A Python method name that sockshell spells differently"],
                        tries: tries)
        }
        let missing = quoted(in: message) ?? n
        return Note(happened: "No open socket is called \(missing) in this session, so \(s.call) had nothing to act on.",
                    causes: ["\(missing) was never created: `socket \(missing)` creates it",
                             "\(missing) was closed earlier (`close` frees the name)",
                             "Accepted connections are named after their listener: `accept srv` names them srv_1, srv_2, ... unless you give NEWNAME",
                             "A typo: names are case-sensitive"],
                    tries: ["`sockets` lists the open sockets and their names",
                            "`socket \(missing)` creates a socket under that name"])
    case "SyntaxError":
        var column = "the column shown"
        if let range = message.firstRange(of: "(column ") {
            column = "column " + message[range.upperBound...].prefix { $0.isNumber }
        }
        var causes = ["A quote opened and not closed: strings are '...' or \"...\", bytes are b'...' (ASCII only; \\xHH for other bytes)",
                      "An unknown or incomplete escape: \\n \\r \\t \\0 \\\\ \\' \\\" \\xHH as in Python",
                      "Outside quotes, # starts a comment and ; separates commands: quote text that contains them",
                      "References are $NAME.port, $NAME.host or $NAME.fd, written as a bare word"]
        if message.contains("$") { causes.swapAt(0, 3) }
        else if message.contains("escape") || message.contains("ASCII") || message.contains("Unicode") { causes.swapAt(0, 1) }
        return Note(happened: "The line could not be parsed, so nothing on it ran; the problem is at \(column) (counting from 1).",
                    causes: causes,
                    tries: ["Fix the text at \(column) and enter the line again (the Up arrow brings it back)",
                            "`help` shows the argument forms"])
    case "ValueError":
        var tries = ["`help \(s.command.isEmpty ? "COMMAND" : s.command)` shows the values each argument takes"]
        if message.contains("already an open socket") {
            tries.insert("`close \(n)` first, or choose another name; `sockets` lists the names in use", at: 0)
        } else if message.contains("non-blocking") {
            tries.insert("`settimeout \(n) None` (blocking) or a positive timeout, then repeat the command", at: 0)
        }
        return Note(happened: "An argument had the right type but a value \(s.call) does not accept: \(sentence(message))",
                    causes: ["The value is outside what the command allows; the message names the valid range or form"],
                    tries: tries)
    case "OverflowError":
        var causes = ["Ports are 16-bit: 0-65535 (port 0 in bind means any free port)",
                      "Integer option values are C ints: -2147483648 to 2147483647",
                      "htons/ntohs take 0-65535, htonl/ntohl 0-4294967295"]
        if message.contains("port must be") { causes = [causes[0]] }
        else if message.contains("signed integer") { causes = [causes[1]] }
        return Note(happened: "A number is outside the range the C call underneath accepts: \(sentence(message))",
                    causes: causes,
                    tries: ["Use a value within the range", "`help \(s.command.isEmpty ? "COMMAND" : s.command)`"])
    case "RecursionError":
        return Note(happened: "`source` files were nested more than 32 deep, so sockshell stopped: \(sentence(message))",
                    causes: ["A script sources itself, directly or through another script"],
                    tries: ["Remove the `source` line that leads back to a script already running"])
    case "OSError":
        return osMessageNote(message, s)
    default:
        return Note(happened: "\(s.call) failed: \(sentence(error.line))",
                    causes: ["See the message above"],
                    tries: ["`help \(s.command.isEmpty ? "COMMAND" : s.command)`"] + s.manPages)
    }
}

/// The TLS errors, by what OpenSSL said: the certificate checks, a peer
/// that does not speak TLS, one that went away, and the timeouts.
private func sslNote(_ error: ShellError, _ s: Situation) -> Note {
    let n = s.name
    let message = error.message
    let wrapped = s.command == "tls" || s.command == "tls_server"
    let closed = wrapped ? " As Python's wrap_socket does, sockshell closed \(n) when the handshake failed: connect again before the next try." : ""
    let showCertificate = "`openssl s_client -connect HOST:PORT -servername HOST -showcerts` prints the certificates the server sends"
    if message.contains("self-signed certificate") || message.contains("self signed certificate") {
        return Note(happened: "The server sent a certificate that signs itself, and no certificate the client trusts vouches for it: the handshake stopped before any data was sent.\(closed)",
                    causes: ["A test or internal server with a certificate made for it (`certificate make`, `openssl req -x509`)",
                             "Someone between you and the server answered with a certificate of their own"],
                    tries: ["Trust exactly that certificate: `tls \(n) cafile=CERT.pem` (the file the server uses)",
                            "Only to look around, never for real data: `tls \(n) verify=False`", showCertificate])
    }
    if message.contains("Hostname mismatch") || message.contains("IP address mismatch") {
        return Note(happened: "The certificate is genuine, but it names other hosts than the one the client asked for (server_hostname), so the client cannot know it reached the right server.\(closed)",
                    causes: ["The name you connected with is not in the certificate's subjectAltName (an IP address where the certificate lists names, or the reverse)",
                             "server_hostname= was given a different name than the server's"],
                    tries: ["`tls \(n) server_hostname=NAME` with a name the certificate lists; `tlsinfo` after a `verify=False` handshake shows them under subjectAltName",
                            "`certificate make CERT KEY HOST` makes a certificate for the name you use"])
    }
    if message.contains("certificate has expired") || message.contains("certificate is not yet valid") {
        return Note(happened: "The certificate is outside the dates it is valid for (notBefore to notAfter), judged by this machine's clock.\(closed)",
                    causes: ["The server's certificate was not renewed in time", "This machine's clock is wrong (`date` shows it)"],
                    tries: ["Renew the server's certificate (`certificate make CERT KEY HOST` for a test one)",
                            "`tls \(n) verify=False` then `tlsinfo \(n)` to read its dates (look only)"])
    }
    if message.contains("unable to get local issuer certificate") || message.contains("unable to get issuer certificate") {
        return Note(happened: "The server's certificate was signed by a certificate authority the client does not trust: it is not in the system's store (/etc/ssl/certs) or in cafile=.\(closed)",
                    causes: ["A private CA (a company's, a test's) signed it", "The server does not send the intermediate certificate between its own and the root"],
                    tries: ["`tls \(n) cafile=CA.pem` with the CA's certificate", showCertificate])
    }
    if error.type == "ssl.SSLCertVerificationError" {
        return Note(happened: "The client could not verify the server's certificate: \(sentence(message))\(closed)",
                    causes: ["The certificate or its chain is not one the client can trust"],
                    tries: ["`tls \(n) cafile=CA.pem` with the certificate that signed it", showCertificate])
    }
    if message.contains("WRONG_VERSION_NUMBER") {
        return Note(happened: "The first bytes the peer answered with are not a TLS record: it speaks something else on that port (plain HTTP, SMTP before STARTTLS, ...).\(closed)",
                    causes: ["The port is the plain-text one (80 rather than 443)", "The protocol starts in clear text and switches to TLS on request (STARTTLS)"],
                    tries: ["Talk to it without TLS: `recv \(n)` or `sendall \(n) ...` on a fresh connection", "Connect to the TLS port instead"])
    }
    if error.type == "ssl.SSLEOFError" {
        return Note(happened: "The peer closed the TCP connection in the middle of TLS, without the close_notify alert that ends a TLS stream properly.\(closed)",
                    causes: ["The server refused the handshake without saying why (no shared protocol version or cipher, or it wanted a client certificate)",
                             "The server crashed or was stopped", "A middlebox cut the connection"],
                    tries: ["`set trace on` then try again: the TLS messages show how far the handshake got", "Look at the server's log"])
    }
    if error.type == "ssl.SSLZeroReturnError" {
        return Note(happened: "The peer ended TLS with close_notify, and this side had already begun its own close: no more data can go either way over TLS.",
                    causes: ["unwrap timed out waiting for the peer's close_notify, and it came later"],
                    tries: ["`unwrap \(n)` again finishes the close and gives the plain socket back", "`close \(n)`"])
    }
    if error.type == "ssl.SSLWantReadError" || error.type == "ssl.SSLWantWriteError" {
        return Note(happened: "\(n) is non-blocking (timeout 0), and the TLS call needs more bytes from the peer (or room to send) before it can finish.",
                    causes: ["`setblocking \(n) False` or `settimeout \(n) 0` made every call return at once"],
                    tries: ["`select [\(n)] [] 5` waits until it is readable, then try again", "`settimeout \(n) 5` waits inside the call"])
    }
    if error.type == "TimeoutError" {
        return Note(happened: "The peer accepted the TCP connection but did not answer the ClientHello within \(n)'s timeout.\(closed)",
                    causes: ["The server does not speak TLS and waits for the client to speak first (a plain protocol)", "The server is overloaded or stuck"],
                    tries: ["`settimeout \(n) 30` before `tls` waits longer", "Try the port without TLS: `recv \(n)` after connecting"])
    }
    if let alert = message.firstRange(of: "ALERT_") {
        let name = message[alert.upperBound...].prefix { $0.isLetter || $0 == "_" }
        let causes: [String]
        switch name {
        case "UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN":
            causes = ["The client does not trust this certificate: it is self-signed, or signed by a CA not in the client's store",
                      "The client must be given the certificate (or its CA) as its trust anchor: cafile= for sockshell and Python, --cacert for curl"]
        case "CERTIFICATE_EXPIRED": causes = ["The other side found a certificate past its notAfter date"]
        case "PROTOCOL_VERSION": causes = ["The two sides allow no TLS version in common (version= on one side, an old peer on the other)"]
        case "HANDSHAKE_FAILURE": causes = ["No cipher or group in common", "The server wanted a client certificate and got none"]
        case "NO_APPLICATION_PROTOCOL": causes = ["The server speaks none of the protocols the client offered with alpn="]
        case "CERTIFICATE_REQUIRED": causes = ["The server asked for a client certificate (tls_server ... cafile=) and the client sent none"]
        default: causes = ["The other side found something it cannot accept; the alert's name says what"]
        }
        return Note(happened: "The other side stopped the handshake and said why in a TLS alert, \(name.lowercased()); this side's call failed with it.\(closed)",
                    causes: causes,
                    tries: ["Look at the other side's error: it names the real cause", "`set trace on` then try again: the alert shows as `<<< ... Alert ..., fatal ...`"])
    }
    if message.contains("PEM lib") || message.contains("NO_CERTIFICATE_OR_CRL_FOUND") || message.contains("KEY_VALUES_MISMATCH") {
        return Note(happened: "OpenSSL could not load the certificate or key file: \(sentence(message))",
                    causes: ["The file is not PEM (it should start with -----BEGIN CERTIFICATE----- or -----BEGIN PRIVATE KEY-----)",
                             "CERT and KEY are swapped, or the key belongs to another certificate (KEY_VALUES_MISMATCH)"],
                    tries: ["`certificate make CERT KEY` writes a matching pair", "`openssl x509 -in CERT -noout -text` shows what a file holds"])
    }
    return Note(happened: "OpenSSL refused the TLS call: \(sentence(message))",
                causes: ["The two sides could not agree (protocol version, cipher, ALPN), or one of them broke the protocol"],
                tries: ["`set trace on` then try again: the TLS messages show how far it got", "`help \(s.command.isEmpty ? "tls" : s.command)`"])
}

private func timeoutNote(_ s: Situation) -> Note {
    let n = s.name
    let timeouts = "`gettimeout \(n)` shows the timeout; `settimeout \(n) 30` waits longer, `settimeout \(n) None` waits without limit (Ctrl-C stops the wait)"
    if s.isConnect {
        return Note(happened: "The socket's timeout (set by `settimeout` or `setdefaulttimeout`) ran out before the TCP handshake with \(s.target) finished: neither a SYN-ACK nor a RST came back in time.",
                    causes: ["A firewall drops the SYNs silently (a refusing host answers at once with ECONNREFUSED)",
                             "The host is down or the address is wrong",
                             "The timeout is too short for a distant or busy server"],
                    tries: [timeouts,
                            "Without a timeout the kernel retries the SYN for about 127 s, then fails with ETIMEDOUT",
                            "Before connecting again, `close \(n)` and create a new socket: the kernel may still be trying, and a second connect would report EALREADY"])
    }
    if s.command == "accept" {
        return Note(happened: "No client connected to \(n) within its timeout; the listener is unchanged.",
                    causes: ["No client has connected yet", "Clients connect to another address or port: `getsockname \(n)` shows the one \(n) listens on"],
                    tries: [timeouts, "Connect a client from this session: `socket c`, `connect c 127.0.0.1 $\(n).port`"])
    }
    if s.isReceive {
        var causes = ["The peer has not sent anything: it may be waiting for you to send first (in HTTP, the client speaks first)",
                      "The data is delayed on the network"]
        if s.command == "recvline" { causes.insert("The peer sent data without a newline: recvline waits for b'\\n'", at: 0) }
        if s.command == "recvuntil" { causes.insert("The delimiter never arrived; what did arrive stays buffered for the next read", at: 0) }
        if s.command == "recvall" { causes.insert("recvall reads until the peer closes, and the peer kept the connection open", at: 0) }
        return Note(happened: "No data arrived on \(n) within its timeout. Nothing is lost and the connection is still open.",
                    causes: causes,
                    tries: [timeouts, "`select [\(n)] [] 5` waits up to 5 s for data without reading it",
                            "`recv \(n) 4096 MSG_DONTWAIT` shows what is waiting right now"])
    }
    if s.isSend {
        return Note(happened: "\(n)'s send buffer stayed full for the whole timeout: the peer is not reading what it is sent.",
                    causes: ["The peer stopped reading, so its receive window and \(n)'s send buffer filled up"],
                    tries: [timeouts, "Read on the other side (`recv` on the peer) so the data can flow",
                            "`sockets` shows how many bytes went out before the timeout"])
    }
    return Note(happened: "\(s.call) waited for the socket's timeout without the event it needed.",
                causes: ["The other side did not act within the timeout"],
                tries: [timeouts])
}

private func osMessageNote(_ message: String, _ s: Situation) -> Note {
    if message.contains("service/proto not found") || message.contains("port/proto not found") {
        return Note(happened: "The services database (/etc/services) has no entry for that service and protocol.",
                    causes: ["A service name or port that /etc/services does not list, or lists for the other protocol (tcp vs udp)"],
                    tries: ["`getservbyname http tcp` and `getservbyport 80 tcp` show known entries",
                            "Outside sockshell, `grep -w NAME /etc/services`"])
    }
    if message.contains("protocol not found") {
        return Note(happened: "The protocols database (/etc/protocols) has no such protocol name.",
                    causes: ["A typo: the names are lowercase, like tcp, udp, icmp"],
                    tries: ["`getprotobyname tcp`"])
    }
    if message.contains("illegal IP address string") {
        return Note(happened: "The text is not a numeric address of that family, so it could not be converted; \(s.call) never looks names up.",
                    causes: ["A host name where a numeric address is needed", "An IPv6 address given to an IPv4 call, or the reverse"],
                    tries: ["`gethostbyname NAME` turns a name into an IPv4 address",
                            "`inet_pton inet6 ::1` for IPv6, `inet_pton inet 127.0.0.1` for IPv4"])
    }
    if message.contains("packed IP wrong length") || message.contains("invalid length of packed") {
        return Note(happened: "The packed address has the wrong number of bytes.",
                    causes: ["An IPv4 address packs into 4 bytes, an IPv6 address into 16"],
                    tries: ["`inet_aton 127.0.0.1` shows the 4-byte form"])
    }
    if message.contains("path too long") {
        return Note(happened: "The Unix socket path does not fit in sun_path: at most 107 bytes plus the terminating NUL.",
                    causes: ["A long directory path"],
                    tries: ["Use a shorter path, e.g. `/tmp/\(s.name).sock`", "Or an abstract address: `'\\0\(s.name)'`"])
    }
    if message.contains("family mismatched") || message.contains("unsupported family") {
        return Note(happened: "The address resolved to another address family than the socket's.",
                    causes: ["An IPv6 address for an AF_INET socket, or the reverse"],
                    tries: ["`sockets` shows the socket's family; create one in the address's family (`socket NAME inet6`)"])
    }
    if message.contains("buflen out of range") {
        return Note(happened: "getsockopt's BUFLEN must be between 1 and 1024 bytes.",
                    causes: ["A BUFLEN of 0, a negative one, or one above 1024"],
                    tries: ["Leave BUFLEN out to get an integer, or give the structure's size (e.g. 8 for SO_LINGER)"])
    }
    if message.contains("resolved to multiple") || message.contains("resolved to no address") || message.contains("empty list") {
        return Note(happened: "The name did not resolve to exactly one usable address.",
                    causes: ["The name has several addresses, or none of the family asked for"],
                    tries: ["`getaddrinfo \(s.host ?? "HOST") \(s.port ?? "PORT")` shows what it resolves to; give a numeric address instead"])
    }
    return Note(happened: "\(s.call) failed: \(sentence(message))",
                causes: ["See the message above"],
                tries: ["`help \(s.command.isEmpty ? "COMMAND" : s.command)`"] + s.manPages)
}

/// An error number sockshell has no notes on.
private func unknownNote(_ s: Situation, what: String) -> Note {
    let pages = s.manPages
    return Note(happened: "\(s.call) failed with \(what), which sockshell has no notes on.",
                causes: ["The ERRORS section of the manual page for the call says what it means there"],
                tries: (pages.isEmpty ? ["`man 2 \(s.command.isEmpty ? "socket" : s.command)`"] : pages)
                    + ["`help \(s.command.isEmpty ? "COMMAND" : s.command)`"])
}

/// The first '...' in a message: the name in `name 'x' is not defined`.
private func quoted(in message: String) -> String? {
    guard let open = message.firstIndex(of: "'") else { return nil }
    let rest = message[message.index(after: open)...]
    guard let close = rest.firstIndex(of: "'") else { return nil }
    return String(rest[..<close])
}

/// A message inside a sentence of ours: one final period, not two.
private func sentence(_ message: String) -> String {
    message.hasSuffix(".") ? message : message + "."
}
