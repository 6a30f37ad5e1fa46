/// The groups `help` lists commands in.
public enum CommandGroup: String, CaseIterable {
    case sockets, data, options, resolver, shell
}

/// One row of the command table: everything `help`, completion and dispatch
/// know about a command.
public final class Command {
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
    /// `host`, `port`, `family`, `type`, `proto` (IPPROTO_), `level`,
    /// `option`, `flags` (MSG_), `aiflags`, `niflags`, `shutdown`, `service`,
    /// `protocol` (a name from /etc/protocols), `path`, `data`, `setting`,
    /// `command`, or `-` for anything else.
    public let argumentKinds: [String]
    let run: (inout Call) throws -> Value?

    // A class, not a struct: every call passes its command around, and a
    // reference is one retain where a struct of strings is a dozen.
    init(name: String, group: CommandGroup, usage: String, summary: String, python: String, cCall: String,
         argumentKinds: [String], run: @escaping (inout Call) throws -> Value?) {
        self.name = name
        self.group = group
        self.usage = usage
        self.summary = summary
        self.python = python
        self.cCall = cCall
        self.argumentKinds = argumentKinds
        self.run = run
    }

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
}
