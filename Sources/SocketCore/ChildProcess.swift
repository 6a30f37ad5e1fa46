import Glibc

/// Another program sockshell starts and waits for: the pager.
public struct ChildProcess {
    public let pid: pid_t
    /// The write end of a pipe that is the child's standard input.
    public let input: Int32

    /// Runs `command` through `/bin/sh -c`, as git runs `$PAGER`, with its
    /// standard input a new pipe and everything else the terminal's. SIGPIPE,
    /// which sockshell ignores, is the default again in the child. The
    /// corresponding C function is `posix_spawn`.
    public static func shell(_ command: String) throws -> ChildProcess {
        var fds: [Int32] = [-1, -1]
        _ = try valueOrErrno { pipe(&fds) }
        // Close-on-exec: the child gets the read end as its stdin only.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        // The child has its copy of the read end; the write end is ours, or
        // nobody's when the child did not start.
        defer { _ = Glibc.close(fds[0]) }
        do {
            return ChildProcess(pid: try spawnShell(command, actions: &actions), input: fds[1])
        } catch {
            _ = Glibc.close(fds[1])
            throw error
        }
    }

    /// Starts `/bin/sh -c command`, SIGPIPE (which sockshell ignores) the
    /// default again in the child, with `actions` on its descriptors (nil:
    /// sockshell's own standard input, output and error).
    private static func spawnShell(_ command: String, actions: UnsafePointer<posix_spawn_file_actions_t>?) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", actions, &attributes, &argv, environ)
        guard result == 0 else { throw Errno(rawValue: result) }
        return pid
    }

    /// The first executable `name` in `$PATH`, as a shell would find it.
    /// The corresponding C function is `access`.
    public static func findProgram(_ name: String) -> String? {
        let path = Files.environment("PATH") ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Closes the child's input and waits for it to end. The corresponding C
    /// function is `waitpid`.
    public func finish() {
        _ = Glibc.close(input)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// How a command run by `run(shell:)` ended.
    public enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Runs `command` through `/bin/sh -c` with sockshell's standard input,
    /// output and error, and waits for it, as Python's `subprocess.run(...,
    /// shell=True)` does. sockshell's own descriptors are close-on-exec; SIGPIPE
    /// is the default again in the child. The corresponding C functions are
    /// `posix_spawn` and `waitpid`.
    public static func run(shell command: String) throws -> Termination {
        let pid = try spawnShell(command, actions: nil)
        // Ctrl-C reaches the child too (one process group); the child decides,
        // and sockshell waits for it either way.
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Errno.current }
        }
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }
}
