import SocketCore
import Glibc

extension CommandTable {
    static let optionCommands: [Command] = [
        Command(name: "setsockopt", group: .options,
                parameters: [.required("NAME", .socket), .required("LEVEL", .level), .required("OPTION", .option), .required("VALUE")],
                summary: "set a socket option to an integer or to bytes",
                python: "NAME.setsockopt(LEVEL, OPTION, VALUE)", cCall: "setsockopt(2)",
                run: setOption),
        Command(name: "getsockopt", group: .options,
                parameters: [.required("NAME", .socket), .required("LEVEL", .level), .required("OPTION", .option), .optional("BUFLEN", .integer)],
                summary: "read a socket option: an integer, or BUFLEN raw bytes",
                python: "NAME.getsockopt(LEVEL, OPTION, BUFLEN)", cCall: "getsockopt(2)",
                run: getOption),
        Command(name: "settimeout", group: .options,
                parameters: [.required("NAME", .socket), .required("SECONDS|None", .timeout)],
                summary: "make calls wait at most SECONDS (None: for ever, 0: never)",
                python: .method("settimeout"), cCall: "",
                run: { _, bound in
                    bound.socket(0).socket.timeout = bound.seconds(1)
                    return nil
                }),
        Command(name: "gettimeout", group: .options, parameters: [.required("NAME", .socket)],
                summary: "the socket's timeout in seconds, or None",
                python: .method("gettimeout", returns: .value), cCall: "",
                run: { _, bound in bound.socket(0).socket.timeout.map(Value.float) ?? Value.none }),
        Command(name: "setblocking", group: .options, parameters: [.required("NAME", .socket), .required("BOOL", .bool)],
                summary: "True: wait for ever (timeout None); False: never wait (timeout 0.0)",
                python: .method("setblocking"), cCall: "",
                run: { _, bound in
                    bound.socket(0).socket.timeout = bound.bool(1) ? nil : 0
                    return nil
                }),
        Command(name: "getblocking", group: .options, parameters: [.required("NAME", .socket)],
                summary: "whether calls on the socket may wait (a timeout counts as blocking)",
                python: .method("getblocking", returns: .value), cCall: "",
                run: { _, bound in .bool(bound.socket(0).socket.timeout != 0) }),
    ]
}

private func setOption(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let level = bound.constant(1)
    let option = bound.constant(2)
    // VALUE is an integer or bytes: the one argument read here.
    guard let argument = bound.argument(3) else { throw call.arguments.usageError() }
    switch argument.kind {
    case .bytes(let bytes):
        try entry.socket.setOption(level: level, name: option, bytes: bytes)
    default:
        let value = try call.arguments.integer(argument, label: "VALUE", kind: .any)
        guard let narrow = Int32(exactly: value) else {
            throw ShellError.overflow("signed integer is \(value < 0 ? "less than minimum" : "greater than maximum")")
        }
        try entry.socket.setOption(level: level, name: option, integer: narrow)
    }
    let optionName = bound.constantText(2)
    entry.noteOption(optionName.hasPrefix("socket.") ? String(optionName.dropFirst(7)) : optionName, argument.text)
    return nil
}

private func getOption(_ call: inout Call, _ bound: Bindings) throws -> Value? {
    let entry = bound.socket(0)
    let level = bound.constant(1)
    let option = bound.constant(2)
    let length = bound.optionalInteger(3)
    guard let length, length != 0 else { return .int(try entry.socket.integerOption(level: level, name: option)) }
    // CPython: "getsockopt buflen out of range" outside 1..1024.
    guard (1...1024).contains(length) else { throw ShellError.osMessage("getsockopt buflen out of range") }
    return .bytes(try entry.socket.option(level: level, name: option, length: length))
}

/// The level an option belongs to, by its name's prefix (SO_* at SOL_SOCKET,
/// TCP_* at IPPROTO_TCP, ...), as Python names both; nil for another name.
func optionLevelName(_ option: String) -> String? {
    if option.hasPrefix("SO_") { return "SOL_SOCKET" }
    if option.hasPrefix("TCP_") { return "IPPROTO_TCP" }
    if option.hasPrefix("IPV6_") { return "IPPROTO_IPV6" }
    if option.hasPrefix("IP_") { return "IPPROTO_IP" }
    return nil
}

/// The level and number of an option as Python names it (`SO_REUSEADDR`,
/// `TCP_NODELAY`), to read it back; nil for a name it cannot place.
func optionAddress(_ name: String) -> (level: Int32, name: Int32)? {
    guard let levelName = optionLevelName(name),
          let level = PythonConstants.byName[levelName].flatMap({ Int32(exactly: $0) }),
          let number = PythonConstants.byName[name].flatMap({ Int32(exactly: $0) }) else { return nil }
    return (level, number)
}
