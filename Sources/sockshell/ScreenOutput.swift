import Glibc
import ShellCore
import SocketCore

/// How values meet the terminal: laid out for its width, taller ones
/// through a pager at the prompt, and a Ctrl-C's echoed `^C` given a row of
/// its own before what follows it.
enum ScreenOutput {
    static let stdoutIsTerminal = Files.isTerminal(1)
    /// Set by the prompt: the pager to use now, nil when paging is off.
    /// Scripts, `-c` and pipes never page.
    nonisolated(unsafe) static var pager: (() -> String?)?
    /// Set by the prompt, where commands run with the terminal's own echo on.
    nonisolated(unsafe) static var atPrompt = false
    /// Whether the row the terminal echoed `^C` on was ended already.
    nonisolated(unsafe) static var interruptedRowEnded = false

    /// `$PAGER` as git reads it (empty or `cat`: no pager), else `less -FRX`
    /// when less is installed: it quits at once when the text fits (-F),
    /// passes colours (-R) and leaves the text on the screen (-X).
    static let pagerCommand: String? = {
        if let pager = Files.environment("PAGER") {
            let trimmed = pager.trimmingCharacters(in: " \t")
            return trimmed.isEmpty || trimmed == "cat" ? nil : pager
        }
        return ChildProcess.findProgram("less") != nil ? "less -FRX" : nil
    }()

    /// Rows `text` takes on a terminal `columns` wide, counting wrapped lines.
    static func rows(_ text: String, columns: Int) -> Int {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .reduce(0) { $0 + max(1, ($1.count + columns - 1) / columns) }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

extension StandardOutput {
    func display(_ text: String, fitted: ((Int) -> String)?) {
        guard ScreenOutput.stdoutIsTerminal, let size = TerminalDevice.windowSize(1) else {
            value(text)
            return
        }
        let shown = fitted?(size.columns) ?? text
        if let pager = ScreenOutput.pager?(), size.rows > 1,
           ScreenOutput.rows(shown, columns: size.columns) >= size.rows, page(shown, through: pager) {
            return
        }
        value(shown)
    }

    /// The terminal echoed `^C` where the cursor was (ECHOCTL), at the end of
    /// the command's row or of its last output: what follows starts below.
    /// A Ctrl-C typed right behind Enter can come while readline still holds
    /// the terminal with echo off; its `^C` is then written here, so the row
    /// shows the same whenever the key came.
    func interrupted() {
        guard ScreenOutput.atPrompt, !ScreenOutput.interruptedRowEnded else { return }
        ScreenOutput.interruptedRowEnded = true
        guard TerminalDevice.echoesControlCharacters(0) else { return }
        let row = Interruption.cameUnechoed ? "^C\n" : "\n"
        if ScreenOutput.stdoutIsTerminal { plain(row) } else { writeToStandardError(row) }
    }

    /// Writes `text` into the pager's standard input and waits for the pager
    /// to end; false when it could not start (the text is then printed).
    private func page(_ text: String, through command: String) -> Bool {
        flush()
        guard let pager = try? ChildProcess.shell(command) else { return false }
        let bytes = Array((text + "\n").utf8)
        // A pager that quits before the end closes the pipe: EPIPE ends the write.
        _ = try? bytes.withUnsafeBytes { try Files.writeAll(pager.input, $0) }
        pager.finish()
        // Ctrl-C in the pager is the pager's (less stops or quits on it), not
        // an interruption of the next command.
        Interruption.clear()
        return true
    }
}
