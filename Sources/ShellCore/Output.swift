import SocketCore

/// Where a runner's text goes: values to one stream, errors to another.
public protocol Output: AnyObject {
    /// One value's text, without the final newline.
    func value(_ text: String)
    /// One error line, without the final newline.
    func error(_ text: String)
    /// One line of `set trace on`: a system call, as strace shows it.
    func trace(_ text: String)
    /// The first failed write of values (stdout closed by its reader is
    /// EPIPE), once: the runner then stops, as a Python script stops at the
    /// print whose write raised BrokenPipeError.
    func takeWriteFailure() -> OutputLost?
    /// A command's value on its way to the screen. `fitted`, when given,
    /// lays the text out for a width (a table, a paragraph); an output that
    /// knows its terminal's width shows that, and any other shows `text`.
    func display(_ text: String, fitted: ((Int) -> String)?)
    /// Ctrl-C ended a command; called before anything is printed about it,
    /// so a terminal that echoed `^C` can end that row first.
    func interrupted()
}

extension Output {
    /// Trace lines go with the errors unless the output says otherwise.
    public func trace(_ text: String) { error(text) }
    public func takeWriteFailure() -> OutputLost? { nil }
    public func display(_ text: String, fitted: ((Int) -> String)?) { value(text) }
    public func interrupted() {}
}

/// Values could not be written: what follows them cannot be seen either.
public struct OutputLost: Error {
    public let errno: Errno
    public init(errno: Errno) { self.errno = errno }
}

/// An Output that keeps every line in order, for `--check` and tests.
public final class CapturedOutput: Output {
    public enum Line: Equatable {
        case value(String)
        case error(String)
        public var text: String {
            switch self {
            case .value(let text), .error(let text): return text
            }
        }
    }

    public private(set) var lines: [Line] = []
    public init() {}
    public func value(_ text: String) { lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map { .value(String($0)) }) }
    public func error(_ text: String) { lines.append(.error(text)) }
    public func clear() { lines.removeAll() }
    public var values: [String] { lines.compactMap { if case .value(let text) = $0 { return text } else { return nil } } }
    public var errors: [String] { lines.compactMap { if case .error(let text) = $0 { return text } else { return nil } } }
}
