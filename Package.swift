// swift-tools-version:6.0
import PackageDescription

// Layers point one way: sockshell (terminal) -> ShellCore (language, session,
// formatting) -> SocketCore (syscalls) -> Glibc. Only the executable links readline.
let package = Package(
    name: "sockshell",
    targets: [
        .systemLibrary(
            name: "CReadline",
            pkgConfig: "readline",
            providers: [.apt(["libreadline-dev"])]
        ),
        .target(name: "SocketCore"),
        .target(name: "ShellCore", dependencies: ["SocketCore"]),
        .executableTarget(name: "sockshell", dependencies: ["ShellCore", "CReadline"]),
        // libFuzzer harness (Tests/Fuzz/README.md); built plainly it replays the inputs it is given.
        .executableTarget(name: "LexerFuzzer", dependencies: ["ShellCore", "SocketCore"], path: "Tests/Fuzz/LexerFuzzer"),
        .testTarget(name: "SocketCoreTests", dependencies: ["SocketCore"]),
        .testTarget(name: "ShellCoreTests", dependencies: ["ShellCore", "SocketCore"]),
    ],
    swiftLanguageModes: [.v5]
)
