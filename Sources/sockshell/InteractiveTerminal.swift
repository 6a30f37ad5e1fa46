import CReadline
import Glibc
import ShellCore
import SocketCore

/// The readline prompt (SPEC section 6), driven through readline's callback
/// interface from one poll(2) loop over stdin and the Ctrl-C self-pipe. That
/// loop is the only place the prompt waits.
final class InteractiveTerminal {
    let runner: Runner
    let output: StandardOutput
    let color: Bool

    init(runner: Runner, output: StandardOutput, color: Bool) {
        self.runner = runner
        self.output = output
        self.color = color
    }

    nonisolated(unsafe) static var completedLines: [String?] = []

    /// Runs the prompt until Ctrl-D or `quit`; returns the exit status, or nil
    /// for "as the session went".
    func run(showBanner: Bool) -> Int32? {
        if showBanner {
            output.plain("\(Options.version): sockets as Python's socket module sees them. Type 'help' for commands, Ctrl-D to leave.\n")
        }
        let prompt = color ? "\u{1}\u{1B}[1m\u{2}sock> \u{1}\u{1B}[0m\u{2}" : "sock> "
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        let install = { rl_callback_handler_install(prompt) { line in
            InteractiveTerminal.completedLines.append(line.map { String(cString: $0) })
            free(line)
        } }
        install()
        defer { rl_callback_handler_remove() }
        while true {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: Interruption.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            let count = poll(&fds, nfds_t(fds.count), -1)
            if count < 0 && errno != EINTR { return 1 }
            if Interruption.isPending {
                Interruption.clear()
                // Ctrl-C at the prompt discards the line being typed.
                rl_free_line_state()
                rl_callback_sigcleanup()
                rl_replace_line("", 0)
                output.plain("^C\n")
                rl_on_new_line()
                rl_redisplay()
                continue
            }
            if fds[0].revents != 0 { rl_callback_read_char() }
            while !InteractiveTerminal.completedLines.isEmpty {
                let line = InteractiveTerminal.completedLines.removeFirst()
                guard let line else {
                    output.plain("\n")
                    return nil
                }
                rl_callback_handler_remove()
                if !line.trimmingCharactersInSet.isEmpty { add_history(line) }
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
}

extension String {
    var trimmingCharactersInSet: String {
        String(self.drop { $0 == " " || $0 == "\t" })
    }
}
