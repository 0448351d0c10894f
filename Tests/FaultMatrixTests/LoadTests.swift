import AuditCore
import Collector
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The status each planted fault must give (the client's mapping, stated here independently of it).
let statusOfFault: [String: NodeStatus] = [
    "refuse": .unreachable, "silent": .unreachable, "garbage_banner": .unreachable, "no_common_algorithm": .unreachable,
    "wrong_host_key": .hostKeyRejected, "unknown_host_key": .hostKeyRejected,
    "reject_auth": .authFailed, "kbd_int_unexpected_prompt": .authFailed,
    "never_prompt": .timeout, "drop_mid_output": .disconnected,
    "garbage_output": .unparsed, "unknown_output": .unparsed, "confirm_prompt": .commandFailed,
]

struct Planted: Decodable {
    struct Drift: Decodable { var host: String; var list: String; var missing: [String]; var extra: [String] }
    struct Fault: Decodable { var host: String; var fault: String }
    var nodes: Int
    var drift: [Drift]
    var faults: [Fault]
}

/// The fleet size; LOAD_NODES overrides it (the benchmark runs larger fleets in release builds).
let loadNodes = ProcessInfo.processInfo.environment["LOAD_NODES"].flatMap(Int.init) ?? 1000

@Suite(.serialized) struct LoadTests {
    @Test func thousandNodesWithTenPercentFaultsAreAllAccountedForWithoutLeaks() async throws {
        let dir = try temporaryDirectory("load")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let password = "load-test-pw"
        let sim = try await Simulation.launch(["fleet", "--nodes", "\(loadNodes)", "--fault-rate", "0.1", "--seed", "7",
                                               "--drift-every", "7", "--startup", "0.05", "--command-delay", "0.01",
                                               "--connect-timeout", "10", "--login-timeout", "10", "--command-timeout", "10"],
                                              password: password, timeout: .seconds(120))
        // Not `sim.use { … }`: Swift 6.3's region checking crashes on this body as a closure.
        do {
            let planted = try JSONDecoder().decode(Planted.self, from: Data(contentsOf: URL(fileURLWithPath: sim.directory + "/planted.json")))
            let inventory = try sim.inventory()
            let audited = inventory.nodes.filter { $0.node.audit }.map(\.node)
            #expect(audited.count == loadNodes)
            #expect(planted.faults.count == Int((Double(loadNodes) * 0.1).rounded()))
            // At most 100 sessions at once: 1000 simultaneous key exchanges against a debug-built
            // simulator on two shared cores would time out healthy nodes (that is load, not a fault).
            let collector = SSHCollector(options: .init(concurrency: 100, runTimeout: .seconds(240), environment: ["VOS_SIM_PASSWORD": password]))

            // A warm-up run of one node brings up what lives for the whole process (the concurrency
            // pool's threads, Foundation's), so the counts below see only what one run leaves behind.
            let healthy = try #require(audited.first { h in h.product == .cuic && !planted.faults.contains { $0.host == h.host } })
            try warmUpInventory(healthy).write(toFile: dir + "/warm.yaml", atomically: true, encoding: .utf8)
            let warm = await collector.collect(try InventoryLoader.load(path: dir + "/warm.yaml"))
            #expect(warm[healthy.host]?.observation.failure == nil, "\(String(describing: warm[healthy.host]?.observation.failure))")

            let fdsBefore = await settledCount("fd"), threadsBefore = await settledCount("task")
            let targetsBefore = descriptorTargets()
            let start = ContinuousClock.now
            let results = await collector.collect(inventory)
            let elapsed = ContinuousClock.now - start
            let report = Auditor.audit(inventory: inventory, observations: results.mapValues(\.observation), generatedAt: "t")
            // The runner's thread may still be exiting when collect returns: counts are taken once steady.
            let threadsAfter = await settledCount("task"), fdsAfter = await settledCount("fd")

            // Every node accounted for, each with the status its planted fault gives, the rest audited.
            #expect(results.count == loadNodes)
            let faultOf = Dictionary(uniqueKeysWithValues: planted.faults.map { ($0.host, $0.fault) })
            var wrong: [String] = []
            for node in report.nodes where node.status != .skipped {
                let want = faultOf[node.host].map { statusOfFault[$0]! } ?? .audited
                if node.status != want || (want != .audited && node.detail.isEmpty) {
                    wrong.append("\(node.host) [\(faultOf[node.host] ?? "healthy")]: \(node.status.rawValue) \(node.detail.prefix(300))")
                }
            }
            #expect(wrong.isEmpty, "\(wrong.count) nodes: \(wrong.prefix(10))")
            var want: [NodeStatus: Int] = [.audited: loadNodes - planted.faults.count]
            for f in planted.faults { want[statusOfFault[f.fault]!, default: 0] += 1 }
            var got: [NodeStatus: Int] = [:]
            for node in report.nodes where node.status != .skipped { got[node.status, default: 0] += 1 }
            #expect(got == want)
            #expect(report.verdict() == .incomplete)
            // Drift is found exactly where it was planted on the nodes whose lists were read: healthy
            // ones, and `unknown_output` ones (only their status commands print nonsense).
            let plantedFindings = Set(planted.drift.filter { faultOf[$0.host] == nil || faultOf[$0.host] == "unknown_output" }.flatMap { d in
                d.missing.map { "missing-origin \(d.host) \(d.list) \($0)" } + d.extra.map { "unexpected-origin \(d.host) \(d.list) \($0)" }
            })
            let found = Set(report.findings.filter { $0.host != nil && ($0.kind == .missingOrigin || $0.kind == .unexpectedOrigin) }
                .map { "\($0.kind.rawValue) \($0.host!) \($0.list!.rawValue) \($0.origin!)" })
            #expect(found == plantedFindings, "found, not planted: \(found.subtracting(plantedFindings).sorted().prefix(5)); planted, not found: \(plantedFindings.subtracting(found).sorted().prefix(5))")

            // A leak is growth: after the run, no more descriptors or threads than before it, and not
            // one socket or pipe (what sessions and the runner's waker are made of) that was not there
            // before. The counts may drop: a run-loop thread of the test process (with its epoll,
            // eventfd and timerfd) can end meanwhile.
            let targetsAfter = descriptorTargets()
            let changed = Set(targetsBefore.keys).union(targetsAfter.keys).filter { targetsBefore[$0] != targetsAfter[$0] }.sorted()
                .map { "\($0): \(targetsBefore[$0] ?? "-") → \(targetsAfter[$0] ?? "-")" }
            let newEndpoints = targetsAfter.filter { fd, target in
                (target.hasPrefix("socket:") || target.hasPrefix("pipe:")) && targetsBefore[fd] != target
            }
            #expect(newEndpoints.isEmpty, "left open: \(newEndpoints)")
            #expect(fdsAfter <= fdsBefore, "descriptors: \(fdsBefore) before, \(fdsAfter) after; changed: \(changed)")
            #expect(threadsAfter <= threadsBefore, "threads: \(threadsBefore) before, \(threadsAfter) after")
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("load: \(loadNodes) nodes, \(planted.faults.count) faulty, collected in \(String(format: "%.1f", seconds)) s; "
                  + "fds \(fdsBefore)→\(fdsAfter) (changed: \(changed)), threads \(threadsBefore)→\(threadsAfter); "
                  + got.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
        } catch {
            try? await sim.stop()
            throw error
        }
        try await sim.stop()
    }
}

/// One healthy node of the fleet as an inventory of its own.
private func warmUpInventory(_ node: InventoryNode) -> String {
    let c = node.connection
    return """
        version: 1
        defaults:
          username: \(c.username)
          password_env: VOS_SIM_PASSWORD
          known_hosts: \(c.knownHosts)
          host_key_policy: strict
          timeouts: {connect: 10, login: 10, command: 10}
        clusters:
          - name: warm
            finesse:
              - {host: finesse.warm.test, audit: false}
            cuic:
              - {host: \(node.host), address: \(c.address), port: \(c.port), role: publisher, live_data: \(node.coresidentLiveData ? "coresident" : "none")}
            live_data: []
            expected: {finesse_ports: [443, 8445]}

        """
}
