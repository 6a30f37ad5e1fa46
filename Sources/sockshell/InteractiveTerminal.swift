import CReadline
import Glibc
import ShellCore
import SocketCore

/// The readline prompt (SPEC section 6), driven through readline's callback
/// interface from one poll(2) loop over stdin, the Ctrl-C self-pipe and the
/// resize self-pipe. That loop is the only place the prompt waits, so later
/// work can add sockets to it and print events above the line being typed.
final class InteractiveTerminal {
    let runner: Runner
    let output: StandardOutput
    let color: Bool
    let history: HistoryFile?

    /// Lines readline has finished, waiting to run (nil: Ctrl-D).
    nonisolated(unsafe) static var completedLines: [String?] = []
    /// The session the completion callback asks; readline's callbacks are C
    /// functions and cannot capture it.
    nonisolated(unsafe) static var session: Session?
    nonisolated(unsafe) static var completionWords: [String] = []

    init(runner: Runner, output: StandardOutput, color: Bool) {
        self.runner = runner
        self.output = output
        self.color = color
        self.history = HistoryFile.standard()
    }

    /// Runs the prompt until Ctrl-D or `quit`; returns the exit status, or nil
    /// for "as the session went".
    func run(showBanner: Bool) -> Int32? {
        if showBanner {
            output.plain("\(Options.version): sockets as Python's socket module sees them. "
                         + "Type 'help' for commands, Ctrl-D to leave.\n")
        }
        configureReadline()
        history?.load()
        runner.session.history = { HistoryFile.entries() }
        ResizeSignal.install()

        let prompt = color ? "\u{1}\u{1B}[1m\u{2}sock> \u{1}\u{1B}[0m\u{2}" : "sock> "
        let install = {
            rl_callback_handler_install(prompt) { line in
                InteractiveTerminal.completedLines.append(line.map { String(cString: $0) })
                free(line)
                // Removing the handler here, not after, stops readline from
                // drawing the next prompt before the command has run. It also
                // gives the terminal back its normal mode while the command
                // runs, so Ctrl-C is a signal and output is cooked.
                rl_callback_handler_remove()
            }
        }
        install()
        defer { history?.save() }
        while true {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: Interruption.fileDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: ResizeSignal.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, nfds_t(fds.count), -1) < 0 && errno != EINTR { return 1 }
            if Interruption.isPending {
                Interruption.clear()
                discardLine()
                continue
            }
            if ResizeSignal.takePending() { rl_resize_terminal() }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 { rl_callback_read_char() }
            while !InteractiveTerminal.completedLines.isEmpty {
                guard let line = InteractiveTerminal.completedLines.removeFirst() else {
                    output.plain("\n")
                    return nil
                }
                history?.add(line)
                do {
                    _ = try runner.run(line: line)
                } catch let exit as ExitRequest {
                    return exit.code
                } catch {}
                output.flush()
                install()
            }
        }
    }

    /// Ctrl-C at the prompt: the line is dropped and a fresh prompt drawn.
    private func discardLine() {
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_replace_line("", 0)
        output.plain("^C\n")
        rl_on_new_line()
        rl_redisplay()
    }

    private func configureReadline() {
        InteractiveTerminal.session = runner.session
        rl_readline_name = UnsafePointer(strdup("sockshell"))
        // sockshell handles SIGINT and SIGWINCH itself, through its self-pipes.
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        // `.` stays inside words (socket.AF_INET); `@`, `(`, `,` and `[` end them.
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n\"';()[],>@"))
        rl_attempted_completion_function = { text, start, end in
            rl_attempted_completion_over = 1
            guard let session = InteractiveTerminal.session, let buffer = rl_line_buffer else { return nil }
            let prefix = String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(rl_point)), as: UTF8.self)
            switch Completion.candidates(linePrefix: prefix, session: session) {
            case .paths:
                return rl_completion_matches(text, rl_filename_completion_function)
            case .words(let words):
                InteractiveTerminal.completionWords = words
                return rl_completion_matches(text) { _, state in
                    if state == 0 { InteractiveTerminal.completionIndex = 0 }
                    let words = InteractiveTerminal.completionWords
                    guard InteractiveTerminal.completionIndex < words.count else { return nil }
                    InteractiveTerminal.completionIndex += 1
                    return strdup(words[InteractiveTerminal.completionIndex - 1])
                }
            }
        }
    }

    nonisolated(unsafe) static var completionIndex = 0
}

/// SIGWINCH as an event on a self-pipe, so a resize redraws the line.
enum ResizeSignal {
    nonisolated(unsafe) private static var fds: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var pending: Int32 = 0

    static var fileDescriptor: Int32 { fds[0] }

    static func install() {
        guard fds[0] < 0, pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        signal(SIGWINCH) { _ in
            ResizeSignal.pending = 1
            var byte: UInt8 = 1
            _ = write(ResizeSignal.fds[1], &byte, 1)
        }
    }

    static func takePending() -> Bool {
        guard pending != 0 else { return false }
        pending = 0
        var buffer = [UInt8](repeating: 0, count: 16)
        while read(fds[0], &buffer, buffer.count) > 0 {}
        return true
    }
}
