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
    nonisolated(unsafe) static var completionIndex = 0
    /// A paste's lines after the first, to run in order as if typed.
    nonisolated(unsafe) static var pastedLines: [String] = []
    /// What a paste left after its last newline, with the cursor's byte
    /// offset in it: it goes back on the prompt for editing.
    nonisolated(unsafe) static var pasteRemainder: (text: String, point: Int32)?
    /// Ctrl-C arrived as a key: the terminal does not turn it into SIGINT
    /// (`stty -isig`), or the key reader stood in for the signal.
    nonisolated(unsafe) static var discardRequested = false
    /// `interact NAME` has the prompt: typed lines go to the socket.
    nonisolated(unsafe) static var interacting = false
    /// Ctrl-] was typed during `interact`.
    nonisolated(unsafe) static var leaveRequested = false
    /// What Ctrl-] did in each keymap before `interact` needed it (emacs:
    /// character-search), for when no interaction runs.
    nonisolated(unsafe) static var controlBracketDefaults: [Int: rl_command_func_t] = [:]

    /// The socket `interact` gave the prompt to, while it has it.
    private var interaction: Interaction?

    init(runner: Runner, output: StandardOutput, color: Bool) {
        self.runner = runner
        self.output = output
        self.color = color
        self.history = HistoryFile.standard()
    }

    /// The prompt as the screen shows it, for the lines of a paste after the first.
    private var shownPrompt: String { color ? "\u{1B}[1msock> \u{1B}[0m" : "sock> " }

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
        ScreenOutput.atPrompt = true
        ScreenOutput.pager = { [session = runner.session] in session.pager ? ScreenOutput.pagerCommand : nil }

        let sockPrompt = color ? "\u{1}\u{1B}[1m\u{2}sock> \u{1}\u{1B}[0m\u{2}" : "sock> "
        runner.interactHandler = { [unowned self] interaction in
            self.interaction = interaction
            InteractiveTerminal.interacting = true
        }
        let install = { [unowned self] in
            // In `interact` the prompt is the socket's, with no usage hints.
            TypingHint.suppressed = interaction != nil
            let prompt = interaction.map { color ? "\u{1}\u{1B}[1m\u{2}\($0.prompt)\u{1}\u{1B}[0m\u{2}" : $0.prompt } ?? sockPrompt
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
        // Readable once a background job has ended.
        let jobsEnded = (try? runner.session.jobs.wakeupDescriptor()) ?? -1
        // The prompt's pause between commands for the jobs is short.
        runner.jobSettleLimit = 0.1
        runner.settlesServers = false
        while true {
            if Interruption.isPending || InteractiveTerminal.discardRequested {
                Interruption.clear()
                InteractiveTerminal.discardRequested = false
                discardLine()
            }
            // The jobs run while the prompt waits: the session's lock is theirs then.
            let ready = SessionLock.released {
                TerminalDevice.waitUntilReadable([0, Interruption.fileDescriptor, ResizeSignal.fileDescriptor, jobsEnded,
                                                  runner.session.watches.descriptor, runner.session.servers.descriptor,
                                                  interaction?.fileDescriptor ?? -1, runner.session.packets.descriptor])
            }
            // Segments that come late (a delayed ACK, a peer's FIN) print above the prompt.
            if ready[7] != 0 { printAbovePrompt { runner.reportPackets() } }
            if ready[6] != 0, let interaction {
                switch interaction.receive(eager: true) {
                case .data(let lines):
                    if !lines.isEmpty { printAbovePrompt { for line in lines { output.plain(line + "\n") } } }
                case .closed(let lines):
                    endInteraction(install, lines: lines + [interaction.closedNotice])
                case .failed(let lines, let error):
                    endInteraction(install, lines: lines + [ShellError(error).line])
                }
            }
            if ResizeSignal.takePending() { TypingHint.resizeTerminal() }
            if ready[4] != 0 {
                let events = runner.takeWatchEvents()
                if !events.isEmpty { printAbovePrompt { runner.show(events) } }
            }
            if ready[5] != 0 {
                runner.session.servers.drainWakeup()
                if runner.session.servers.hasLogs { printAbovePrompt { runner.reportServerLogs() } }
            }
            if ready[3] != 0 {
                runner.session.jobs.drainWakeup()
                if runner.session.jobs.hasReports { printAbovePrompt { runner.reportFinishedJobs() } }
            }
            if Interruption.isPending { continue }
            if ready.first.map({ $0 & Int16(POLLIN | POLLHUP | POLLERR) != 0 }) == true { rl_callback_read_char() }
            if InteractiveTerminal.leaveRequested {
                InteractiveTerminal.leaveRequested = false
                if interaction != nil {
                    // The line as typed stays on the screen, `^]` after it.
                    rl_point = rl_end
                    rl_redisplay()
                    output.plain("^]\n")
                    endInteraction(install, lines: [], cleared: false)
                }
            }
            while !InteractiveTerminal.completedLines.isEmpty {
                guard let line = InteractiveTerminal.completedLines.removeFirst() else {
                    output.plain("\n")
                    // Ctrl-D on an empty line ends `interact`, not the session.
                    if interaction != nil {
                        endInteraction(install, lines: [], cleared: false)
                        continue
                    }
                    return nil
                }
                if let interaction {
                    do {
                        history?.add(line)
                        try interaction.send(line: line)
                        // A paste's other lines are sent too, each shown after the prompt.
                        while !InteractiveTerminal.pastedLines.isEmpty {
                            let next = InteractiveTerminal.pastedLines.removeFirst()
                            output.plain(interaction.prompt + shownAsTyped(next, column: interaction.prompt.count) + "\n")
                            history?.add(next)
                            try interaction.send(line: next)
                        }
                        install()
                        restorePasteRemainder()
                    } catch {
                        InteractiveTerminal.pastedLines.removeAll()
                        InteractiveTerminal.pasteRemainder = nil
                        output.flush()
                        endInteraction(install, lines: [ShellError(error).line], cleared: false)
                    }
                    continue
                }
                do {
                    var outcome = try runTyped(line)
                    // The rest of a paste, line by line, each shown after its
                    // prompt as if typed; a Ctrl-C drops what is left of it.
                    while outcome != .interrupted, !InteractiveTerminal.pastedLines.isEmpty {
                        let next = InteractiveTerminal.pastedLines.removeFirst()
                        output.plain(shownPrompt + shownAsTyped(next, column: 6) + "\n")
                        outcome = try runTyped(next)
                    }
                    if outcome == .interrupted {
                        InteractiveTerminal.pastedLines.removeAll()
                        InteractiveTerminal.pasteRemainder = nil
                    }
                } catch let exit as ExitRequest {
                    return exit.code
                } catch {}
                // What the socket held before `interact` took it over.
                if let interaction {
                    for line in interaction.start(eager: true) { output.plain(line + "\n") }
                    output.flush()
                }
                install()
                restorePasteRemainder()
            }
        }
    }

    /// What a paste left after its last newline goes back on the prompt.
    private func restorePasteRemainder() {
        guard let remainder = InteractiveTerminal.pasteRemainder else { return }
        InteractiveTerminal.pasteRemainder = nil
        rl_insert_text(remainder.text)
        rl_point = min(remainder.point, rl_end)
        TypingHint.redisplay()
    }

    /// Gives the prompt back after `interact`: lines to show first (the
    /// peer's last bytes, its close), the socket's line cleared unless the
    /// key that ended it left it on the screen.
    private func endInteraction(_ install: () -> Void, lines: [String], cleared: Bool = true) {
        interaction = nil
        InteractiveTerminal.interacting = false
        if cleared {
            TypingHint.erase()
            rl_clear_visible_line()
            fflush(rl_outstream ?? stdout)
        }
        for line in lines { output.plain(line + "\n") }
        output.flush()
        rl_replace_line("", 1)
        rl_callback_handler_remove()
        install()
    }

    /// Prints lines above the prompt as readline would have them printed
    /// while a line is being edited: the prompt's rows are cleared, the
    /// lines written, and the prompt drawn again below them with what was
    /// typed, the cursor where it was, a Ctrl-R search as it was.
    private func printAbovePrompt(_ body: () -> Void) {
        TypingHint.erase()
        rl_clear_visible_line()
        // Readline writes through stdio; the lines below do not.
        fflush(rl_outstream ?? stdout)
        body()
        output.flush()
        rl_on_new_line()
        TypingHint.redisplay()
    }

    /// Runs one line typed (or pasted) at the prompt, after putting it in the history.
    private func runTyped(_ line: String) throws -> Runner.Outcome {
        history?.add(line)
        ScreenOutput.interruptedRowEnded = false
        var outcome = try runner.run(line: line)
        output.flush()
        // Ctrl-C while a command ran that never waited: nothing was cut short,
        // but the terminal echoed `^C`, and the prompt goes below it.
        if Interruption.isPending {
            Interruption.clear()
            output.interrupted()
            outcome = .interrupted
        }
        return outcome
    }

    /// Ctrl-C at the prompt: the line stays on the screen as typed, `^C`
    /// after it, and a fresh prompt is drawn on the row below.
    private func discardLine() {
        TypingHint.suppressed = true
        TypingHint.erase()
        // Leaves a reverse search (putting back the normal prompt and the
        // line found) or a half-typed key sequence.
        rl_callback_sigcleanup()
        // The cursor to the end of the line, so no typed text is left to the
        // right of `^C` to look as if it were still part of the line.
        rl_point = rl_end
        rl_redisplay()
        output.plain("^C\n")
        rl_free_line_state()
        rl_replace_line("", 1)
        rl_on_new_line()
        TypingHint.suppressed = false
        rl_redisplay()
    }

    /// A pasted line as readline would show it: control characters as `^X`,
    /// tabs as spaces to the next stop, never raw.
    private func shownAsTyped(_ line: String, column: Int) -> String {
        var shown = ""
        var column = column
        for scalar in line.unicodeScalars {
            switch scalar.value {
            case 0x09:
                let spaces = 8 - column % 8
                shown += String(repeating: " ", count: spaces)
                column += spaces
            case 0x00..<0x20, 0x7F:
                shown += "^" + String(UnicodeScalar(UInt8(scalar.value ^ 0x40)))
                column += 2
            case 0x80..<0xA0:
                shown += "\\x" + String(scalar.value, radix: 16)
                column += 4
            default:
                shown.unicodeScalars.append(scalar)
                column += 1
            }
        }
        return shown
    }

    private func configureReadline() {
        InteractiveTerminal.session = runner.session
        rl_readline_name = UnsafePointer(strdup("sockshell"))
        // sockshell handles SIGINT and SIGWINCH itself, through its self-pipes.
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        rl_getc_function = { _ in
            let key = InteractiveTerminal.readKey()
            // Before readline acts on the key, which may move the cursor
            // off the end of the line or list completions below it.
            TypingHint.erase()
            return key
        }
        // Reads the init file and binds readline's defaults, so the bindings
        // below are not overwritten by them.
        rl_initialize()
        TypingHint.install(allowed: color)
        for name in ["emacs", "vi-insert", "vi-command"] {
            guard let keymap = rl_get_keymap_by_name(name) else { continue }
            rl_bind_key_in_map(3, { _, _ in InteractiveTerminal.discardRequested = true; return 0 }, keymap)
            // Ctrl-] leaves `interact`, as telnet's escape; elsewhere it does what it did.
            if let previous = rl_function_of_keyseq("\u{1D}", keymap, nil) {
                InteractiveTerminal.controlBracketDefaults[Int(bitPattern: keymap)] = previous
            }
            rl_bind_key_in_map(0x1D, { count, key in
                if InteractiveTerminal.interacting {
                    InteractiveTerminal.leaveRequested = true
                    return 0
                }
                let keymap = rl_get_keymap().map { Int(bitPattern: $0) } ?? 0
                return InteractiveTerminal.controlBracketDefaults[keymap]?(count, key) ?? 0
            }, keymap)
            for key in [10, 13] as [Int32] { rl_bind_key_in_map(key, { count, key in InteractiveTerminal.acceptLine(count, key) }, keymap) }
            if name == "vi-command" { continue }
            rl_bind_keyseq_in_map("\u{1B}[200~", { count, key in
                let result = rl_bracketed_paste_begin(count, key)
                InteractiveTerminal.splitPaste()
                return result
            }, keymap)
        }
        // `.` stays inside words (socket.AF_INET, s.connect); `@`, `(`, `,` and `[` end them.
        rl_completer_word_break_characters = UnsafePointer(strdup(Completion.wordBreakCharacters))
        rl_attempted_completion_function = { text, start, end in
            rl_attempted_completion_over = 1
            // What `interact` sends is the peer's language: nothing to complete.
            if InteractiveTerminal.interacting { return nil }
            guard let session = InteractiveTerminal.session, let buffer = rl_line_buffer else { return nil }
            let prefix = String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(rl_point)), as: UTF8.self)
            switch Completion.candidates(linePrefix: prefix, session: session) {
            case .paths:
                return rl_completion_matches(text, rl_filename_completion_function)
            case .words(let words):
                InteractiveTerminal.completionWords = words
            case .pythonNames(let names):
                // As at Python's prompt: `s.connect(` and `socket.AF_INET` get no space after them.
                rl_completion_suppress_append = 1
                InteractiveTerminal.completionWords = names
            }
            return rl_completion_matches(text) { _, state in
                if state == 0 { InteractiveTerminal.completionIndex = 0 }
                let words = InteractiveTerminal.completionWords
                guard InteractiveTerminal.completionIndex < words.count else { return nil }
                InteractiveTerminal.completionIndex += 1
                return strdup(words[InteractiveTerminal.completionIndex - 1])
            }
        }
    }

    /// Where readKey reads: stdin's terminal opened anew without blocking
    /// (stdin itself when that fails).
    private static let keyReader = TerminalDevice.openNonBlockingReader(0) ?? 0

    /// Readline's key reader. It waits on the Ctrl-C pipe beside stdin: a
    /// Ctrl-C makes the terminal throw away what was typed and not yet read,
    /// so a read that stdin's readiness promised could block until the next
    /// key, and the new prompt would not be drawn until then. Hence the
    /// check of the bytes waiting, and a read that does not block (the Ctrl-C
    /// can come between the check and the read).
    static func readKey() -> Int32 {
        var emptyWakeups = 0
        while true {
            if Interruption.isPending {
                // Inside a paste readline reads until it gets the paste's end
                // or EOF; a key would only be pasted. Elsewhere, the Ctrl-C
                // key (bound to a discard) ends what readline is doing.
                return rl_readline_state & UInt(RL_STATE_MOREINPUT) != 0 ? EOF : 3
            }
            let ready = SessionLock.released { TerminalDevice.waitUntilReadable([0, Interruption.fileDescriptor]) }
            guard let stdin = ready.first, stdin != 0 else { continue }
            if stdin & Int16(POLLHUP | POLLERR) == 0, TerminalDevice.bytesWaiting(0) == 0, emptyWakeups < 2 {
                emptyWakeups += 1
                continue
            }
            switch TerminalDevice.readByte(keyReader) {
            case .byte(let byte): return Int32(byte)
            case .end: return EOF
            case .nothing: continue
            }
        }
    }

    /// Enter: readline's accept-line with no hint drawn, even by the redisplay
    /// accept-line makes first when a region is active (after a paste), so
    /// the scrollback keeps the line as typed.
    static func acceptLine(_ count: Int32, _ key: Int32) -> Int32 {
        TypingHint.suppressed = true
        TypingHint.erase()
        return rl_newline(count, key)
    }

    /// After readline inserted a paste: a paste with newlines in it is lines
    /// to run one by one, as a terminal without bracketed paste would type
    /// them (and as python3 and sqlite3 run them). The first is accepted now,
    /// the others wait in `pastedLines`, and what follows the last newline
    /// stays on the prompt to be edited.
    static func splitPaste() {
        // A paste cut short by Ctrl-C is discarded whole, not run in part.
        guard !Interruption.isPending, let buffer = rl_line_buffer else { return }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(rl_end))
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else { return }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let remainder = lines.removeLast()
        pasteRemainder = (remainder, max(0, rl_point - Int32(lastNewline + 1)))
        pastedLines = Array(lines.dropFirst())
        rl_replace_line(lines[0], 1)
        rl_point = rl_end
        rl_redisplay()
        _ = acceptLine(1, 0x0A)
    }
}

/// SIGWINCH as an event on a self-pipe, so a resize redraws the line.
enum ResizeSignal {
    nonisolated(unsafe) private static var fds: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var pending: Int32 = 0

    static var fileDescriptor: Int32 { fds[0] }

    static func install() {
        guard fds[0] < 0, pipe(&fds) == 0 else { return }
        // Above the numbers sockets get, so the first socket at the prompt is
        // fd 3, as in Python and in the lessons.
        fds = fds.map(Files.moveHigh)
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
