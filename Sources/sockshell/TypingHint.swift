import CReadline
import Glibc
import ShellCore

/// The hint as you type (`Hints.hint`), drawn dimmed after the cursor as
/// redis-cli draws it: readline's redisplay draws the line, then this writes
/// the hint after it and moves the cursor back over it. Readline does not
/// know the hint is there, so it is erased (ESC[K from the cursor, which
/// sits where the hint starts) before readline acts on the next key, and
/// never drawn while a line is being accepted, so the scrollback keeps the
/// line as typed.
enum TypingHint {
    /// Whether hints may be drawn at all: only where the prompt has colour
    /// (stdout a terminal, not dumb, no NO_COLOR or --no-color), so a hint
    /// never reaches a pipe or a file.
    nonisolated(unsafe) private static var allowed = false
    /// Readline's own redisplay, which `redisplay` calls.
    nonisolated(unsafe) private static var lineRedisplay: (@convention(c) () -> Void)?
    /// A hint is on the screen after the cursor.
    nonisolated(unsafe) private static var shown = false
    /// The line is being accepted or discarded: no hint until the next prompt.
    nonisolated(unsafe) static var suppressed = false

    private static let dim = "\u{1B}[2m"
    private static let normal = "\u{1B}[0m"

    /// Makes `redisplay` readline's redisplay function. After
    /// `rl_initialize`: readline looks up the terminal's capabilities (clear
    /// to the end of the row, standout for a search's match) only when the
    /// redisplay function is its own.
    static func install(allowed: Bool) {
        self.allowed = allowed
        lineRedisplay = rl_redisplay_function
        rl_redisplay_function = { TypingHint.redisplay() }
    }

    /// `rl_resize_terminal`, with readline's own redisplay in place: with
    /// another, readline redraws the line on a new row instead of where it
    /// was. The hint comes back after.
    static func resizeTerminal() {
        erase()
        let custom = rl_redisplay_function
        rl_redisplay_function = lineRedisplay
        rl_resize_terminal()
        rl_redisplay_function = custom
        redisplay()
    }

    /// Readline's `rl_redisplay_function`.
    static func redisplay() {
        erase()
        rl_redisplay()
        guard let hint = currentHint() else { return }
        write(dim + hint + normal + "\u{1B}[\(hint.utf8.count)D")
        shown = true
    }

    /// Erases the hint; the cursor must be where `redisplay` left it.
    static func erase() {
        guard shown else { return }
        shown = false
        write("\u{1B}[K")
    }

    /// The hint for the line as it stands, if one should show and fits on
    /// the cursor's row (a hint that wrapped would leave readline's idea of
    /// the screen wrong, so none is better than a corrupted line).
    private static func currentHint() -> String? {
        guard allowed, !suppressed, rl_point == rl_end,
              rl_readline_state & UInt(RL_STATE_ISEARCH | RL_STATE_NSEARCH | RL_STATE_DONE) == 0,
              let session = InteractiveTerminal.session, let buffer = rl_line_buffer
        else { return nil }
        let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(rl_end)), as: UTF8.self)
        guard let hint = Hints.hint(forLine: line, session: session),
              let promptWidth = rl_display_prompt.flatMap({ visibleWidth(String(cString: $0)) }),
              let lineWidth = asciiWidth(line)
        else { return nil }
        var rows: Int32 = 0, columns: Int32 = 0
        rl_get_screen_size(&rows, &columns)
        let width = promptWidth + lineWidth
        // With horizontal-scroll-mode readline scrolls a long line instead of
        // wrapping it, and the cursor's column is not this count.
        if width >= columns, rl_variable_value("horizontal-scroll-mode").map({ String(cString: $0) }) == "on" { return nil }
        // Strictly inside the row: a character in the last column leaves the
        // cursor pending a wrap, and moving back from there is off by one.
        guard columns > 0, width % Int(columns) + hint.count < Int(columns) else { return nil }
        return hint
    }

    /// Columns a prompt takes: its text without the parts readline is told
    /// are invisible (between \001 and \002: the colour codes).
    private static func visibleWidth(_ prompt: String) -> Int? {
        var visible = ""
        var hidden = false
        for scalar in prompt.unicodeScalars {
            if scalar == "\u{1}" { hidden = true } else if scalar == "\u{2}" { hidden = false } else if !hidden { visible.unicodeScalars.append(scalar) }
        }
        return asciiWidth(visible)
    }

    /// Columns a line takes when every character is printable ASCII; nil for
    /// anything else (a tab, `^X` for a control, a wide or combining
    /// character), whose width is the terminal's guess, not ours.
    private static func asciiWidth(_ text: String) -> Int? {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } ? text.utf8.count : nil
    }

    private static func write(_ text: String) {
        let stream = rl_outstream ?? stdout
        _ = text.withCString { fputs($0, stream) }
        fflush(stream)
    }
}
