/// The groups `help` lists commands in.
public enum CommandGroup: String, CaseIterable {
    case sockets, data, options, resolver, tls, shell

    /// The heading `help` and the manual page give the group.
    public var title: String { self == .tls ? "TLS" : rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// One parameter of a command, declared once: the usage line, `help`, the
/// manual page, completion and hints all read it.
public struct Parameter: Equatable {
    /// What an argument in this place is: completion offers its words, and
    /// `export python` converts it as the command reads it.
    public enum Kind: Equatable {
        case socket, newName, host, port, family, type, proto, level, option, flags, aiflags, niflags,
             shutdown, service, `protocol`, path, data, setting, command
        /// A list of open sockets: `[a, b]`, `(a,)` or one name.
        case sockets
        /// A background job, `%N`.
        case job
        /// An integer, converted as the parameter's C type says.
        case integer
        /// A timeout as `settimeout` takes it (None, or seconds kept as whole ns).
        case timeout
        /// A duration in seconds (`sleep`, `select`); None only if the parameter takes it.
        case seconds
        case bool
        /// `server_hostname=HOST` and the other keywords of `tls` and `tls_server`.
        case tlsOption
        /// Anything else: a word or a value the command reads its own way.
        case any

        /// The kind's name for completion: `-` where nothing is offered.
        public var completionName: String {
            switch self {
            case .newName: return "newname"
            case .tlsOption: return "tlsoption"
            case .sockets: return "socket"
            case .integer, .timeout, .seconds, .bool, .any: return "-"
            default: return String(describing: self)
            }
        }
    }

    /// A declaration's fields. A parameter holds them boxed: the binder
    /// copies a parameter for each argument it reads, and the box is one
    /// retain where the fields are five strings.
    struct Fields: Equatable {
        var label: String
        var messageLabel: String
        var kind: Kind
        var isOptional: Bool
        var repeats: Bool
        var joinsPrevious: Bool
        var cType = "long"
        var isCInt = false
        var acceptsNone = false
        var anyAddress = false
        var keyword: String?
        var pythonDefault: String?
    }

    private final class Box {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private let box: Box

    private init(_ fields: Fields) { box = Box(fields) }

    private init(label: String, kind: Kind, isOptional: Bool, repeats: Bool, joinsPrevious: Bool) {
        let messageLabel = label.split(separator: "|", maxSplits: 1).first.map(String.init) ?? label
        self.init(Fields(label: label, messageLabel: messageLabel, kind: kind, isOptional: isOptional,
                         repeats: repeats, joinsPrevious: joinsPrevious))
    }

    public static func == (lhs: Parameter, rhs: Parameter) -> Bool { lhs.box.fields == rhs.box.fields }

    /// This parameter with one field changed: the modifiers below.
    private func with(_ change: (inout Fields) -> Void) -> Parameter {
        var fields = box.fields
        change(&fields)
        return Parameter(fields)
    }

    /// As the usage line shows it: `HOST`, `SECONDS|None`.
    public var label: String { box.fields.label }
    /// The label errors name: `SECONDS` of `SECONDS|None`, `FILE` of
    /// `FILE|off`. Kept, not derived per call: the binder names it for
    /// every argument it reads.
    public var messageLabel: String { box.fields.messageLabel }
    public var kind: Kind { box.fields.kind }
    public var isOptional: Bool { box.fields.isOptional }
    /// It may be given any number of times (`TEXT...`).
    public var repeats: Bool { box.fields.repeats }
    /// It shares the brackets of the parameter before it: `[OPTION VALUE]`.
    public var joinsPrevious: Bool { box.fields.joinsPrevious }
    /// The C type an integer is converted to, as CPython's argument parser
    /// names it in an OverflowError: `long`, `unsigned long`, `ssize_t`, or
    /// `int` (checked against INT_MIN..INT_MAX).
    public var cType: String { box.fields.cType }
    /// `cType` is `int`, converted as CPython's `i` format (INT_MIN..INT_MAX).
    var isCInt: Bool { box.fields.isCInt }
    /// None is a value here (getaddrinfo's HOST and PORT, select's TIMEOUT).
    public var acceptsNone: Bool { box.fields.acceptsNone }
    /// `*` is the any address, `''` (create_server's HOST).
    public var anyAddress: Bool { box.fields.anyAddress }
    /// Python's keyword for it where the call takes it by keyword (`family=`).
    public var keyword: String? { box.fields.keyword }
    /// What Python passes where sockshell's optional argument is left out and
    /// Python's is not optional (recv's BUFSIZE: `4096`).
    public var pythonDefault: String? { box.fields.pythonDefault }

    /// The integer is converted to C's `type` (its OverflowError names it).
    public func c(_ type: String) -> Parameter {
        with { $0.cType = type; $0.isCInt = type == "int" }
    }

    /// None may be given for it.
    public var orNone: Parameter { with { $0.acceptsNone = true } }

    /// `*` means the any address.
    public var starIsAny: Parameter { with { $0.anyAddress = true } }

    /// Python takes it as `keyword=VALUE`.
    public func keyword(_ name: String) -> Parameter { with { $0.keyword = name } }

    /// Python's call needs `code` where sockshell's argument is left out.
    public func python(default code: String) -> Parameter { with { $0.pythonDefault = code } }

    public static func required(_ label: String, _ kind: Kind = .any) -> Parameter {
        Parameter(label: label, kind: kind, isOptional: false, repeats: false, joinsPrevious: false)
    }

    public static func optional(_ label: String, _ kind: Kind = .any) -> Parameter {
        Parameter(label: label, kind: kind, isOptional: true, repeats: false, joinsPrevious: false)
    }

    /// Given any number of times, none included (`[TEXT...]`).
    public static func repeated(_ label: String, _ kind: Kind = .any) -> Parameter {
        Parameter(label: label, kind: kind, isOptional: true, repeats: true, joinsPrevious: false)
    }

    /// Optional, inside the brackets of the one before: `set [OPTION VALUE]`.
    public static func together(_ label: String, _ kind: Kind = .any) -> Parameter {
        Parameter(label: label, kind: kind, isOptional: true, repeats: false, joinsPrevious: true)
    }

    /// The usage line's words for `parameters`: `NAME [BUFSIZE] [FLAGS]`.
    public static func usage(_ parameters: [Parameter]) -> String {
        var words: [String] = []
        for (index, parameter) in parameters.enumerated() {
            var word = parameter.label + (parameter.repeats ? "..." : "")
            if parameter.isOptional && !parameter.joinsPrevious { word = "[" + word }
            let closes = index + 1 == parameters.count || !parameters[index + 1].joinsPrevious
            if parameter.isOptional && closes { word += "]" }
            words.append(word)
        }
        return words.joined(separator: " ")
    }
}

/// Python's own signature, where its call takes keywords: the functions
/// socket.py writes in Python (`socket.socket`, `create_connection`, ...); a C
/// function or method takes none. A Python-syntax line's keywords are put in
/// their places by it, and its TypeErrors are Python's.
public struct PythonSignature {
    /// The name its TypeError gives: `socket.__init__`, `create_server`.
    public let owner: String
    /// Python's parameter names, in order (an address is one: `address`).
    public let names: [String]
    /// What the command is given for a parameter skipped before a later
    /// keyword, as sockshell would read it typed; nil where Python requires one.
    public let defaults: [String?]
    /// At most this many may be given by position (`create_server`'s
    /// keyword-only `family` and `backlog`).
    public let positionalLimit: Int?
    /// Python's parameters sockshell has no form of.
    public let unsupported: [String]

    public init(owner: String, names: [String], defaults: [String?], positionalLimit: Int? = nil, unsupported: [String] = []) {
        precondition(names.count == defaults.count, "a default, or nil, for each of \(owner)'s parameters")
        self.owner = owner
        self.names = names
        self.defaults = defaults
        self.positionalLimit = positionalLimit
        self.unsupported = unsupported
    }
}

/// A command that is one call in Python, declared as that call: `help` shows
/// it and `export python` writes it from the parameters, in order.
public struct PythonCall {
    public enum Returns { case nothing, value, bytes }
    /// `NAME.method(...)`, the first parameter being the socket; else a
    /// module function such as `socket.gethostbyname`.
    public let method: String?
    public let function: String?
    public let returns: Returns
    /// HOST and PORT are one `(HOST, PORT)` argument, as Python's addresses are.
    public let pairsAddress: Bool

    public static func method(_ name: String, returns: Returns = .nothing, address: Bool = false) -> PythonCall {
        PythonCall(method: name, function: nil, returns: returns, pairsAddress: address)
    }

    public static func function(_ name: String, returns: Returns = .value, address: Bool = false) -> PythonCall {
        PythonCall(method: nil, function: name, returns: returns, pairsAddress: address)
    }

    /// The call as `help` shows it: `NAME.bind((HOST, PORT))`,
    /// `NAME = socket.create_server((HOST, PORT), family=FAMILY, backlog=BACKLOG)`.
    func text(_ parameters: [Parameter]) -> String {
        var targets: [String] = []
        var receiver = ""
        var words: [String] = []
        for (index, parameter) in parameters.enumerated() {
            let label = parameter.messageLabel
            if index == 0, method != nil {
                receiver = label + "."
            } else if parameter.kind == .newName {
                targets.append(label)
            } else if pairsAddress, parameter.kind == .port, index > 0, parameters[index - 1].kind == .host, let host = words.popLast() {
                words.append("(\(host), \(label))")
            } else {
                words.append((parameter.keyword.map { $0 + "=" } ?? "") + label)
            }
        }
        let assignment = targets.isEmpty ? "" : targets.joined(separator: ", ") + " = "
        return assignment + receiver + (method ?? function ?? "") + "(" + words.joined(separator: ", ") + ")"
    }
}

/// One row of the command table: everything `help`, completion and dispatch
/// know about a command.
public final class Command {
    public let name: String
    public let group: CommandGroup
    /// The command's parameters in order, declared once.
    public let parameters: [Parameter]
    /// The argument synopsis, as `TypeError: usage: ...` shows it.
    public let usage: String
    public let summary: String
    /// What the command does in Python's words, for `help`.
    public let python: String
    /// The Python call it is, where it is one: `python` and the export come from it.
    public let pythonCall: PythonCall?
    /// Python's parameter names and defaults, where its call takes keywords.
    public let pythonSignature: PythonSignature?
    /// The C call underneath, for `help`; empty for shell commands.
    public let cCall: String
    /// What each argument is, in order, for completion: `socket`, `newname`,
    /// `host`, `port`, `family`, `type`, `proto` (IPPROTO_), `level`,
    /// `option`, `flags` (MSG_), `aiflags`, `niflags`, `shutdown`, `service`,
    /// `protocol` (a name from /etc/protocols), `path`, `data`, `setting`,
    /// `command`, or `-` for anything else (`Parameter.Kind`'s names).
    public var argumentKinds: [String] { parameters.map(\.kind.completionName) }
    /// The position of the first parameter naming a new socket (`socket`'s
    /// NAME, `accept`'s NEWNAME), if any.
    let firstNewName: Int?
    /// What the command does, given its arguments bound to its parameters.
    let run: (inout Call, Bindings) throws -> Value?

    // A class, not a struct: every call passes its command around, and a
    // reference is one retain where a struct of strings is a dozen.
    init(name: String, group: CommandGroup, parameters: [Parameter], summary: String, python: String,
         signature: PythonSignature? = nil, cCall: String, run: @escaping (inout Call, Bindings) throws -> Value?) {
        self.name = name
        self.group = group
        self.parameters = parameters
        self.usage = Parameter.usage(parameters)
        self.firstNewName = parameters.firstIndex { $0.kind == .newName }
        self.summary = summary
        self.python = python
        self.pythonCall = nil
        self.pythonSignature = signature
        self.cCall = cCall
        self.run = run
    }

    /// A command that is one Python call: its `help` text and its export
    /// are written from `call` and the parameters.
    init(name: String, group: CommandGroup, parameters: [Parameter], summary: String, python call: PythonCall,
         signature: PythonSignature? = nil, cCall: String, run: @escaping (inout Call, Bindings) throws -> Value?) {
        self.name = name
        self.group = group
        self.parameters = parameters
        self.usage = Parameter.usage(parameters)
        self.firstNewName = parameters.firstIndex { $0.kind == .newName }
        self.summary = summary
        self.python = call.text(parameters)
        self.pythonCall = call
        self.pythonSignature = signature
        self.cCall = cCall
        self.run = run
    }

    public var usageLine: String { usage.isEmpty ? name : "\(name) \(usage)" }

    /// Binds the call's arguments to the parameters (every usage error is
    /// raised here), then runs the handler on the typed values.
    func invoke(_ call: inout Call) throws -> Value? {
        var bindings = try Bindings(&call.arguments, into: call.runner.takeSpareBindings())
        defer { call.runner.keepSpareBindings(&bindings.values) }
        return try run(&call, bindings)
    }
}

/// What a running command sees: its arguments, its session and the runner.
struct Call {
    let runner: Runner
    /// What was typed: the binder walks it; a handler reads a `.any` or
    /// repeated argument's conversions, Python value and usage error from it.
    var arguments: Arguments
    // The command and the session are the arguments' own: held once, as a
    // call is made and dropped for every command run.
    var command: Command { arguments.command }
    var session: Session { arguments.session }
    /// `> FILE` on the command; a command that streams into it sets
    /// `redirectConsumed` so the runner does not write the value again.
    let redirect: Redirect?
    /// The redirect's file, opened before the command runs (as Python's
    /// `open()` comes before the call it receives), or -1.
    var sink: Int32 = -1
    var redirectConsumed = false
    /// The socket whose buffered or received bytes the value is: what the
    /// `> FILE` could not write goes back to its buffer.
    var receivedFrom: SocketEntry?
    /// An error the command returned as a value instead of raising it
    /// (`connect_ex`'s errno): not a failure of the command, but what `why`
    /// and `set explain on` explain.
    var returnedError: Error?
    /// How the value is laid out for a terminal `width` columns wide (the
    /// `sockets` table, the prose of `help` and `why`); nil for as it is.
    /// Files, pipes and recordings always get the value as it is.
    var fitted: ((_ width: Int) -> String)?

    init(runner: Runner, arguments: Arguments, redirect: Redirect?) {
        self.runner = runner
        self.arguments = arguments
        self.redirect = redirect
    }
}
