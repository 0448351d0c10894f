import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a test helper could not do its part; tests report it as their failure.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How a child ended and what it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var seconds: Double
    /// Ended by a signal (`status` is then the signal's number).
    public var signaled: Bool
}

/// A child process started in the package root with `NO_COLOR=1` on top of this process's environment, started with
/// posix_spawn and reaped with waitpid here; every wait is bounded, so a hang fails the test instead of stalling it.
///
/// Not Foundation's `Process`: from async test functions its termination monitoring sometimes never noticed a
/// child's exit (the child stayed a zombie and `isRunning` stayed true). Output goes to files, so a chatty child never
/// blocks on a full pipe and a grandchild that keeps the output open never stalls a read. The child inherits only its
/// standard input, output and error, and this process holds no pipe end beyond a kept-open input's write end: a stray
/// copy of that would keep the child's input from ever ending.
public final class StartedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String
    /// Where the child's standard output and error go; removed once `finish` has read them.
    public let stdoutPath: String
    public let stderrPath: String
    private let directory: String
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var exit: (status: Int32, signaled: Bool, at: ContinuousClock.Instant)?
    private var inputEnd: Int32 = -1
    private var result: ProcessResult?

    /// `environment`: values to set, or nil to remove a variable. `stdin`: the child's whole input, then its end (nil:
    /// /dev/null); with `keepInputOpen` it stays open after that until `closeInput()` or `finish`, for a child that
    /// must not see its input end early.
    public init(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], stdin: String? = nil,
                keepInputOpen: Bool = false, workingDirectory: String? = nil) throws {
        self.executable = executable
        directory = try temporaryDirectory("cors-audit-child")
        stdoutPath = directory + "/out"
        stderrPath = directory + "/err"
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }

        // Opened close-on-exec: a child spawned meanwhile by another thread must not inherit them.
        var parentEnds: [Int32] = []
        defer { for fd in parentEnds { close(fd) } }
        func open(_ path: String, _ flags: Int32) throws -> Int32 {
            let fd = Glibc.open(path, flags | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw HarnessError("cannot open \(path): \(String(cString: strerror(errno)))") }
            parentEnds.append(fd)
            return fd
        }
        let out = try open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC)
        let err = try open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC)
        let input: Int32
        var writeEnd: Int32 = -1
        if keepInputOpen {
            var fds: [Int32] = [-1, -1]
            guard Spawn.pipe(&fds) == 0 else { throw HarnessError("pipe: \(String(cString: strerror(errno)))") }
            parentEnds.append(fds[0])
            writeEnd = fds[1]
            input = fds[0]
        } else if let stdin {
            // The whole input from a file: no pipe to fill, nothing to write while the child may have gone.
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: directory + "/in"))
            input = try open(directory + "/in", O_RDONLY)
        } else {
            input = try open("/dev/null", O_RDONLY)
        }
        do {
            pid = try Spawn.start(executable, arguments, environment: env, in: workingDirectory ?? repoRoot, stdin: input, stdout: out, stderr: err)
        } catch {
            if writeEnd >= 0 { close(writeEnd) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        if writeEnd >= 0 {
            inputEnd = writeEnd
            if let stdin { Spawn.write(stdin, to: writeEnd) }
        }
    }

    deinit {
        // Dropped without `finish`: leave neither a running child nor a zombie nor files behind.
        if isRunning { kill(pid, SIGKILL); _ = wait(for: .seconds(5)) }
        closeInput()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether the child still runs (it is reaped here as soon as it has ended).
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        return reap() == nil
    }

    /// Waits for the child's end, at most `limit`; returns whether it ended.
    @discardableResult
    public func wait(for limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            if ContinuousClock.now > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Ends a kept-open input: the child reads to its end.
    public func closeInput() {
        lock.lock(); defer { lock.unlock() }
        if inputEnd >= 0 { close(inputEnd); inputEnd = -1 }
    }

    /// What the child has written to its standard output so far.
    public func standardOutput() -> String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    /// What the child has written to its standard error so far.
    public func standardError() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the child's end, at most `timeout`, and returns how it ended and what it printed; a child still running
    /// then is killed and this throws. The input is closed only after the end. Calling it again returns the same result.
    public func finish(timeout: Duration = .seconds(600)) throws -> ProcessResult {
        if let result { return result }
        if !wait(for: timeout) {
            kill(pid, SIGKILL)
            wait(for: .seconds(10))
            closeInput()
            let err = standardError()
            try? FileManager.default.removeItem(atPath: directory)
            throw HarnessError("\(executable) still running after \(timeout): killed; stderr: \(err.suffix(2000))")
        }
        closeInput()
        lock.lock()
        let (status, signaled, at) = exit!
        lock.unlock()
        let elapsed = at - started
        let finished = ProcessResult(status: status, stdout: standardOutput(), stderr: standardError(),
                                     seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                                     signaled: signaled)
        try? FileManager.default.removeItem(atPath: directory)
        result = finished
        return finished
    }

    /// The exit once reaped, nil while the child runs; the caller holds the lock.
    private func reap() -> (status: Int32, signaled: Bool, at: ContinuousClock.Instant)? {
        if let exit { return exit }
        var raw: Int32 = 0
        let rc = waitpid(pid, &raw, WNOHANG)
        if rc == pid {
            let signal = raw & 0x7F
            exit = signal == 0 ? ((raw >> 8) & 0xFF, false, .now) : (signal, true, .now)
        } else if rc < 0 && errno != EINTR {
            // Reaped elsewhere or never ours: nothing more to wait for.
            exit = (-1, false, .now)
        }
        return exit
    }
}

/// Runs a child to its end (see `StartedProcess`).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], stdin: String? = nil,
                       timeout: Duration = .seconds(600), workingDirectory: String? = nil) throws -> ProcessResult {
    try StartedProcess(executable, arguments, environment: environment, stdin: stdin, workingDirectory: workingDirectory).finish(timeout: timeout)
}

/// posix_spawn with the file actions Swift's Glibc module does not export (looked up in the C library at run time).
private enum Spawn {
    typealias FileAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(nil, name).map { unsafeBitCast($0, to: type) }
    }

    /// glibc 2.29 and 2.34.
    static let addChdir = symbol("posix_spawn_file_actions_addchdir_np", as: FileAction.self)
    static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)
    static let pipe2 = symbol("pipe2", as: Pipe2.self)

    /// A pipe whose ends are close-on-exec from the start.
    static func pipe(_ fds: inout [Int32]) -> Int32 {
        guard let pipe2 else { return -1 }
        return fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) }
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String], in directory: String,
                      stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        guard let addChdir, let addCloseFrom else {
            throw HarnessError("this C library cannot spawn a child in another directory (glibc 2.34 or later needed)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        _ = addCloseFrom(&actions, 3)
        _ = directory.withCString { addChdir(&actions, $0) }
        var argv = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        guard rc == 0 else { throw HarnessError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Writes all of `text`; a child that has already gone only ends the write (no SIGPIPE for this process).
    static func write(_ text: String, to fd: Int32) {
        signal(SIGPIPE, SIG_IGN)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
