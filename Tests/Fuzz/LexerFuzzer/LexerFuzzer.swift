// A libFuzzer harness for what sockshell does with bytes it did not choose:
// the lexer (every typed or scripted line) and the three displays of received
// bytes (repr, text, hex). Pure functions only: no socket, file or resolver
// call, so libFuzzer can run it millions of times in one process.
//
// Built as a fuzzer (see Tests/Fuzz/README.md):
//   swift build -c debug --product LexerFuzzer --scratch-path .build-libfuzzer \
//     -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   .build-libfuzzer/debug/LexerFuzzer -max_len=512 -timeout=5 -rss_limit_mb=2048 Tests/Fuzz/corpus
// Built normally (swift build), the same target is a replayer: it runs each
// file named on its command line through the harness once.

import ShellCore
import SocketCore

/// One input: every line through the lexer; all the bytes through each display.
func fuzzOne(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        // A script's lines are lexed as bytes where they lie in the file, a
        // typed line as a String: both must give the same commands or error.
        let asString = Result { try Lexer.parse(String(line)) }
        let asBytes = Result { try Array(line.utf8).withUnsafeBufferPointer { try Lexer.parse(utf8: $0) } }
        switch (asString, asBytes) {
        case (.success(let a), .success(let b)) where a == b: break
        case (.failure(let a), .failure(let b)) where "\(a)" == "\(b)": break
        default: fatalError("the two ways of lexing disagree on \(String(reflecting: String(line))): \(asString) vs \(asBytes)")
        }
    }
    let repr = pythonBytesRepr(bytes)
    let shown = escapedText(bytes)
    let dump = hexDump(bytes)
    // What reaches the terminal never holds a control byte other than newline and tab.
    for output in [repr, shown, dump] {
        for scalar in output.unicodeScalars where scalar.value < 0x20 && scalar != "\n" && scalar != "\t"
            || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
            fatalError("control character U+\(String(scalar.value, radix: 16)) in displayed bytes")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
// SwiftPM links an executable's entry point as `<Target>_main` (main is an alias
// of it), so libFuzzer's own main is not used: this one hands over to its driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LexerFuzzer_main")
public func lexerFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, LLVMFuzzerTestOneInput)
}
#else
@main
struct LexerFuzzerReplay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            do {
                fuzzOne(try Files.read(path))
                print("ok \(path)")
            } catch {
                print("cannot read \(path): \(error)")
            }
        }
    }
}
#endif
