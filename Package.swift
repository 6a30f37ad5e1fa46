// swift-tools-version:6.0
import PackageDescription

// Layers point one way: sockshell (terminal) -> ShellCore (language, session,
// formatting) -> SocketCore (syscalls) -> Glibc. Only the executable links readline.
// Release builds leave out the run-time exclusivity checks of class
// properties and globals: a replayed script spent 7% of its instructions in
// them (callgrind, scripts/bench's replay row). Debug builds, which every test
// tier runs, keep them, so a violation still traps there.
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
// A warning in the project's own code fails the debug build, which every
// test tier (and so a fresh clone's `scripts/test`) compiles: warnings
// cannot pile up, even on an incremental build that would not print them
// again. Release builds, which users make with a compiler that may be newer,
// only warn.
let warningsAsErrors: [SwiftSetting] = [.unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug))]

let package = Package(
    name: "sockshell",
    targets: [
        .systemLibrary(
            name: "CReadline",
            pkgConfig: "readline",
            providers: [.apt(["libreadline-dev"])]
        ),
        // OpenSSL's libssl, which CPython's ssl module uses too, for the tls commands.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Linux headers the Glibc module leaves out (epoll), for SocketCore.
        .systemLibrary(name: "CLinux"),
        .target(name: "SocketCore", dependencies: ["CLinux", "COpenSSL"], swiftSettings: releaseSettings + warningsAsErrors),
        .target(name: "ShellCore", dependencies: ["SocketCore"], swiftSettings: releaseSettings + warningsAsErrors),
        .executableTarget(name: "sockshell", dependencies: ["ShellCore", "CReadline"], swiftSettings: warningsAsErrors),
        // libFuzzer harness (Tests/Fuzz/README.md); built plainly it replays the inputs it is given.
        .executableTarget(name: "LexerFuzzer", dependencies: ["ShellCore", "SocketCore"], path: "Tests/Fuzz/LexerFuzzer"),
        // The same, over whole lines through the runner on real sockets.
        .executableTarget(name: "RunnerFuzzer", dependencies: ["ShellCore", "SocketCore"], path: "Tests/Fuzz/RunnerFuzzer"),
        .testTarget(name: "SocketCoreTests", dependencies: ["SocketCore"], swiftSettings: warningsAsErrors),
        .testTarget(name: "ShellCoreTests", dependencies: ["ShellCore", "SocketCore"], swiftSettings: warningsAsErrors),
    ],
    swiftLanguageModes: [.v5]
)
