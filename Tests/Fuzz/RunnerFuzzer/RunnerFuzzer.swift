// A libFuzzer harness for whole lines through the runner: each input is a
// session's lines, run by a real Runner over real sockets (a socketpair a/b,
// a UDP socket u, a listener srv with a connection c/srv_1), as a script or
// the prompt would run them. What the lexer harness cannot reach is here:
// deep and long arguments reaching every command, received bytes reaching
// the displays and a recording, redirects, the transcript matcher.
//
// Lines that begin with `<<` are not commands: what follows is written by the
// peer, on a's side of the pair, so `recv b` and friends read a hostile peer.
//
// Each input fails (a crash libFuzzer saves) when:
// - any line a value or an error prints holds a control character other than
//   newline and tab (a peer's or the user's bytes reaching the terminal raw);
// - the recording running through the input holds a command that was not
//   one of the input's commands, in order (received bytes read back as a
//   command by --check or --echo);
// - a descriptor stays open after the session is closed;
// - `Transcript.matches` disagrees with a plain reference matcher on the
//   input read as expected and actual lines.
//
// Commands that would leave the sandbox or wait for ever are not run: source,
// record, sleep, history, quit, exit, serve (its threads and processes outlive
// the line), interact (it reads the process's stdin), `!`, and paths other
// than a few system files. Every line is ended by a timer (as Ctrl-C ends it) after 50 ms.
// scripts/fuzz-runner runs it inside a private network namespace that has
// only loopback, and this harness refuses to run anywhere else.

import Glibc
import ShellCore
import SocketCore

/// Output that checks each line as it is printed.
final class CheckedOutput: Output {
    var lines: [String] = []
    func value(_ text: String) { checked(text) }
    func error(_ text: String) { checked(text) }
    func trace(_ text: String) { checked(text) }
    private func checked(_ text: String) {
        for scalar in text.unicodeScalars where isControl(scalar) {
            fatalError("control character U+\(String(scalar.value, radix: 16)) printed: \(String(reflecting: text.prefix(300)))")
        }
        lines.append(text)
    }
}

func isControl(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
}

let excludedCommands: Set<String> = ["source", "record", "sleep", "history", "quit", "exit", "serve", "interact"]
let allowedPaths: Set<String> = ["/dev/null", "/dev/zero", "/etc/hosts", "/etc/services", "/etc/protocols"]

/// Whether a line may run here: no excluded command, no path outside the
/// scratch folder but a few read-only system files.
func mayRun(_ line: Substring) -> Bool {
    if line.contains("!") { return false }
    guard let commands = try? Lexer.parse(line) else { return true }  // a SyntaxError runs nothing
    for command in commands {
        if excludedCommands.contains(command.name) { return false }
        if let redirect = command.redirect, redirect.path.contains("/") { return false }
    }
    var word = ""
    for character in line + " " {
        if character == " " || character == "\t" || character == "'" || character == "\"" || character == "@"
            || character == "(" || character == ")" || character == "[" || character == "]" || character == "," || character == ">" {
            if word.contains("/") && !allowedPaths.contains(word) { return false }
            word = ""
        } else {
            word.append(character)
        }
    }
    return true
}

func openDescriptors() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    return count
}

/// Sizes, in lines and characters, where the reference matcher stays quick.
func referenceMatches(expected: [String], actual: [String]) -> Bool {
    var memo = [Int8](repeating: -1, count: (expected.count + 1) * (actual.count + 1))
    func match(_ e: Int, _ a: Int) -> Bool {
        let key = e * (actual.count + 1) + a
        if memo[key] >= 0 { return memo[key] == 1 }
        let result: Bool
        if e == expected.count {
            result = a == actual.count
        } else if expected[e] == "..." {
            result = match(e + 1, a) || (a < actual.count && match(e, a + 1))
        } else {
            result = a < actual.count && referenceLineMatches(expected[e], actual[a]) && match(e + 1, a + 1)
        }
        memo[key] = result ? 1 : 0
        return result
    }
    return match(0, 0)
}

/// A line pattern whose `...` (read left to right) matches any characters.
func referenceLineMatches(_ pattern: String, _ line: String) -> Bool {
    var tokens: [Character?] = []  // nil is a wildcard
    let characters = Array(pattern)
    var index = 0
    while index < characters.count {
        if index + 2 < characters.count, characters[index] == ".", characters[index + 1] == ".", characters[index + 2] == "." {
            tokens.append(nil)
            index += 3
        } else {
            tokens.append(characters[index])
            index += 1
        }
    }
    let text = Array(line)
    var reachable = [Bool](repeating: false, count: text.count + 1)
    reachable[0] = true
    for token in tokens {
        var next = [Bool](repeating: false, count: text.count + 1)
        if let token {
            for position in 0..<text.count where reachable[position] && text[position] == token { next[position + 1] = true }
        } else {
            var any = false
            for position in 0...text.count {
                any = any || reachable[position]
                next[position] = any
            }
        }
        reachable = next
    }
    return reachable[text.count]
}

