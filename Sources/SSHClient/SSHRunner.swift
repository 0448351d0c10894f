import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs SSH sessions to many nodes at once.
///
/// Sessions are driven non-blocking from `poll()` loops on threads the runner creates, so the
/// number of nodes in flight is not capped by Swift's cooperative pool and a slow node never
/// delays the others. One loop by default: dealing a large run round-robin to a loop per core measured
/// no faster (N = 500 on 2 cores, simulator pinned or not: bench/README.md), so more loops (`maxLoops`,
/// the benchmark's `--poll-loops`) are kept only to measure that again on bigger machines. Each
/// libssh2 session and each driver is confined to the thread of its loop.
public final class SSHRunner: Sendable {
    /// Most sessions open at once; nil means all jobs at once.
    public let concurrency: Int?
    /// Most poll loops (threads) of one run.
    public let maxLoops: Int
    /// Where the loops add the CPU they used, by phase; nil: not measured.
    public let cpuTally: SSHCPUTally?

    /// Jobs a loop gets at the least before another loop is worth a thread.
    static let jobsPerLoop = 32

    public init(concurrency: Int? = nil, maxLoops: Int? = nil, cpuTally: SSHCPUTally? = nil) {
        self.concurrency = concurrency.map { max(1, $0) }
        self.maxLoops = max(1, maxLoops ?? Self.defaultMaxLoops)
        self.cpuTally = cpuTally
    }

    /// One loop: the pinned A/B showed no gain from more (1 loop 5.05 s, 2 loops 4.97 s at N = 500).
    public static let defaultMaxLoops = 1

    /// How many loops a run of `jobs` gets: one per `jobsPerLoop` jobs and per allowed session, within `maxLoops`.
    func loopCount(jobs: Int) -> Int {
        max(1, min(maxLoops, jobs / Self.jobsPerLoop, concurrency ?? jobs))
    }

    /// Runs every job on the runner's own threads; returns results in job order.
    ///
    /// - Parameters:
    ///   - deadline: when the whole run must end; unfinished jobs then fail with `.runDeadline`
    ///     (their drivers still `finish()`), after a close of at most a second.
    ///   - progress: called after each job ends, one call at a time, with the run's totals.
    ///
    /// Cancelling the calling task ends the run like its deadline.
    public func run<D: ShellDriver>(_ jobs: [SSHJob<D>], deadline: ContinuousClock.Instant? = nil,
                                    progress: (@Sendable (SSHProgress) -> Void)? = nil) async -> [SSHJobResult<D.Result>] {
        if jobs.isEmpty { return [] }
        LibSSH2.ensureInitialized()
        let loops = loopCount(jobs: jobs.count)
        let controls = (0..<loops).map { _ in RunControl() }
        let tally = ProgressTally(total: jobs.count, progress: progress)
        // Loop k gets jobs k, k + loops, ... and its share of the concurrency cap.
        let shares = (0..<loops).map { k in Array(stride(from: k, to: jobs.count, by: loops)) }
        let caps = (0..<loops).map { k in concurrency.map { $0 / loops + (k < $0 % loops ? 1 : 0) } }
        let parts = await withTaskCancellationHandler {
            await withTaskGroup(of: (Int, [SSHJobResult<D.Result>]).self) { group in
                for k in 0..<loops {
                    let share = shares[k].map { jobs[$0] }
                    let control = controls[k], cap = caps[k], cpuTally = cpuTally
                    group.addTask {
                        let results = await withCheckedContinuation { (continuation: CheckedContinuation<[SSHJobResult<D.Result>], Never>) in
                            // Only generic code is instantiated from D on the thread; everything that crosses
                            // (jobs, results, callbacks) is Sendable. The box keeps the metatype out of the
                            // @Sendable closure's captures.
                            let body = UncheckedSendableBox {
                                let loop = PollLoop(jobs: share, concurrency: cap, loops: loops, deadline: deadline,
                                                    progress: { failed in tally.record(failed: failed) }, control: control)
                                guard let cpuTally else { return continuation.resume(returning: loop.run()) }
                                let started = CPUClock.thread()
                                loop.context.cpu = LoopCPU()
                                let results = loop.run()
                                cpuTally.add(loopTotal: CPUClock.thread() &- started, phases: loop.context.cpu!.byPhase)
                                continuation.resume(returning: results)
                            }
                            let thread = Thread {
                                nameThisThread("cors-audit.ssh\(k)")
                                body.value()
                            }
                            thread.start()
                        }
                        return (k, results)
                    }
                }
                var parts = [[SSHJobResult<D.Result>]](repeating: [], count: loops)
                for await (k, results) in group { parts[k] = results }
                return parts
            }
        } onCancel: {
            for control in controls { control.cancel() }
        }
        var results = [SSHJobResult<D.Result>?](repeating: nil, count: jobs.count)
        for k in 0..<loops {
            for (offset, index) in shares[k].enumerated() { results[index] = parts[k][offset] }
        }
        return results.map { $0! }
    }
}

