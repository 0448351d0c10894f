import Foundation
import SSHClient
import TestSupport

/// Whether real-sshd tests can run here (root, sshd, python3), for `.enabled(if:)`.
let realSSHDAvailable = SSHDFleet.skipReason == nil
/// Shown when they are skipped.
let realSSHDSkipNote: Comment = Comment(rawValue: SSHDFleet.skipReason ?? "")

import Testing

/// All SSH client tests, one at a time: several count this process's open descriptors and time
/// concurrent sessions, which other tests running alongside would disturb.
@Suite(.serialized) struct SSHClientTests {}

/// A scratch directory per test, removed at the end.
final class Scratch {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "/ssh-client-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

extension SSHDInstance {
    /// A target for this instance under an inventory name, with short test timeouts. Many tests use
    /// policy off only to skip known_hosts, so the password is sent unless `insecureHostKeys` is false.
    func target(name: String = "cuicpub.test", credential: SSHCredential = .password(SSHDFleet.password),
                knownHosts: String?, policy: HostKeyPolicy = .strict, insecureHostKeys: Bool = true,
                connectTimeout: Duration = .seconds(5), loginTimeout: Duration = .seconds(10)) -> SSHTarget {
        SSHTarget(host: name, address: address, port: port, username: SSHDFleet.username, credential: credential,
                  knownHostsPath: knownHosts, hostKeyPolicy: policy, insecureHostKeys: insecureHostKeys,
                  connectTimeout: connectTimeout, loginTimeout: loginTimeout)
    }
}

/// Runs jobs with the test driver and returns results and the wall time.
func runJobs(_ targets: [SSHTarget], concurrency: Int? = nil, deadline: Duration? = nil,
             makeDriver: @escaping @Sendable () -> PromptDriver = { PromptDriver() })
    async -> (results: [SSHJobResult<PromptDriver.Result>], seconds: Double) {
    let start = ContinuousClock.now
    let jobs = targets.map { SSHJob(target: $0, makeDriver: makeDriver) }
    let results = await SSHRunner(concurrency: concurrency).run(jobs, deadline: deadline.map { start + $0 })
    let elapsed = ContinuousClock.now - start
    return (results, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

/// Open file descriptors of this process.
/// This process's descriptors: number → what it points at.
func openDescriptors() -> [String: String] {
    var result: [String: String] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        // The listing's own directory descriptor is gone by the time it is read: not a descriptor of the process.
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry) { result[entry] = target }
    }
    return result
}

/// Descriptors open now that were not open (to the same thing) in `before`: what a run leaked. Descriptors that
/// earlier tests' helpers close meanwhile (sshd processes' monitors are released late) do not count either way.
func descriptorsOpened(since before: [String: String]) -> [String: String] {
    openDescriptors().filter { before[$0.key] != $0.value }
}
