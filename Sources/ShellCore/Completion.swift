import SocketCore

/// Tab completion that knows the session: what to offer for the word under
/// the cursor, from the same command table that dispatch and `help` read.
public enum Completion {
    public enum Candidates: Equatable {
        /// These words (already filtered by the prefix being completed).
        case words([String])
        /// File names: the terminal's own file-name completion should run.
        case paths
    }

    /// Candidates for the word that ends at the end of `linePrefix` (the line
    /// up to the cursor).
    public static func candidates(linePrefix: String, session: Session) -> Candidates {
        var (words, current) = split(linePrefix)
        // `NAME = COMMAND ...` completes as the command does.
        if words.count >= 2, words[1] == "=" { words.removeFirst(2) }
        // `@PATH` where data goes and `> FILE` (or `>FILE`) after any command are paths.
        if current.hasPrefix("@") || current.hasPrefix(">") || words.last == ">" || words.last == ">>" { return .paths }
        // `$NAME.port`, `$NAME.host`, `$NAME.fd` go wherever a value does.
        if current.hasPrefix("$") {
            // The peer's fields only where there is a peer.
            let fields = { (entry: SocketEntry) -> [String] in
                ["port", "host", "fd"] + ((try? entry.socket.peerAddress()) != nil ? ["peer", "peer.host", "peer.port"] : [])
            }
            return .words(filter(session.entries.flatMap { entry in fields(entry).map { "$\(entry.name).\($0)" } },
                                 current))
        }
        guard let commandName = words.first else {
            return .words(filter(CommandTable.all.map(\.name) + CommandTable.aliases.keys, current))
        }
        guard let command = CommandTable.lookup(commandName) else { return .words([]) }
        let index = words.count - 1
        let kinds = command.argumentKinds
        let kind = index < kinds.count ? kinds[index] : (command.name == "select" ? "socket" : "-")
        let previous = words.last ?? ""
        let options: [String]
        switch kind {
        case "socket": options = session.entries.map(\.name)
        case "command": options = CommandTable.all.map(\.name)
        case "family": options = constants(prefix: "AF_") + ConstantKind.family.shortWords.keys + ["tcp", "udp", "tcp6", "udp6"]
        case "type": options = constants(prefix: "SOCK_") + ConstantKind.type.shortWords.keys
        case "proto": options = constants(prefix: "IPPROTO_") + ["tcp", "udp"]
        case "aiflags": options = constants(prefix: "AI_")
        case "niflags": options = constants(prefix: "NI_")
        case "protocol": options = protocolNames()
        case "level": options = ["SOL_SOCKET"] + constants(prefix: "IPPROTO_") + ConstantKind.level.shortWords.keys
        case "option": options = optionNames(forLevel: previous)
        case "flags": options = constants(prefix: "MSG_")
        case "shutdown": options = constants(prefix: "SHUT_") + ConstantKind.shutdown.shortWords.keys
        case "service": options = serviceNames()
        case "host": options = hostNames()
        case "path": return .paths
        case "setting":
            options = settingNames
        default:
            if command.name == "set" && index == 1 && previous == "display" {
                options = DisplayMode.allCases.map(\.rawValue)
            } else if command.name == "set" && index == 1 && ["explain", "python", "trace", "pager", "hints"].contains(previous) {
                options = ["on", "off"]
            } else {
                options = []
            }
        }
        // Constants may be written `socket.NAME`, as in Python.
        if current.hasPrefix("socket.") {
            return .words(filter(options.filter { $0.first?.isUppercase == true }.map { "socket." + $0 }, current))
        }
        return .words(filter(options, current))
    }

    /// The complete words before the cursor and the partial word at it.
    static func split(_ line: String) -> (words: [String], current: String) {
        // Only the last command of a `;`-separated line matters.
        var segment = Substring(line)
        var quote: Character?
        var lastSeparator: String.Index?
        for index in line.indices {
            let character = line[index]
            if let open = quote { if character == open { quote = nil } ; continue }
            if character == "'" || character == "\"" { quote = character } else if character == ";" { lastSeparator = index }
        }
        if let lastSeparator { segment = line[line.index(after: lastSeparator)...] }
        var words = segment.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == "," || $0 == "[" }).map(String.init)
        let endsInSpace = segment.last.map { " \t(,[".contains($0) } ?? true
        let current = endsInSpace ? "" : (words.popLast() ?? "")
        return (words, current)
    }

    private static func filter<S: Sequence>(_ options: S, _ prefix: String) -> [String] where S.Element == String {
        Array(Set(options.filter { $0.hasPrefix(prefix) })).sorted()
    }

    private static func constants(prefix: String) -> [String] {
        PythonConstants.byName.keys.filter { $0.hasPrefix(prefix) }
    }

    /// The option names that make sense at a level: SO_ after SOL_SOCKET,
    /// TCP_ after IPPROTO_TCP, and so on.
    static func optionNames(forLevel level: String) -> [String] {
        let name = level.hasPrefix("socket.") ? String(level.dropFirst(7)) : level
        switch name {
        case "SOL_SOCKET", "socket": return constants(prefix: "SO_")
        case "IPPROTO_TCP", "tcp", "6": return constants(prefix: "TCP_")
        case "IPPROTO_UDP", "udp", "17": return constants(prefix: "UDP_")
        case "IPPROTO_IP", "ip", "0": return constants(prefix: "IP_")
        case "IPPROTO_IPV6", "ipv6", "41": return constants(prefix: "IPV6_")
        default: return constants(prefix: "SO_") + constants(prefix: "TCP_") + constants(prefix: "IP_") + constants(prefix: "IPV6_")
        }
    }

    /// Service names from /etc/services, for `getservbyname`.
    static func serviceNames() -> [String] {
        fieldsOfFile("/etc/services").compactMap { $0.first }
    }

    /// Protocol names from /etc/protocols (`tcp`, `udp`, `icmp`, ...), for
    /// `getservbyname`'s PROTO and `getprotobyname`.
    static func protocolNames() -> [String] {
        fieldsOfFile("/etc/protocols").compactMap { $0.first } + ["tcp", "udp"]
    }

    /// Host names from /etc/hosts, for host arguments.
    static func hostNames(file: String = "/etc/hosts") -> [String] {
        fieldsOfFile(file).flatMap { $0.dropFirst() } + ["localhost"]
    }

    /// The white-space separated fields of each non-comment line of a file.
    /// A field with a control character (ESC, U+009B CSI, ...) is never
    /// offered: completing it would write it to the terminal raw.
    private static func fieldsOfFile(_ path: String) -> [[String]] {
        guard let bytes = try? Files.read(path) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                .filter { $0.unicodeScalars.allSatisfy { escapedIfUnprintable($0) == nil } }
            return fields.isEmpty ? nil : fields
        }
    }
}