/// The matcher over the input read as two blocks of lines, in a small
/// alphabet (dots, two letters, one non-ASCII letter) where `...` is common.
func fuzzMatcher(_ bytes: [UInt8]) {
    let alphabet: [Character] = [".", ".", ".", "a", "b", "é", "\n"]
    let text = String(bytes.prefix(600).map { alphabet[Int($0) % alphabet.count] })
    let parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 2 else { return }
    let half = parts.count / 2
    let expected = Array(parts[..<half]), actual = Array(parts[half...])
    let fast = Transcript.matches(expected: expected, actual: actual)
    let reference = referenceMatches(expected: expected, actual: actual)
    if fast != reference {
        fatalError("Transcript.matches says \(fast), the reference \(reference): expected \(expected), actual \(actual)")
    }
}

let scratch: String = {
    var template = Array("/tmp/sockshell-runner-fuzz.XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    let path = String(cString: made)
    chdir(path)
    return path
}()

let setUp = ["setdefaulttimeout 0.01", "socketpair a b", "socket u udp", "bind u 127.0.0.1 0",
             "create_server srv 127.0.0.1 0", "create_connection c 127.0.0.1 $srv.port", "accept srv"]

func fuzzOne(_ bytes: [UInt8]) {
    fuzzMatcher(bytes)
    let before = openDescriptors()
    let session = Session()
    let output = CheckedOutput()
    let runner = Runner(session: session, output: output)
    // Random lines must never run /bin/sh (`!CMD`).
    runner.allowsShellCommands = false
    for line in setUp { _ = try? runner.run(line: line) }
    let recordingPath = scratch + "/recording.md"
    _ = try? runner.run(line: "record \(recordingPath)")
    var ran: [String] = []
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64) {
        if line.hasPrefix("<<") {
            let data = Array(line.dropFirst(2).utf8) + [0x0A]
            if let peer = try? session.entry(named: "a") {
                _ = data.withUnsafeBytes { send(peer.socket.fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
            continue
        }
        guard mayRun(line) else { continue }
        Interruption.interrupt(after: 0.05)
        let outcome = try? runner.run(line: line)
        _ = Interruption.cancelTimer()
        Interruption.clear()
        if outcome == nil { break }  // quit and the like end the session
        ran.append(String(line))
    }
    _ = try? runner.run(line: "record off")
    session.closeAll()
    // The recording's commands: each one of the input's, in order.
    if let recorded = try? Files.read(recordingPath) {
        let examples = Transcript.examples(in: String(decoding: recorded, as: UTF8.self))
        var next = ran.startIndex
        for example in examples where example.command != "record off" {
            // A recorded command is the line or one of its commands, trimmed.
            guard let found = ran[next...].firstIndex(where: { $0.contains(example.command) }) else {
                fatalError("the recording holds a command that never ran: \(String(reflecting: example.command.prefix(300)))")
            }
            next = found  // a line may hold several commands
        }
    }
    unlink(recordingPath)
    let after = openDescriptors()
    if after > before { fatalError("\(after - before) descriptor(s) left open after the session closed") }
}

/// Refuses to run where a command could reach another machine.
func requireLoopbackOnly() {
    guard let devices = try? Files.read("/proc/net/dev") else { fatalError("cannot read /proc/net/dev") }
    let names = String(decoding: devices, as: UTF8.self).split(separator: "\n").dropFirst(2)
        .compactMap { $0.split(separator: ":").first.map { String($0.filter { $0 != " " }) } }
    guard names == ["lo"] else {
        fatalError("RunnerFuzzer runs only in a network namespace with loopback alone (scripts/fuzz-runner); here: \(names)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func LLVMFuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    requireLoopbackOnly()
    Interruption.install()
    Signals.ignoreBrokenPipe()
    _ = scratch
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("RunnerFuzzer_main")
public func runnerFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, LLVMFuzzerTestOneInput)
}
#else
@main
struct RunnerFuzzerReplay {
    static func main() {
        // Read first: the harness works in its own scratch folder.
        let inputs = CommandLine.arguments.dropFirst().map { path in (path, Result { try Files.read(path) }) }
        _ = LLVMFuzzerInitialize(nil, nil)
        for (path, input) in inputs {
            do {
                fuzzOne(try input.get())
                print("ok \(path)")
            } catch {
                print("cannot read \(path): \(error)")
            }
        }
    }
}
#endif
