import ShellCore

/// sockshell's own flags (SPEC section 1).
struct Options {
    /// `SCRIPT [ARG...]`: the script (`-` for stdin), then its arguments.
    var script: String?
    var scriptArguments: [String] = []
    /// `--check FILE...`: the transcripts.
    var transcripts: [String] = []
    var commands: String?
    var interactiveAfter = false
    var exitOnError = false
    var echo = false
    var check = false
    var noColor = false
    var sandbox = false

    static let version = "sockshell 0.1.0"

    /// The flags as `--help` and the manual page list them; one declaration,
    /// so the two cannot disagree. (`SCRIPT [ARG...]` is not a flag, but
    /// `--help` lists it among them.)
    static let flags: [ManualPage.Option] = [
        ManualPage.Option(names: ["-c"], argument: "COMMANDS [ARG...]",
                          description: "run the commands (separated by ';'), then exit; $0 is '-c', $1... the ARGs"),
        ManualPage.Option(names: ["-i"], description: "enter the interactive prompt after SCRIPT or -c"),
        ManualPage.Option(names: ["-e", "--exit-on-error"], description: "stop at the first failing command"),
        ManualPage.Option(names: ["--echo"], description: "print 'sock> COMMAND' before each command's output"),
        ManualPage.Option(names: ["--check"], argument: "FILE...",
                          description: "verify transcripts, each in its own folder; exit 0 only if every example matches"),
        ManualPage.Option(names: ["--sandbox"],
                          description: "run in a private user and network namespace (no root needed): its own loopback, its own ports"),
        ManualPage.Option(names: ["--no-color"],
                          description: "no colour (also when NO_COLOR is set or output is not a terminal)"),
        ManualPage.Option(names: ["-h", "--help"], description: "show the usage and the options, then exit"),
        ManualPage.Option(names: ["-V", "--version"], description: "show the version, then exit"),
        ManualPage.Option(names: ["--man"], description: "print the manual page sockshell(1) as roff"),
    ]

    static let synopsis = ["sockshell [OPTIONS] [SCRIPT [ARG...]]", "sockshell [OPTIONS] -c 'COMMAND; COMMAND' [ARG...]",
                           "sockshell --check TRANSCRIPT..."]

    static let help: String = {
        let usage = "usage: " + synopsis.joined(separator: "\n       ")
        let rows = [("SCRIPT [ARG...]", "run the script, then exit; $0 is its path, $1... the ARGs ('-' is stdin)")] + flags.map { flag in
            // Long-only flags line up under the long names of the short ones.
            let names = (flag.names[0].hasPrefix("--") ? "    " : "") + flag.names.joined(separator: ", ")
            return (names + (flag.argument.map { " " + $0 } ?? ""), flag.description)
        }
        let table = rows.map { "  " + $0.0.padding(to: 22) + $0.1 }.joined(separator: "\n")
        return """
        \(usage)

        An interactive shell for sockets and the name resolver: each command is one
        socket or resolver call, and prints what Python's socket module prints.

        \(table)

        With no SCRIPT and no -c: the prompt when stdin is a terminal, else the
        commands on stdin. Several scripts in one session: -c 'source a; source b'.
        Options end at SCRIPT or at -c's COMMANDS, as with python3: every word
        after them is the script's. Type 'help' at the prompt for the commands.
        Exit status: 0 all commands succeeded, 1 a command failed, 2 usage error,
        130 interrupted.
        """
    }()

    /// Why the flags could not be read, as one line for stderr.
    struct UsageError: Error {
        let message: String
    }

    enum Parsed {
        case run(Options)
        case help
        case version
        case manual
    }

    static func parse(_ arguments: [String]) throws -> Parsed {
        var options = Options()
        var index = 0
        var onlyFiles = false
        // As python3: the script (or -c's commands) ends the options, and
        // every word after it is an argument of the script.
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if options.commands != nil || options.script != nil {
                if options.check { options.transcripts.append(argument) } else { options.scriptArguments.append(argument) }
                continue
            }
            if onlyFiles || !argument.hasPrefix("-") || argument == "-" {
                if options.check { options.transcripts.append(argument) } else { options.script = argument }
                continue
            }
            switch argument {
            case "--": onlyFiles = true
            case "-c":
                guard index < arguments.count else { throw UsageError(message: "option -c needs an argument") }
                options.commands = arguments[index]
                index += 1
            case "-i": options.interactiveAfter = true
            case "-e", "--exit-on-error": options.exitOnError = true
            case "--echo": options.echo = true
            case "--check": options.check = true
            case "--no-color", "--no-colour": options.noColor = true
            case "--sandbox": options.sandbox = true
            case "-h", "--help": return .help
            case "-V", "--version": return .version
            case "--man": return .manual
            default:
                if argument.hasPrefix("-c") && argument.count > 2 {
                    options.commands = String(argument.dropFirst(2))
                } else {
                    throw UsageError(message: "unknown option '\(argument)' (sockshell --help lists the options)")
                }
            }
        }
        if options.check && options.commands != nil {
            throw UsageError(message: "--check and -c do not go together")
        }
        if options.check && options.transcripts.isEmpty {
            throw UsageError(message: "--check needs at least one transcript file")
        }
        return .run(options)
    }
}

extension String {
    /// The string with spaces after it up to `width` characters, and one
    /// space at least.
    fileprivate func padding(to width: Int) -> String {
        self + String(repeating: " ", count: max(1, width - count))
    }
}
