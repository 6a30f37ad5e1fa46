import SocketCore

/// Tab completion that knows the session: what to offer for the word under
/// the cursor, from the same command table that dispatch and `help` read.
public enum Completion {
    public enum Candidates: Equatable {
        /// These words (already filtered by the prefix being completed).
        case words([String])
        /// Names after a dot on a Python line (`s.con`, `socket.AF_`), as
        /// Python's rlcompleter gives them: a callable's ends in `(`, or `()`
        /// when it takes no argument, and nothing is added after the word
        /// (Python's readline module appends no space).
        case pythonNames([String])
        /// File names: the terminal's own file-name completion should run.
        case paths
    }

    /// Where the terminal's word being completed starts: after the last of
    /// these. `.` stays inside words (`socket.AF_INET`, `s.connect`).
    public static let wordBreakCharacters = " \t\n\"';()[],>@"

    /// Candidates for the word that ends at the end of `linePrefix` (the line
    /// up to the cursor).
    public static func candidates(linePrefix: String, session: Session) -> Candidates {
        if PythonSyntax.isPython(linePrefix, session: session),
           let names = pythonAttributes(linePrefix: linePrefix, session: session) {
            return .pythonNames(names)
        }
        if let names = starImportedNames(linePrefix: linePrefix, session: session) { return .pythonNames(names) }
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
        let repeatsLast = command.parameters.last?.repeats == true
        let kind = index < kinds.count ? kinds[index] : (command.name == "select" ? "socket" : repeatsLast ? kinds[kinds.count - 1] : "-")
        let previous = words.last ?? ""
        let options: [String]
        // serve's KIND, its DIR when the kind takes one, its MODEL; stop's server.
        // (index counts the arguments: serve's KIND is its fourth.)
        if command.name == "stop", index == 0 {
            return .words(filter(session.servers.servers.map(\.name), current))
        }
        if command.name == "serve", index >= 3 {
            if index == 3 { return .words(filter(ServeKind.allCases.map(\.rawValue), current)) }
            let takesDirectory = ServeKind(rawValue: words[4]).map(\.takesDirectory) ?? false
            if index == 4 && takesDirectory { return .paths }
            if index == 4 || index == 5 && takesDirectory { return .words(filter(ServeModel.allCases.map(\.rawValue), current)) }
            return .words([])
        }
        switch kind {
        case "socket": options = session.entries.map(\.name)
        case "tlsoption":
            // Each keyword once: those already on the line are not offered again.
            let given = Set(words.dropFirst().compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
            options = tlsOptionWords(command.name).filter { !given.contains(String($0.prefix { $0 != "=" })) }
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
        case "job": options = session.jobs.running.map { "%\($0.number)" }
        default:
            if command.name == "set" && index == 1 && previous == "display" {
                options = DisplayMode.allCases.map(\.rawValue)
            } else if command.name == "set" && index == 1 && previous == "keylog" {
                return .paths
            } else if command.name == "set" && index == 1 && previous == "packets" {
                options = ["on", "payload", "off"]
            } else if command.name == "set" && index == 1 && previous == "newline" {
                options = LineEnding.allCases.map(\.rawValue)
            } else if command.name == "set" && index == 1 && ["explain", "python", "trace", "pager", "hints", "log"].contains(previous) {
                options = ["on", "off"]
            } else if command.name == "host" && index == 0 {
                options = ["add"]
            } else if command.name == "link" && index == 1 {
                options = ["mtu"]
            } else if (command.name == "on" || command.name == "link") && index == 0 {
                options = session.hosts.keys.sorted()
            } else if command.name == "on" && index == 1 {
                options = CommandTable.all.map(\.name)
            } else if command.name == "export" && index == 0 {
                options = ["python", "pcap", "diagram"]
            } else if command.name == "watch" && index == 1 {
                options = ["off"]
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

    /// On a Python line, what may follow `NAME.` at the cursor, also inside
    /// a call's arguments (`s.setsockopt(socket.SOL_`): a session socket's
    /// methods and attributes (`dir(socket.socket)`), the names of an
    /// imported `socket` module and its constants, `time.sleep` and
    /// `select.select`. As rlcompleter, `_` names only once `_` is typed, and
    /// `__` names once `__` is. Nil when the word has no dot.
    static func pythonAttributes(linePrefix: String, session: Session) -> [String]? {
        // The terminal's word (`x=s.re` if `=` is typed without spaces), and
        // the dotted name at its end (`s.re`).
        let word = String(linePrefix.reversed().prefix { !wordBreakCharacters.contains($0) }.reversed())
        let tail = String(word.reversed().prefix { $0 == "_" || $0 == "." || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
                            .reversed())
        guard let dot = tail.lastIndex(of: ".") else { return nil }
        let base = String(tail[..<dot]), typed = String(tail[tail.index(after: dot)...])
        let lead = word.dropLast(tail.count)
        let members: [String]
        if session.contains(base) {
            members = PythonNames.socketAttributes.map { name in
                name + (socketDataAttributes.contains(name) ? "" : socketMethodsWithoutArguments.contains(name) ? "()" : "(")
            }
        } else if session.pythonModules.contains(base) {
            members = moduleMembers(base)
        } else {
            return []
        }
        return offered(members, typed: typed).map { lead + base + "." + $0 }
    }

    /// A module's names as rlcompleter completes them, after `module.` or,
    /// once `from module import *` ran, bare: a callable's with `(` (`()`
    /// when it takes no argument), a constant's as it is.
    static func moduleMembers(_ module: String) -> [String] {
        switch module {
        case "socket":
            let functions = PythonNames.socketModuleNames.filter { $0 != "__builtins__" }.map { name in
                name + (PythonConstants.byName[name] != nil || socketModuleDataNames.contains(name) ? ""
                        : name == "has_dualstack_ipv6" ? "()" : "(")
            }
            return functions + PythonConstants.byName.keys
        case "time": return ["sleep("]
        case "select": return ["select("]
        default: return []
        }
    }

    /// The names that start with `typed`, sorted, as rlcompleter offers them:
    /// `_` names only once `_` is typed, and `__` names once `__` is.
    static func offered(_ names: [String], typed: String) -> [String] {
        let hidden = typed.isEmpty ? "_" : typed == "_" ? "__" : nil
        return Set(names.filter { name in name.hasPrefix(typed) && !(hidden.map { name.hasPrefix($0) } ?? false) }).sorted()
    }

    /// After `from socket import *` (or select's, time's), a bare name is
    /// completed from the module's, as rlcompleter completes a global: the
    /// word under the cursor, where a Python name goes (the line's first
    /// word, with the commands that start so, or anywhere on a Python line).
    /// Nil where no such name starts the word.
    static func starImportedNames(linePrefix: String, session: Session) -> [String]? {
        guard !session.pythonStarImports.isEmpty else { return nil }
        let word = String(linePrefix.reversed().prefix { !wordBreakCharacters.contains($0) }.reversed())
        guard PythonSyntax.isIdentifier(word) else { return nil }
        let isFirstWord = linePrefix.dropLast(word.count).allSatisfy { $0 == " " || $0 == "\t" }
        guard isFirstWord || PythonSyntax.isPython(linePrefix, session: session) else { return nil }
        let names = offered(session.pythonStarImports.flatMap(moduleMembers), typed: word)
        // Only commands: completed as commands are (with a space after).
        guard !names.isEmpty else { return nil }
        let commands = isFirstWord ? (CommandTable.all.map(\.name) + CommandTable.aliases.keys).filter { $0.hasPrefix(word) } : []
        return Set(names + commands).sorted()
    }

    /// `dir(socket.socket())`'s names that rlcompleter gives no `(`: the
    /// properties and the data (CPython 3.11).
    static let socketDataAttributes: Set<String> = [
        "__doc__", "__module__", "__slots__", "__weakref__", "_closed", "_io_refs", "family", "proto", "timeout", "type",
    ]

    /// The socket methods rlcompleter completes with `()`: their signature
    /// takes no argument (CPython 3.11).
    static let socketMethodsWithoutArguments: Set<String> = [
        "__dir__", "__enter__", "__getstate__", "__hash__", "__reduce__", "__repr__", "__sizeof__", "__str__",
        "_decref_socketios", "accept", "close", "detach", "dup", "get_inheritable",
    ]

    /// The socket module's names besides its constants that are no callable:
    /// modules, strings, sets, a bool (CPython 3.11).
    static let socketModuleDataNames: Set<String> = [
        "AF_DECnet", "_GLOBAL_DEFAULT_TIMEOUT", "_LOCALHOST", "_LOCALHOST_V6", "__all__", "__cached__", "__doc__",
        "__file__", "__loader__", "__name__", "__package__", "__spec__", "_blocking_errnos", "_socket", "array",
        "errno", "has_ipv6", "io", "os", "selectors", "sys",
    ]

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

/// What `tls` and `tls_server` take after their arguments.
func tlsOptionWords(_ command: String) -> [String] {
    let shared = ["cafile=", "alpn=", "version=TLSv1_2", "version=TLSv1_3"]
    return command == "tls" ? ["server_hostname=", "verify=True", "verify=False"] + shared : shared
}
