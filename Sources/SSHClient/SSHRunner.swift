import CFileSync
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs SSH sessions to many nodes at once.
///
/// Sessions are driven non-blocking from one epoll loop on a thread the runner creates, so the number of nodes in
/// flight is not capped by Swift's cooperative pool and a slow node never delays the others. One loop: dealing a
/// large run to a loop per core measured no faster (N = 500 on 2 cores, the simulator pinned or not: bench/README.md).
/// Each libssh2 session and each driver is confined to that thread.
public final class SSHRunner: Sendable {
    /// Most sessions open at once; nil means all jobs at once.
    public let concurrency: Int?
    /// Where the loop adds the CPU it used, by phase; nil: not measured.
    public let cpuTally: SSHCPUTally?

    public init(concurrency: Int? = nil, cpuTally: SSHCPUTally? = nil) {
        self.concurrency = concurrency.map { max(1, $0) }
        self.cpuTally = cpuTally
    }

    /// Runs every job on the runner's own thread; returns results in job order.
    ///
    /// - Parameters:
    ///   - deadline: when the whole run must end; unfinished jobs then fail with `.runDeadline`
    ///     (their drivers still `finish()`), after a close of at most a second.
    ///   - progress: called after each job ends, one call at a time, with the run's totals.
    ///   - ended: called on the runner's thread as each job ends, with its index and result: work on one node's result
    ///     can start while the others' sessions go on. It should hand heavy work elsewhere.
    ///
    /// Cancelling the calling task ends the run like its deadline.
    public func run<D: ShellDriver>(_ jobs: [SSHJob<D>], deadline: ContinuousClock.Instant? = nil,
                                    progress: (@Sendable (SSHProgress) -> Void)? = nil,
                                    ended: (@Sendable (Int, SSHJobResult<D.Result>) -> Void)? = nil) async -> [SSHJobResult<D.Result>] {
        if jobs.isEmpty { return [] }
        LibSSH2.ensureInitialized()
        let control = RunControl()
        let tally = ProgressTally(total: jobs.count, progress: progress)
        let concurrency = concurrency, cpuTally = cpuTally
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[SSHJobResult<D.Result>], Never>) in
                // Only generic code is instantiated from D on the thread; everything that crosses (jobs, results,
                // callbacks) is Sendable. The box keeps the metatype out of the @Sendable closure's captures.
                let body = UncheckedSendableBox {
                    let loop = PollLoop(jobs: jobs, concurrency: concurrency, deadline: deadline,
                                        progress: { index, result in
                                            ended?(index, result)
                                            tally.record(failed: result.error != nil)
                                        }, control: control)
                    guard let cpuTally else { return continuation.resume(returning: loop.run()) }
                    let started = CPUClock.thread()
                    loop.context.cpu = LoopCPU()
                    let results = loop.run()
                    cpuTally.add(loopTotal: CPUClock.thread() &- started, phases: loop.context.cpu!.byPhase)
                    continuation.resume(returning: results)
                }
                let thread = Thread {
                    nameThisThread("cors-audit.ssh")
                    body.value()
                }
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
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

/// The event loop of one run. Lives entirely on the runner's thread.
///
/// Each session's socket is registered with epoll (level-triggered) under the session's slot number, so a wake-up
/// touches only the sessions whose sockets are ready. Timers (each session's deadline, and the idle limit below) are
/// served by a sweep over every session, due at the earliest of them rather than on every wake-up.
final class PollLoop<D: ShellDriver> {
    private let jobs: [SSHJob<D>]
    private let limit: Int
    private let deadline: ContinuousClock.Instant?
    /// Told each time a job ends, with the job's index and result.
    private let progress: (Int, SSHJobResult<D.Result>) -> Void
    private let control: RunControl
    let context: RunContext
    private let epoll: EpollSet

    private var results: [SSHJobResult<D.Result>?]
    private var queue: ArraySlice<Int>
    /// Open sessions by slot; the slot is the session's epoll tag.
    private var slots: [Session<D>?] = []
    private var freeSlots: [Int] = []
    private var open = 0
    /// Sessions waiting for the resolver, by the name they wait for.
    private var resolving: [String: [Int]] = [:]
    private var nextSweep: ContinuousClock.Instant = .now
    private var done = 0
    private var stopping = false

