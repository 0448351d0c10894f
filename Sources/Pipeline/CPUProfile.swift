import Foundation
import SSHClient
#if canImport(Glibc)
import Glibc
#endif

/// Where one run's CPU went, for the benchmark (`--cpu-report FILE`): the SSH poll loops' per-phase counters and
/// the pipeline's stages, from the process's own clocks. Off unless asked: the per-phase clock is a system call per step.
public final class CPUProfile: @unchecked Sendable {
    /// Handed to the collector's runner.
    public let ssh = SSHCPUTally()
    private let lock = NSLock()
    private var stages: [(stage: String, seconds: Double)] = []
    private let started = CPUClock.process()

    public init() {}

    /// Runs `body` and charges the process CPU it used (every thread's) to `stage`.
    func measure<T>(_ stage: String, _ body: () async throws -> T) async rethrows -> T {
        let before = CPUClock.process()
        let result = try await body()
        add(stage, seconds: Double(CPUClock.process() &- before) / 1e9)
        return result
    }

    /// Runs `body`, which runs stages of its own, and charges to `stage` the process CPU those stages did not use.
    public func measure<T>(remainderAs stage: String, _ body: () async throws -> T) async rethrows -> T {
        let before = CPUClock.process(), staged = stageSeconds
        let result = try await body()
        add(stage, seconds: max(0, Double(CPUClock.process() &- before) / 1e9 - (stageSeconds - staged)))
        return result
    }

    func add(_ stage: String, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        stages.append((stage, seconds))
    }

    /// Seconds charged to stages so far.
    var stageSeconds: Double {
        lock.lock(); defer { lock.unlock() }
        return stages.reduce(0) { $0 + $1.seconds }
    }

    /// The profile as JSON (`cors-audit/cpu-profile/v1`): nodes, process CPU (user, system, since start), peak RSS,
    /// CPU per stage and per SSH phase, poll-loop threads.
    public func json(nodes: Int) -> Data {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let stageList: [[String: Any]] = { lock.lock(); defer { lock.unlock() }; return stages.map { ["stage": $0.stage, "seconds": $0.seconds] } }()
        let object: [String: Any] = [
            "schema": "cors-audit/cpu-profile/v1",
            "nodes": nodes,
            "process": ["user_seconds": seconds(usage.ru_utime), "system_seconds": seconds(usage.ru_stime),
                        "cpu_seconds_since_start": Double(CPUClock.process() &- started) / 1e9,
                        "peak_rss_kb": usage.ru_maxrss],
            "stages": stageList,
            "ssh_phases": ssh.seconds.map { ["phase": $0.phase, "seconds": $0.seconds] },
            "poll_loop_threads": ssh.threads,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}