/// Names the calling thread as `ps -L`, `top -H` and debuggers show it (at most 15 bytes). Foundation's `Thread.name`
/// does not reach the kernel here, and Glibc's module does not export `pthread_setname_np`.
func nameThisThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// The run's totals across its loops, reported one call at a time.
final class ProgressTally: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let progress: (@Sendable (SSHProgress) -> Void)?
    private var done = 0
    private var failed = 0

    init(total: Int, progress: (@Sendable (SSHProgress) -> Void)?) {
        self.total = total
        self.progress = progress
    }

    func record(failed jobFailed: Bool) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if jobFailed { failed += 1 }
        progress?(SSHProgress(done: done, total: total, failed: failed))
    }
}

/// Carries a closure to the runner thread, which alone calls it.
struct UncheckedSendableBox: @unchecked Sendable {
    let value: () -> Void
    init(_ value: @escaping () -> Void) { self.value = value }
}

/// Lets other threads stop a run: the cancel flag plus a wake-up of the poll loop.
final class RunControl: @unchecked Sendable {
    let waker = Waker()
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock(); cancelled = true; lock.unlock()
        waker.wake()
    }
}

/// The poll loop of one run. Lives entirely on the runner's thread.
final class PollLoop<D: ShellDriver> {
    private let jobs: [SSHJob<D>]
    private let limit: Int
    private let deadline: ContinuousClock.Instant?
    /// Told each time a job ends, and whether it failed.
    private let progress: (Bool) -> Void
    private let control: RunControl
    let context: RunContext

    private var results: [SSHJobResult<D.Result>?]
    private var queue: ArraySlice<Int>
    private var active: [Session<D>] = []
    private var lastAdvanced: [ObjectIdentifier: ContinuousClock.Instant] = [:]
    private var done = 0
    private var stopping = false

    /// libssh2 may hold already-read packets a poll cannot see; no session waits longer than this
    /// without being stepped.
    private static var maxIdle: Duration { .milliseconds(250) }

    init(jobs: [SSHJob<D>], concurrency: Int?, loops: Int = 1, deadline: ContinuousClock.Instant?,
         progress: @escaping (Bool) -> Void, control: RunControl) {
        self.jobs = jobs
        self.deadline = deadline
        self.progress = progress
        self.control = control
        context = RunContext(resolver: Resolver(waker: control.waker))
        results = Array(repeating: nil, count: jobs.count)
        queue = ArraySlice(jobs.indices)
        // One socket per session: the run's loops together stay clear of the descriptor limit whatever was asked.
        let descriptors = max(16, (FileDescriptorLimit.raised - 64) / loops)
        limit = max(1, min(concurrency ?? jobs.count, descriptors))
    }

