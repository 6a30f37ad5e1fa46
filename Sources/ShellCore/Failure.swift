/// The last command that failed, kept for `why`.
public struct Failure {
    /// The command as parsed; nil when the line itself did not parse.
    public let command: ParsedCommand?
    /// The error as printed.
    public let error: ShellError
}
