import Foundation
import SSHClient
import TestSupport
import Testing

/// Records, from the runner's thread, how many sessions had their shell open at once.
final class OpenShells: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0
    private(set) var peak = 0
    /// The names of the threads the shells were opened on (the runner's poll loops).
    private(set) var threads: Set<String> = []

    func opened() {
        let name = ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?")
            .trimmingCharacters(in: .newlines)
        lock.lock(); open += 1; peak = max(peak, open); threads.insert(name); lock.unlock()
    }
    func closed() { lock.lock(); open -= 1; lock.unlock() }
}

/// A PromptDriver that reports to `OpenShells`.
final class CountingDriver: ShellDriver {
    private let inner = PromptDriver(commands: ["show version active"], ending: .close)
    private let counter: OpenShells
    private var counted = false

    init(counter: OpenShells) { self.counter = counter }

    var deadline: ContinuousClock.Instant? { inner.deadline }
    func shellOpened(now: ContinuousClock.Instant) -> ShellAction {
        counter.opened(); counted = true
        return inner.shellOpened(now: now)
    }
    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction { inner.received(bytes, now: now) }
    func endOfFile(now: ContinuousClock.Instant) { inner.endOfFile(now: now) }
    func deadlinePassed(now: ContinuousClock.Instant) { inner.deadlinePassed(now: now) }
    func finish() -> PromptDriver.Result {
        if counted { counter.closed() }
        return inner.finish()
    }
}

extension SSHClientTests.SessionTests {
    @Test func fiftyNodesWithSlowPromptsRunAtOnceAndReleaseEveryDescriptor() async throws {
        let fleet = try SSHDFleet.start(instances: Array(repeating: SSHDInstanceConfig(startupDelay: 1), count: 5))
        defer { fleet.stop() }
        let targets = (0..<50).map { index in
            fleet.instances[index % 5].target(name: "node\(index).test", knownHosts: nil, policy: .off,
                                              connectTimeout: .seconds(10), loginTimeout: .seconds(20))
        }
        let descriptorsBefore = openDescriptors()
        let counter = OpenShells()
        let start = ContinuousClock.now
        let jobs = targets.map { target in SSHJob(target: target, makeDriver: { CountingDriver(counter: counter) }) }
        let progressLog = ProgressLog()
        let results = await SSHRunner().run(jobs, progress: { progressLog.add($0) })
        let seconds = Double((ContinuousClock.now - start).components.seconds)
            + Double((ContinuousClock.now - start).components.attoseconds) / 1e18

        #expect(results.map(\.host) == targets.map(\.host), "results in job order")
        #expect(results.allSatisfy { $0.error == nil }, "\(results.compactMap(\.error).prefix(3))")
        #expect(results.allSatisfy { $0.driverResult?.outputs.first?.contains("Active Master Version") == true })
        // Serialized, this is 50 × 1 s; concurrently about 1 s plus handshakes on two cores.
        #expect(seconds < 15, "50 sessions took \(seconds) s")
        #expect(counter.peak > 25, "only \(counter.peak) shells were open at once")
        #expect(progressLog.last?.done == 50 && progressLog.last?.total == 50 && progressLog.last?.failed == 0)
        #expect(descriptorsOpened(since: descriptorsBefore).isEmpty, "descriptors leaked")
        print("50 sessions, 1 s prompt delay each: \(String(format: "%.2f", seconds)) s, peak \(counter.peak) open shells")
    }

    @Test func concurrencyCapLimitsOpenSessions() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(startupDelay: 0.3)])
        defer { fleet.stop() }
        let counter = OpenShells()
        let jobs = (0..<6).map { index in
            SSHJob(target: fleet.instances[0].target(name: "n\(index)", knownHosts: nil, policy: .off),
                   makeDriver: { CountingDriver(counter: counter) })
        }
        let results = await SSHRunner(concurrency: 2).run(jobs)
        #expect(results.allSatisfy { $0.error == nil })
        #expect(counter.peak == 2)
    }

    @Test func aLargeRunKeepsTheCapOnOneLoopWithResultsInJobOrder() async throws {
        let fleet = try SSHDFleet.start(instances: Array(repeating: SSHDInstanceConfig(startupDelay: 0.2), count: 4))
        defer { fleet.stop() }
        let targets = (0..<70).map { index in
            fleet.instances[index % 4].target(name: "n\(index).test", knownHosts: nil, policy: .off,
                                              connectTimeout: .seconds(10), loginTimeout: .seconds(20))
        }
        let counter = OpenShells(), log = ProgressLog()
        let jobs = targets.map { target in SSHJob(target: target, makeDriver: { CountingDriver(counter: counter) }) }
        let descriptorsBefore = openDescriptors()
        let results = await SSHRunner(concurrency: 7).run(jobs, progress: { log.add($0) })
        #expect(results.map(\.host) == targets.map(\.host), "results in job order")
        #expect(results.allSatisfy { $0.error == nil }, "\(results.compactMap(\.error).prefix(3))")
        #expect(counter.threads == ["cors-audit.ssh"])
        // The cap holds, and is reached: slots freed by finished sessions are taken again.
        #expect(counter.peak == 7, "peak \(counter.peak)")
        // Totals, one call at a time.
        #expect(log.all.map(\.done) == Array(1...70))
        #expect(log.all.allSatisfy { $0.total == 70 && $0.failed == 0 })
        #expect(descriptorsOpened(since: descriptorsBefore).isEmpty, "descriptors leaked")
    }

    @Test func failuresDoNotLeakDescriptors() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey]), SSHDInstanceConfig(neverPrompt: true)])
        defer { fleet.stop() }
        let silent = try TestListener(.silent)
        defer { silent.stop() }
        let refused = LoopbackAddresses.refusedEndpoint()
        let before = openDescriptors()
        var targets = [
            fleet.instances[0].target(knownHosts: nil, policy: .off),                       // auth unsupported
            fleet.instances[1].target(knownHosts: "/nonexistent/known_hosts", policy: .strict), // unknown key
            fleet.instances[1].target(knownHosts: nil, policy: .off),                        // driver deadline
        ]
        for (address, port) in [(silent.address, silent.port), refused] {
            targets.append(SSHTarget(host: "x", address: address, port: port, username: "u", credential: .password("p"),
                                     hostKeyPolicy: .off, connectTimeout: .milliseconds(500)))
        }
        let (results, _) = await runJobs(targets) { PromptDriver(promptTimeout: .milliseconds(500)) }
        #expect(results.filter { $0.error != nil }.count == 4)
        #expect(descriptorsOpened(since: before).isEmpty, "descriptors leaked")
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [SSHProgress] = []
    func add(_ progress: SSHProgress) { lock.lock(); entries.append(progress); lock.unlock() }
    var last: SSHProgress? { lock.lock(); defer { lock.unlock() }; return entries.last }
    var all: [SSHProgress] { lock.lock(); defer { lock.unlock() }; return entries }
}
