import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the harness could not set up a server; tests report it as their failure.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let outPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = outPipe
        let inPipe = Pipe()
        process.standardInput = inPipe
        do {
            try process.run()
        } catch {
            throw HarnessError("cannot start \(argv[0]): \(error)")
        }
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        // Read output on another thread: a full pipe would otherwise block the child forever.
        let collected = OutputCollector(handle: outPipe.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                _ = waitBounded(process, for: .seconds(2))
                throw HarnessError("\(argv.joined(separator: " ")) did not finish within \(timeout)")
            }
            usleep(5_000)
        }
        let text = collected.finish()
        let result = Output(status: process.terminationStatus, output: text)
        if check && result.status != 0 {
            throw HarnessError("\(argv.joined(separator: " ")) failed (\(result.status)): \(text)")
        }
        return result
    }

    /// Waits for a process to exit, at most `limit`; returns whether it did.
    static func waitBounded(_ process: Process, for limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            if ContinuousClock.now > deadline { return false }
            usleep(5_000)
        }
        return true
    }
}

/// Drains a pipe on its own thread until EOF.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(handle: FileHandle) {
        let thread = Thread { [self] in
            let all = handle.readDataToEndOfFile()
            lock.lock(); data = all; lock.unlock()
            done.signal()
        }
        thread.start()
    }

    func finish() -> String {
        // The child has exited; EOF follows unless a grandchild holds the pipe, hence the bound.
        _ = done.wait(timeout: .now() + 2)
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