    /// libssh2 may hold already-read packets epoll cannot see; a session not stepped for this long is stepped at the
    /// next sweep (sweeps come at least this often).
    private static var maxIdle: Duration { .milliseconds(250) }
    /// The waker's tag: no slot has it.
    private static var wakerTag: UInt64 { .max }

    init(jobs: [SSHJob<D>], concurrency: Int?, deadline: ContinuousClock.Instant?,
         progress: @escaping (Int, SSHJobResult<D.Result>) -> Void, control: RunControl) {
        self.jobs = jobs
        self.deadline = deadline
        self.progress = progress
        self.control = control
        context = RunContext(resolver: Resolver(waker: control.waker))
        epoll = EpollSet()
        results = Array(repeating: nil, count: jobs.count)
        queue = ArraySlice(jobs.indices)
        // One socket per session: stay clear of the descriptor limit whatever was asked.
        let descriptors = max(16, FileDescriptorLimit.raised - 64)
        limit = max(1, min(concurrency ?? jobs.count, descriptors))
    }

    func run() -> [SSHJobResult<D.Result>] {
        guard epoll.isOpen else {
            // No epoll set (out of descriptors, say): no node can be read, and each says why.
            let reason = "cannot watch sockets: epoll_create1 failed: \(String(cString: strerror(epoll.openError)))"
            for (index, job) in jobs.enumerated() {
                record(index, SSHJobResult(host: job.target.host,
                                           error: SSHError(host: job.target.host, phase: .connect, kind: .io, function: "epoll_create1",
                                                           code: epoll.openError, message: reason),
                                           info: SSHSessionInfo(), driverResult: nil))
            }
            control.waker.close()
            return results.map { $0! }
        }
        epoll.watch(control.waker.readFD, events: Int16(POLLIN), tag: Self.wakerTag)
        var now = ContinuousClock.now
        nextSweep = now + Self.maxIdle
        while done < jobs.count {
            if !stopping, control.isCancelled || (deadline.map { now >= $0 } ?? false) {
                stop(now: now, reason: control.isCancelled ? "the run was cancelled" : "the run's deadline passed")
            }
            while !stopping, open < limit, let next = queue.popFirst() {
                startSession(next, now: now)
            }
            if now >= nextSweep { sweep(now: now) }
            if done >= jobs.count { break }

            var wake = nextSweep
            if let deadline, !stopping { wake = min(wake, deadline) }
            let timeout = max(.zero, wake - now)
            let milliseconds = Int32(clamping: timeout.components.seconds * 1000
                                     + Int64((timeout.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
            // Room for every watched socket (and the waker), so one call returns all that are ready.
            // (Waiting a moment after a wake-up to serve more sockets in one pass paid off when each pass visited every
            // session; here it measured no gain: bench/README.md.)
            let ready = epoll.wait(timeoutMilliseconds: milliseconds, capacity: open + 1)
            now = ContinuousClock.now
            for tag in ready {
                if tag == Self.wakerTag {
                    control.waker.drain()
                } else if let session = slots[Int(tag)] {
                    step(session, now: now)
                }
            }
            for (name, answer) in context.resolver.takeCompleted() {
                for slot in resolving.removeValue(forKey: name) ?? [] {
                    guard let session = slots[slot], session.resolvingName == name else { continue }
                    session.resolved(answer, context, now: now)
                    step(session, now: now)
                }
            }
        }
        control.waker.close()
        epoll.close()
        return results.map { $0! }
    }

    private func startSession(_ index: Int, now: ContinuousClock.Instant) {
        let session = Session(index: index, job: jobs[index])
        let slot = freeSlots.popLast() ?? slots.count
        if slot == slots.count { slots.append(nil) }
        slots[slot] = session
        session.slot = slot
        open += 1
        context.cpu?.begin()
        session.start(context, now: now)
        context.cpu?.charge(.connect)
        if let name = session.resolvingName { resolving[name, default: []].append(slot) }
        step(session, now: now)
    }

    /// Advances the session (or, with `aborting`, stops it), then brings its epoll registration up to date or records
    /// its end. `earlier`: the state it was in before something else moved it (a deadline's tick).
    private func step(_ session: Session<D>, now: ContinuousClock.Instant, since earlier: Int? = nil,
                      aborting reason: String? = nil) {
        let before = earlier ?? session.stateOrdinal
        if let reason {
            session.abort(context, now: now, message: reason)
        } else {
            session.advance(context, now: now)
        }
        session.lastAdvanced = now
        settle(session, stateChanged: session.stateOrdinal != before)
    }

    private func settle(_ session: Session<D>, stateChanged: Bool) {
        let wanted = session.pollRequest()
        if let watched = session.watched {
            // A state change may have closed the socket and opened another under the same number (the next address
            // of a connect, the offer probe): register afresh. The closed one left the set by itself, so removing it
            // may fail, harmlessly.
            if wanted == nil || wanted!.fd != watched.fd || stateChanged {
                epoll.unwatch(watched.fd)
                session.watched = nil
            } else if wanted!.events != watched.events {
                epoll.change(watched.fd, events: wanted!.events, tag: UInt64(session.slot))
                session.watched = wanted
            }
        }
        if session.watched == nil, let wanted {
            epoll.watch(wanted.fd, events: wanted.events, tag: UInt64(session.slot))
            session.watched = wanted
        }
        if let result = session.result {
            slots[session.slot] = nil
            freeSlots.append(session.slot)
            open -= 1
            record(session.index, result)
        } else if let next = session.nextDeadline, next < nextSweep {
            nextSweep = next
        }
    }

    /// Serves timers: each session's deadline, and a step for any not stepped within the idle limit.
    private func sweep(now: ContinuousClock.Instant) {
        var earliest = now + Self.maxIdle
        for slot in slots.indices {
            guard let session = slots[slot] else { continue }
            let before = session.stateOrdinal
            // A deadline that passed moves the session on (failing or closing it): step it from there.
            let acted = session.tick(context, now: now)
            if acted || now - session.lastAdvanced >= Self.maxIdle {
                step(session, now: now, since: before)
            }
            if slots[slot] != nil, let next = session.nextDeadline { earliest = min(earliest, next) }
        }
        nextSweep = earliest
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
        for session in slots.compactMap({ $0 }) { step(session, now: now, aborting: reason) }
        nextSweep = now
    }

    private func record(_ index: Int, _ result: SSHJobResult<D.Result>) {
        results[index] = result
        done += 1
        progress(index, result)
    }
}

/// An epoll set of the loop's sockets, each under a tag. Loop thread only.
final class EpollSet {
    /// The operations `cors_audit_epoll_ctl` takes.
    private enum Operation: Int32 { case add = 0, modify = 1, remove = 2 }

    private var fd: Int32
    private var tags: [UInt64] = []
    private var scratch: [UInt8] = []

    /// The errno of a failed `epoll_create1`, else 0.
    let openError: Int32

    init() {
        fd = cors_audit_epoll_create()
        openError = fd < 0 ? errno : 0
    }

    var isOpen: Bool { fd >= 0 }

    deinit { close() }

    func watch(_ socket: Int32, events wanted: Int16, tag: UInt64) {
        if control(.add, socket, wanted, tag) != 0, errno == EEXIST { _ = control(.modify, socket, wanted, tag) }
    }

    func change(_ socket: Int32, events wanted: Int16, tag: UInt64) {
        if control(.modify, socket, wanted, tag) != 0, errno == ENOENT { _ = control(.add, socket, wanted, tag) }
    }

    func unwatch(_ socket: Int32) {
        _ = control(.remove, socket, 0, 0)
    }

    /// poll(2) event bits are epoll's (EPOLLIN == POLLIN, ...).
    private func control(_ operation: Operation, _ socket: Int32, _ events: Int16, _ tag: UInt64) -> Int32 {
        cors_audit_epoll_ctl(fd, operation.rawValue, socket, UInt32(UInt16(bitPattern: events)), tag)
    }

    /// The tags of the ready sockets, all of them when `capacity` covers every watched one (errors and hang-ups count
    /// as ready: the session's step finds out which).
    func wait(timeoutMilliseconds: Int32, capacity: Int) -> ArraySlice<UInt64> {
        if tags.count < capacity {
            tags = [UInt64](repeating: 0, count: capacity)
            scratch = [UInt8](repeating: 0, count: capacity * Int(cors_audit_epoll_event_size()))
        }
        while true {
            let n = scratch.withUnsafeMutableBytes {
                cors_audit_epoll_wait(fd, $0.baseAddress, &tags, Int32(clamping: tags.count), timeoutMilliseconds)
            }
            if n < 0, errno == EINTR { continue }
            return tags[0..<Int(max(0, n))]
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
