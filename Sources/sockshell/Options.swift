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

    static let version = "sockshell 0.1.0"

    static let help = """
    usage: sockshell [OPTIONS] [SCRIPT [ARG...]]
           sockshell [OPTIONS] -c 'COMMAND; COMMAND' [ARG...]
           sockshell --check TRANSCRIPT...

    An interactive shell for sockets and the name resolver: each command is one
    socket or resolver call, and prints what Python's socket module prints.

      SCRIPT [ARG...]       run the script, then exit; its commands read $0 (its path),
                            $1, $2, ... as Python's sys.argv ('-' reads stdin)
      -c COMMANDS [ARG...]  run the commands (separated by ';'), then exit; $0 is '-c'
      -i                    enter the interactive prompt after SCRIPT or -c
      -e, --exit-on-error   stop at the first failing command
          --echo            print 'sock> COMMAND' before each command's output
          --check FILE...   verify transcripts; exit 0 only if every example matches
          --no-color        no colour (also when NO_COLOR is set or output is not a terminal)
      -h, --help            show this help
      -V, --version         show the version

    With no SCRIPT and no -c: the prompt when stdin is a terminal, else the
    commands on stdin. Several scripts in one session: -c 'source a; source b'.
    Options end at SCRIPT or -c's COMMANDS, as with python3: what follows is
    the script's. Type 'help' at the prompt for the commands.
    Exit status: 0 all commands succeeded, 1 a command failed, 2 usage error,
    130 interrupted.
    """

    /// Why the flags could not be read, as one line for stderr.
    struct UsageError: Error {
        let message: String
    }

    enum Parsed {
        case run(Options)
        case help
        case version
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
            case "-h", "--help": return .help
            case "-V", "--version": return .version
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
