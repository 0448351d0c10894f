import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var seconds: Double
    /// Ended by a signal (`status` is then the signal's number).
    public var signaled: Bool
}

/// A child started in the package root with `NO_COLOR=1` on top of this process's environment; its output goes to
/// files (a chatty child never blocks on a full pipe) and `finish` waits for it, bounded.
public final class StartedProcess: @unchecked Sendable {
    public let process = Process()
    public let executable: String
    private let directory: String
    private let start = ContinuousClock.now

    /// `environment`: values to set, or nil to remove a variable. `stdin`: written whole, then closed (nil: /dev/null).
    public init(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], stdin: String? = nil) throws {
        self.executable = executable
        directory = try temporaryDirectory("cors-audit-child")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        for name in ["out", "err"] { FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: nil) }
        guard let out = FileHandle(forWritingAtPath: directory + "/out"), let err = FileHandle(forWritingAtPath: directory + "/err") else {
            throw HarnessError("cannot open output files in \(directory)")
        }
        process.standardOutput = out
        process.standardError = err
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        // The child holds its own copies: this process's are closed at once, so tests that count descriptors see
        // none of them whenever the Process object happens to be freed.
        defer {
            try? out.close()
            try? err.close()
            try? input?.fileHandleForReading.close()
        }
        try process.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// Waits at most `timeout`; a child still running then is killed and this throws, so a hang fails the test
    /// instead of stalling it.
    public func finish(timeout: Duration = .seconds(600)) throws -> ProcessResult {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let deadline = start + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let err = (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? ""
            throw HarnessError("\(executable) still running after \(timeout): killed; stderr: \(err.suffix(2000))")
        }
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        let out = FileManager.default.contents(atPath: directory + "/out") ?? Data()
        let err = FileManager.default.contents(atPath: directory + "/err") ?? Data()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: err, as: UTF8.self),
                             seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                             signaled: process.terminationReason == .uncaughtSignal)
    }
}

/// Runs a child to its end (see `StartedProcess`).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], stdin: String? = nil,
                       timeout: Duration = .seconds(600)) throws -> ProcessResult {
    try StartedProcess(executable, arguments, environment: environment, stdin: stdin).finish(timeout: timeout)
}
