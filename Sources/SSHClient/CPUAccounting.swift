import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a session's CPU went, for the benchmark's per-phase table. Finer than `SSHPhase` (closing is
/// its own phase, and the shell's conversation is apart from opening the channel).
public enum SSHCPUPhase: String, Sendable, CaseIterable {
    case connect, handshake, hostKey = "host-key", auth, shell, conversation, close
}

/// CPU clocks: the calling thread's (per-phase accounting inside a poll loop) and the whole process's (stages).
public enum CPUClock {
    public static func thread() -> UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }
    public static func process() -> UInt64 { read(CLOCK_PROCESS_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// One poll loop's CPU by phase; lives on the loop's thread, so it takes no lock.
final class LoopCPU {
    private(set) var byPhase = [UInt64](repeating: 0, count: SSHCPUPhase.allCases.count)
    private var last: UInt64 = 0

    /// Marks the start of a piece of work.
    func begin() { last = CPUClock.thread() }

    /// Adds the CPU since the last `begin` or `charge` to `phase`.
    func charge(_ phase: SSHCPUPhase) {
        let now = CPUClock.thread()
        byPhase[SSHCPUPhase.allCases.firstIndex(of: phase)!] += now &- last
        last = now
    }
}

/// CPU used by a run's poll loops: each session's work by phase, and the loops' own (polling, timers,
/// bookkeeping). Off unless the runner is given one: reading a thread's CPU clock is a system call per step.
public final class SSHCPUTally: @unchecked Sendable {
    private let lock = NSLock()
    private var phases = [UInt64](repeating: 0, count: SSHCPUPhase.allCases.count)
    private var loops: UInt64 = 0
    private var loopThreads = 0

    public init() {}

    func add(loopTotal: UInt64, phases loopPhases: [UInt64]) {
        lock.lock(); defer { lock.unlock() }
        for i in phases.indices { phases[i] += loopPhases[i] }
        loops += loopTotal &- min(loopTotal, loopPhases.reduce(0, +))
        loopThreads += 1
    }

    /// Seconds of CPU per phase, and the loops' own as `loop`.
    public var seconds: [(phase: String, seconds: Double)] {
        lock.lock(); defer { lock.unlock() }
        return zip(SSHCPUPhase.allCases, phases).map { ($0.rawValue, Double($1) / 1e9) } + [("loop", Double(loops) / 1e9)]
    }

    /// How many poll-loop threads the runs used.
    public var threads: Int {
        lock.lock(); defer { lock.unlock() }
        return loopThreads
    }
}
