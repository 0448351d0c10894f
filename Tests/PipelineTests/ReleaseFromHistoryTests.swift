import AuditCore
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import VOSSimulator

/// A probe that reads no CLI takes each node's release from the history's last recorded version.
@Suite(.serialized) struct ReleaseFromHistoryTests {
    @Test func aProbeWithoutSSHUsesTheVersionTheHistoryLastSaw() async throws {
        let password = "release-history-pw"
        try await Simulation.lab(password: password, adjust: { nodes in
            for i in nodes.indices where nodes[i].product == .cuic { nodes[i].version = "12.5.1.10000-4" }
        }).use { lab in
            let dir = try temporaryDirectory("release-history")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let history = dir + "/history.sqlite"
            var inventory = try lab.inventory()
            // Nothing in the inventory says which release the nodes run.
            for c in inventory.clusters.indices {
                for i in inventory.clusters[c].cuic.indices { inventory.clusters[c].cuic[i].release = nil }
            }
            // Without a history: every candidate endpoint, 443 among them.
            let blind = await AuditPipeline(source: nil, probe: .init(options: .init(caFile: lab.caFile)),
                                            history: .init(path: history, recordFailOn: nil, readFormerEntries: true)).run(inventory)
            #expect(blind.report.probe?.results.contains { $0.endpoint.port == 443 } == true)
            #expect(blind.report.probe?.results.allSatisfy { $0.endpoint.release == .unknown } == true)

            // An audit over SSH reads `show version active` and records it.
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": password]))
            let audited = await AuditPipeline(source: source, history: .init(path: history, recordFailOn: .warning, readFormerEntries: false))
                .run(inventory)
            #expect(audited.warnings.isEmpty)
            #expect(audited.report.nodes.filter { $0.product == .cuic }.allSatisfy { $0.release == .r12_5 })

            // The next probe alone: 12.5's endpoints only (CUIC 8444, Live Data 12005), every one answering.
            let probed = await AuditPipeline(source: nil, probe: .init(options: .init(caFile: lab.caFile)),
                                             history: .init(path: history, recordFailOn: nil, readFormerEntries: true)).run(inventory)
            let results = try #require(probed.report.probe?.results)
            #expect(Set(results.map(\.endpoint.port)) == [8444, 12005])
            #expect(results.allSatisfy { $0.endpoint.release == .r12_5 })
            #expect(probed.report.complete)
            #expect(!probed.report.findings.contains { $0.kind == .endpointNotServing })
        }
    }
}
