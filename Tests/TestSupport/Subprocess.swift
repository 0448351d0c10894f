import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid by the harness itself.
///
/// Foundation's `Process` was tried first: from the async test functions its termination
/// monitoring sometimes never noticed a child's exit (the child stayed a zombie and
/// `isRunning`/`waitUntilExit` waited forever), so the harness keeps the whole life cycle in
/// its own hands, with bounded waits.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Spawns `argv` with stdin, stdout and stderr on the given descriptors (-1: /dev/null).
    init(_ argv: [String], stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target, flags) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
            if fd >= 0 {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
            }
        }
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw HarnessError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// The exit status once reaped (or nil while it runs).
    var status: Int32? {
        lock.lock(); defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        if rc == pid {
            // WIFEXITED ? WEXITSTATUS : 128 + signal
            exitStatus = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        } else if rc < 0 {
            exitStatus = -1
        }
        return exitStatus
    }

    var isRunning: Bool { status == nil }

    /// Waits for the exit, at most `limit`; returns whether it exited.
    @discardableResult
    func wait(for limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            if ContinuousClock.now > deadline { return false }
            usleep(2_000)
        }
        return true
    }
}

/// Runs short helper programs (ssh-keygen, useradd, chpasswd) with a bounded wait, so a wedged
/// tool fails the test instead of hanging the suite.
enum Subprocess {
    struct Output {
        var status: Int32
        var output: String
    }

    @discardableResult
    static func run(_ argv: [String], input: String? = nil, timeout: Duration = .seconds(20),
                    check: Bool = true) throws -> Output {
        var output: [Int32] = [-1, -1]
        var inputPipe: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw HarnessError("pipe: errno \(errno)") }
        if input != nil { _ = pipe(&inputPipe) }
        // The child gets these only as its stdin/stdout (dup2 clears the flag there): a pipe end
        // it inherited by accident would keep EOF from ever arriving.
        for fd in output + inputPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let child: ChildProcess
        do {
            child = try ChildProcess(argv, stdin: inputPipe[0], stdout: output[1], stderr: output[1])
        } catch {
            for fd in output + inputPipe where fd >= 0 { close(fd) }
            throw error
        }
        close(output[1])
        if inputPipe[0] >= 0 { close(inputPipe[0]) }
        if let input, inputPipe[1] >= 0 {
            let bytes = Array(input.utf8)
            _ = bytes.withUnsafeBytes { write(inputPipe[1], $0.baseAddress, $0.count) }
            close(inputPipe[1])
        }
        defer { close(output[0]) }
        // Drain the output while waiting: a full pipe would otherwise block the child forever.
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while true {
            let exited = !child.isRunning
            if !exited && ContinuousClock.now > deadline {
                kill(child.pid, SIGKILL)
                child.wait(for: .seconds(2))
                throw HarnessError("\(argv.joined(separator: " ")) did not finish within \(timeout)")
            }
            var pfd = pollfd(fd: output[0], events: Int16(POLLIN), revents: 0)
            // After the exit, only what is already in the pipe: a grandchild holding it must not stall us.
            if poll(&pfd, 1, exited ? 0 : 10) > 0 {
                let n = read(output[0], &buffer, buffer.count)
                if n > 0 {
                    collected += buffer[0..<n]
                    continue
                }
            }
            if exited { break }
        }
        let result = Output(status: child.status ?? -1, output: String(decoding: collected, as: UTF8.self))
        if check && result.status != 0 {
            throw HarnessError("\(argv.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result
    }
}