    func run() -> [SSHJobResult<D.Result>] {
        var pollFDs: [pollfd] = []
        var polled: [Session<D>] = []
        while done < jobs.count {
            var now = ContinuousClock.now
            if !stopping, control.isCancelled || (deadline.map { now >= $0 } ?? false) {
                stop(now: now, reason: control.isCancelled ? "the run was cancelled" : "the run's deadline passed")
            }
            // Finished sessions free their slots before new ones start.
            collectFinished()
            while !stopping, active.count < limit, let next = queue.popFirst() {
                let session = Session(index: next, job: jobs[next])
                active.append(session)
                context.cpu?.begin()
                session.start(context, now: now)
                context.cpu?.charge(.connect)
                step(session, now: now)
            }
            for session in active {
                let acted = session.tick(context, now: now)
                if acted || now - (lastAdvanced[ObjectIdentifier(session)] ?? now) >= Self.maxIdle {
                    step(session, now: now)
                }
            }
            collectFinished()
            if done >= jobs.count { break }

            pollFDs.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            pollFDs.append(pollfd(fd: control.waker.readFD, events: Int16(POLLIN), revents: 0))
            var wake = now + Self.maxIdle
            if let deadline, !stopping { wake = min(wake, deadline) }
            for session in active {
                if let request = session.pollRequest() {
                    pollFDs.append(pollfd(fd: request.fd, events: request.events, revents: 0))
                    polled.append(session)
                }
                if let next = session.nextDeadline { wake = min(wake, next) }
            }
            let timeout = max(.zero, wake - now)
            let milliseconds = Int32(clamping: timeout.components.seconds * 1000
                                     + Int64((timeout.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
            var ready = poll(&pollFDs, nfds_t(pollFDs.count), milliseconds)
            if ready > 0, polled.count >= coalesceFrom {
                // Many sessions: each wake-up costs a pass over all of them, so let the others' answers arrive
                // for a moment and serve them in the same pass (a millisecond against 100 ms command replies).
                usleep(coalesceMicroseconds)
                ready = poll(&pollFDs, nfds_t(pollFDs.count), 0)
            }
            now = ContinuousClock.now
            if ready > 0 {
                if pollFDs[0].revents != 0 { control.waker.drain() }
                for (offset, session) in polled.enumerated() where pollFDs[offset + 1].revents != 0 {
                    step(session, now: now)
                }
            }
            for (name, answer) in context.resolver.takeCompleted() {
                for session in active where session.resolvingName == name {
                    session.resolved(answer, context, now: now)
                    step(session, now: now)
                }
            }
        }
        control.waker.close()
        return results.map { $0! }
    }

    private func step(_ session: Session<D>, now: ContinuousClock.Instant) {
        session.advance(context, now: now)
        lastAdvanced[ObjectIdentifier(session)] = now
    }

    /// The deadline passed or the run was cancelled: queued jobs fail at once, running ones close
    /// within a short budget.
    private func stop(now: ContinuousClock.Instant, reason: String) {
        stopping = true
        context.closeBudget = .milliseconds(500)
        while let next = queue.popFirst() {
            let target = jobs[next].target
            record(next, SSHJobResult(host: target.host,
                                      error: SSHError(host: target.host, phase: .connect, kind: .runDeadline,
                                                      message: "not started: \(reason)"),
                                      info: SSHSessionInfo(), driverResult: nil))
        }
        for session in active { session.abort(context, now: now, message: reason) }
    }

    private func collectFinished() {
        var still: [Session<D>] = []
        for session in active {
            if let result = session.result {
                lastAdvanced[ObjectIdentifier(session)] = nil
                record(session.index, result)
            } else {
                still.append(session)
            }
        }
        active = still
    }

    private func record(_ index: Int, _ result: SSHJobResult<D.Result>) {
        results[index] = result
        done += 1
        progress(result.error != nil)
    }
}

/// Sessions polled at once from which a wake-up waits `coalesceMicroseconds` to serve more of them in one pass (stored
/// here: a generic type has no stored statics).
private let coalesceFrom = 64
/// 1 ms by default (the benchmark's A/B: 0, 1 and 3 ms); `CORS_AUDIT_COALESCE_US` sets it for benchmarks only, capped at 10 ms.
private let coalesceMicroseconds: UInt32 = min(10_000, ProcessInfo.processInfo.environment["CORS_AUDIT_COALESCE_US"].flatMap(UInt32.init) ?? 1000)
