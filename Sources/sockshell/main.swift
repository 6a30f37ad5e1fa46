import Glibc
import ShellCore
import SocketCore

Signals.ignoreBrokenPipe()
Interruption.install()

let parsed: Options.Parsed
do {
    parsed = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch let error as Options.UsageError {
    writeToStandardError("sockshell: \(error.message)\n")
    exit(2)
}

switch parsed {
case .help:
    print(Options.help)
    exit(0)
case .version:
    print(Options.version)
    exit(0)
case .manual:
    print(ManualContents.page.roff(), terminator: "")
    exit(0)
case .run(let options):
    exit(StandardOutput.exitStatus(run(options)))
}

func writeToStandardError(_ text: String) {
    _ = text.withCString { fputs($0, stderr) }
}

/// Whether colour may be used on `fd` (SPEC section 1).
func colorAllowed(on fd: Int32, options: Options) -> Bool {
    !options.noColor && Files.environment("NO_COLOR") == nil && Files.isTerminal(fd)
        && Files.environment("TERM") != "dumb"
}

/// Runs sockshell as the options say and returns its exit status.
func run(_ options: Options) -> Int32 {
    if options.check { return checkTranscripts(options.scripts) }

    let output = StandardOutput(colorErrors: colorAllowed(on: 2, options: options))
    let session = Session()
    let runner = Runner(session: session, output: output)
    WaitHooks.beforeBlocking = { try output.flushBeforeWaiting() }
    runner.echo = options.echo
    runner.stopOnError = options.exitOnError
    defer {
        session.closeAll()
        output.flush()
    }

    do {
        var outcome = Runner.Outcome.succeeded
        for script in options.scripts where script != "-" {
            // An unreadable script is a usage error of sockshell itself (exit 2).
            do {
                _ = try Files.read(script)
            } catch let error as Errno {
                writeToStandardError("sockshell: can't open file \(pythonStringRepr(script)): [Errno \(error.rawValue)] \(error.message)\n")
                return 2
            }
        }
        if let commands = options.commands {
            outcome = try runner.run(commandString: commands)
        }
        for script in options.scripts where outcome != .interrupted && !(outcome == .failed && options.exitOnError) {
            let result = script == "-"
                ? try runStandardInput(runner)
                : try runner.run(file: script)
            if result != .succeeded { outcome = result }
        }
        if outcome == .interrupted || Interruption.isPending { return 130 }
        if outcome == .failed && options.exitOnError { return 1 }

        let hasBatchInput = options.commands != nil || !options.scripts.isEmpty
        if !hasBatchInput || options.interactiveAfter {
            if Files.isTerminal(0) {
                let terminal = InteractiveTerminal(runner: runner, output: output,
                                                   color: colorAllowed(on: 1, options: options))
                return terminal.run(showBanner: !hasBatchInput) ?? (runner.anyFailed && hasBatchInput ? 1 : 0)
            }
            if !hasBatchInput {
                let result = try runStandardInput(runner)
                if result == .interrupted { return 130 }
            }
        }
        return runner.anyFailed ? 1 : 0
    } catch let exit as ExitRequest {
        return exit.code
    } catch {
        writeToStandardError("sockshell: \(ShellError(error).line)\n")
        return 1
    }
}

/// Reads commands from stdin line by line as they arrive, like `python3 < file`.
func runStandardInput(_ runner: Runner) throws -> Runner.Outcome {
    var result = Runner.Outcome.succeeded
    var number = 0
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while true {
        (runner.output as? StandardOutput)?.flush()
        let length = getline(&line, &capacity, stdin)
        if length < 0 {
            if Interruption.isPending {
                writeToStandardError("KeyboardInterrupt\n")
                return .interrupted
            }
            break
        }
        number += 1
        // By its length, not up to a NUL: a NUL byte is part of the line.
        var text = String(decoding: UnsafeRawBufferPointer(start: line, count: length), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        let outcome = try runner.run(line: text, location: Location(file: "<stdin>", line: number))
        if outcome == .interrupted || Interruption.isPending { return .interrupted }
        if outcome == .failed {
            result = .failed
            if runner.stopOnError { return .failed }
        }
    }
    return result
}

/// `--check`: every transcript in its own session; mismatches, then the tally.
func checkTranscripts(_ paths: [String]) -> Int32 {
    var passed = 0
    var failed = 0
    for path in paths {
        let text: String
        do {
            text = String(decoding: try Files.read(path), as: UTF8.self)
        } catch let error as Errno {
            writeToStandardError("sockshell: can't open file \(pythonStringRepr(path)): [Errno \(error.rawValue)] \(error.message)\n")
            return 2
        } catch {
            return 2
        }
        let report = Transcript.check(text: text, name: path)
        for mismatch in report.mismatches { print(mismatch + "\n") }
        passed += report.passed
        failed += report.failed
    }
    print("\(passed) passed, \(failed) failed")
    return failed == 0 ? 0 : 1
}
