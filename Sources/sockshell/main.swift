import Glibc
import ShellCore
import SocketCore

Signals.ignoreBrokenPipe()
Interruption.install()
// The main thread runs the session; background jobs take the lock only
// while it waits (SocketCore's SessionLock).
SessionLock.acquire()

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
    if options.sandbox {
        // Before any thread starts: unshare(2) of a user namespace needs a
        // process with one thread.
        do {
            try Sandbox.enter()
        } catch let refused as Sandbox.Refused {
            writeToStandardError("sockshell: --sandbox: \(refused.reason)\n")
            exit(2)
        } catch {
            writeToStandardError("sockshell: --sandbox: \(error)\n")
            exit(2)
        }
    }
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
    if options.check { return checkTranscripts(options.transcripts) }

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
        // The script is opened once, before anything runs, as python3 opens
        // it: /dev/stdin, <(...) and FIFOs give their lines only once. An
        // unreadable script is a usage error of sockshell itself (exit 2).
        var scriptFD: Int32 = -1
        defer { if scriptFD >= 0 { Files.close(scriptFD) } }
        if let script = options.script, script != "-" {
            do {
                // Above the numbers sockets get, so they are Python's.
                scriptFD = Files.moveHigh(try Files.openForReading(script))
                _ = try Files.size(of: scriptFD)
            } catch let error as Errno {
                writeToStandardError("sockshell: can't open file \(pythonStringRepr(script)): [Errno \(error.rawValue)] \(error.message)\n")
                return 2
            } catch is Interrupted {
                // Ctrl-C while a FIFO waits for its writer.
                writeToStandardError("KeyboardInterrupt\n")
                return 130
            }
        }
        if let commands = options.commands {
            session.scriptArguments = ["-c"] + options.scriptArguments
            outcome = try runner.run(commandString: commands)
        } else if let script = options.script {
            session.scriptArguments = [script] + options.scriptArguments
            outcome = script == "-" ? try runStandardInput(runner) : try runner.run(fileDescriptor: scriptFD, name: script)
        }
        if outcome == .interrupted || Interruption.isPending { return 130 }
        if outcome == .failed && options.exitOnError { return 1 }

        let hasBatchInput = options.commands != nil || options.script != nil
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
    runner.standardInputIsCommands = true
    var result = Runner.Outcome.succeeded
    var number = 0
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while true {
        (runner.output as? StandardOutput)?.flush()
        // The jobs and servers run while sockshell waits for the next line.
        let length = SessionLock.released { getline(&line, &capacity, stdin) }
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
        // A transcript's relative paths (@files/welcome.txt) are its folder's,
        // wherever --check is run from.
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        // In a sandbox each transcript has a network of its own too, so what
        // one leaves (a port in TIME-WAIT) cannot change the next one's output.
        if Sandbox.isActive {
            do {
                try Sandbox.freshNetwork()
            } catch let refused as Sandbox.Refused {
                writeToStandardError("sockshell: --sandbox: \(refused.reason)\n")
                return 2
            } catch {
                return 2
            }
        }
        let report: Transcript.Report
        do {
            report = try Files.inDirectory(folder.isEmpty ? "/" : folder) { Transcript.check(text: text, name: path) }
        } catch let error as Errno {
            writeToStandardError("sockshell: can't enter the folder of \(pythonStringRepr(path)): [Errno \(error.rawValue)] \(error.message)\n")
            return 2
        } catch {
            return 2
        }
        for mismatch in report.mismatches { print(mismatch + "\n") }
        passed += report.passed
        failed += report.failed
    }
    print("\(passed) passed, \(failed) failed")
    return failed == 0 ? 0 : 1
}
