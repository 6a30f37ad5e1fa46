/// The groups `help` lists commands in.
public enum CommandGroup: String, CaseIterable {
    case sockets, data, options, resolver, shell
}

/// One row of the command table: everything `help`, completion and dispatch
/// know about a command.
public struct Command {
    public let name: String
    public let group: CommandGroup
    /// The argument synopsis, as `TypeError: usage: ...` shows it.
    public let usage: String
    public let summary: String
    /// What the command does in Python's words, for `help`.
    public let python: String
    /// The C call underneath, for `help`; empty for shell commands.
    public let cCall: String
    /// What each argument is, in order, for completion: `socket`, `newname`,
    /// `host`, `port`, `family`, `type`, `level`, `option`, `service`, `path`,
    /// `data`, `setting`, `command`, or `-` for anything else.
    public let argumentKinds: [String]
    let run: (inout Call) throws -> Value?

    public var usageLine: String { usage.isEmpty ? name : "\(name) \(usage)" }
}

/// What a running command sees: its arguments, its session and the runner.
struct Call {
    let command: Command
    let session: Session
    let runner: Runner
    var arguments: Arguments
    /// `> FILE` on the command; a command that streams into it sets
    /// `redirectConsumed` so the runner does not write the value again.
    let redirect: Redirect?
    var redirectConsumed = false
}
