// swift-tools-version:6.0
import PackageDescription

// Layers point one way: sockshell (terminal) -> ShellCore (language, session,
// formatting) -> SocketCore (syscalls) -> Glibc. Only the executable links readline.
// Release builds leave out the run-time exclusivity checks of class
// properties and globals: a replayed script spent 7% of its instructions in
// them (callgrind, scripts/bench's replay row). Debug builds, which every test
// tier runs, keep them, so a violation still traps there.
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "sockshell",
    targets: [
        .systemLibrary(
            name: "CReadline",
            pkgConfig: "readline",
            providers: [.apt(["libreadline-dev"])]
        ),
        .target(name: "SocketCore", swiftSettings: releaseSettings),
        .target(name: "ShellCore", dependencies: ["SocketCore"], swiftSettings: releaseSettings),
        .executableTarget(name: "sockshell", dependencies: ["ShellCore", "CReadline"]),
        // libFuzzer harness (Tests/Fuzz/README.md); built plainly it replays the inputs it is given.
        .executableTarget(name: "LexerFuzzer", dependencies: ["ShellCore", "SocketCore"], path: "Tests/Fuzz/LexerFuzzer"),
        .testTarget(name: "SocketCoreTests", dependencies: ["SocketCore"]),
        .testTarget(name: "ShellCoreTests", dependencies: ["ShellCore", "SocketCore"]),
    ],
    swiftLanguageModes: [.v5]
)
