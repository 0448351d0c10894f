import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A vos-sim child serving a state file; stopped (and its stdin closed) by `stop()`.
final class SimulatorProcess: @unchecked Sendable {
    let process = Process()
    private let stdin = Pipe(), stdout = Pipe()
    let stderrPath: String
    /// Lines printed up to `ready`.
    private(set) var lines: [String] = []

    /// Starts `vos-sim ARGUMENTS --out OUT --exit-on-stdin-eof` and waits for `ready`, at most `timeout`.
    init(_ arguments: [String], out: String, password: String, timeout: Duration = .seconds(120)) async throws {
        guard let binary = builtBinary("vos-sim") else { throw HarnessError("vos-sim is not built next to the test bundle") }
        stderrPath = out + ".vos-sim.stderr"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--out", out, "--exit-on-stdin-eof"]
        var env = ProcessInfo.processInfo.environment
        env["VOS_SIM_PASSWORD"] = password
        process.environment = env
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        let process = self.process
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }
        let fd = stdout.fileHandleForReading.fileDescriptor
        lines = await withCheckedContinuation { continuation in
            // A blocking reader on a dispatch queue, not the cooperative pool; it ends at `ready`
            // or when the child dies (the watchdog's kill included).
            DispatchQueue(label: "vos-sim stdout").async {
                var buffer: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n > 0 { buffer += chunk[0..<n] }
                    let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
                    if n == 0 || (n < 0 && errno != EINTR) || lines.contains(where: { $0.hasPrefix("ready") }) {
                        continuation.resume(returning: lines)
                        return
                    }
                }
            }
        }
        guard lines.contains(where: { $0.hasPrefix("ready") }) else {
            stop()
            let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw HarnessError("vos-sim did not become ready: \(lines.suffix(5)) \(err.suffix(2000))")
        }
    }

    /// Closes stdin (vos-sim exits on it), then terminates it if it has not gone within 10 s.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
}

/// Entries of a /proc directory of this process (`fd`, `task`).
func procEntries(_ name: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/\(name)")) ?? []).count
}

/// The entry count of /proc/self/NAME once it has not changed for 250 ms (threads that are
/// ending, descriptors being closed), bounded to 3 s.
func settledCount(_ name: String) async -> Int {
    var last = procEntries(name), steady = 0
    for _ in 0..<60 where steady < 5 {
        try? await Task.sleep(for: .milliseconds(50))
        let now = procEntries(name)
        steady = now == last ? steady + 1 : 0
        last = now
    }
    return last
}

/// What each descriptor of this process points at (for a leak's message).
func descriptorTargets() -> [String: String] {
    var result: [String: String] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        result[entry] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) ?? "?"
    }
    return result
}
