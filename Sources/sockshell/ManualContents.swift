import ShellCore

/// What sockshell(1) says beyond the command table, which ShellCore's
/// `ManualPage` lists itself: the flags (`Options.flags`, shared with
/// `--help`), the files and variables this executable reads, and its exit
/// statuses. Each entry names the code it describes, so a change there
/// shows where the page must follow.
enum ManualContents {
    static let page = ManualPage(
        version: Options.version,
        synopsis: Options.synopsis,
        description: [
            "An interactive shell for exploring sockets and the name resolver on Linux. Each command is one socket "
                + "or resolver call on a session of named sockets, and every value and error prints exactly as "
                + "Python's interactive shell prints it for the same call.",
            "With no SCRIPT and no -c, sockshell gives the prompt when stdin is a terminal (GNU readline: line "
                + "editing, history, tab completion that knows the session's sockets and, on a Python line, "
                + "their methods and an imported module's names after a dot), else it runs the commands "
                + "on stdin, without a prompt. 'sockshell SCRIPT ARG...' runs SCRIPT ('-' is stdin) as "
                + "'python3 script.py ARG...' runs a script: the options end at SCRIPT (or at -c's commands), "
                + "and in its commands $0 is its path and $1, $2, ... its arguments, each one argument, a number "
                + "when it reads as one; '#!/usr/bin/env sockshell' scripts run directly. Several scripts in one "
                + "session: -c 'source a.sock; source b.sock'. In scripts each "
                + "error line starts with its place: FILE:LINE:, <stdin>:LINE:, or <command>:N: for the Nth "
                + "command of -c.",
            "One command per line; ';' separates several on a line, '#' starts a comment outside quotes. "
                + "Arguments are bare words, Python string and bytes literals, numbers, None, True, False, "
                + "tuples such as (HOST, PORT), @PATH for the bytes of a file, and $NAME.port, $NAME.host, "
                + "$NAME.fd for the fields of a named socket's local address. 'CMD > FILE' writes the value to "
                + "FILE, '>> FILE' appends. A line that begins with '!' runs the rest through /bin/sh "
                + "(never under --check).",
        ],
        options: Options.flags,
        files: [
            // HistoryFile.standard()
            ManualPage.Entry("$XDG_STATE_HOME/sockshell/history",
                             "The prompt's history: the last \(HistoryFile.limit) lines typed, shared by sessions "
                                 + "running at once (each line is appended as it is typed, under a lock). Directory "
                                 + "mode 0700, file mode 0600."),
            ManualPage.Entry("~/.local/state/sockshell/history",
                             "The history file when XDG_STATE_HOME is unset or not an absolute path."),
        ],
        environment: [
            // colorAllowed(on:options:) in main.swift
            ManualPage.Entry("NO_COLOR", "When set (to anything), no colour and no hints as you type, as --no-color."),
            ManualPage.Entry("TERM", "When dumb, no colour and no hints as you type. GNU readline reads it too."),
            // ScreenOutput.pagerCommand
            ManualPage.Entry("PAGER",
                             "At the prompt, output taller than the terminal goes through it, as git does: empty "
                                 + "or cat for none; unset, less -FRX when less is installed. 'set pager off' "
                                 + "turns paging off."),
            // ChildProcess.findProgram
            ManualPage.Entry("PATH", "Where the pager is looked for."),
            // HistoryFile.standard()
            ManualPage.Entry("XDG_STATE_HOME", "The directory of the history file, when an absolute path."),
            ManualPage.Entry("HOME", "The history file is under it when XDG_STATE_HOME is not used."),
            ManualPage.Entry("INPUTRC", "GNU readline's key bindings (read by readline itself, see readline(3))."),
            // TLSKeyLog.useEnvironment
            ManualPage.Entry("SSLKEYLOGFILE",
                             "A file to append the TLS key log to (NSS format, as browsers and Python's "
                                 + "create_default_context write it), for Wireshark to decrypt a capture; "
                                 + "'set keylog FILE|off' chooses instead."),
            // TLSStream.configure: SSL_CTX_set_default_verify_paths
            ManualPage.Entry("SSL_CERT_FILE, SSL_CERT_DIR",
                             "The trust store tls uses without cafile=, as OpenSSL reads them (else /etc/ssl/certs)."),
        ],
        exitStatus: [
            // main.swift and StandardOutput.exitStatus
            ManualPage.Entry("0", "Every command succeeded; with --check, every example matched."),
            ManualPage.Entry("1", "A command failed (in script, -c and stdin modes), or an example did not match. "
                                  + "Output that cannot be written (sockshell script | head -1) stops the run as "
                                  + "python3 stops, with BrokenPipeError and 1."),
            ManualPage.Entry("2", "A usage error of sockshell itself: an unknown flag, an unreadable script."),
            ManualPage.Entry("120", "Only the last write of output, at exit, failed (as python3)."),
            ManualPage.Entry("130", "Interrupted by Ctrl-C outside the prompt (at the prompt, Ctrl-C drops the "
                                    + "line or ends the wait, and Ctrl-D leaves)."),
            ManualPage.Entry("N", "The status 'quit N' asks for."),
            ManualPage.Entry("128+N", "Any other signal N ends sockshell as it ends python3: by its default "
                                      + "action, so a shell reports 128 plus the signal's number."),
        ]
    )
}
