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

/// Runbooks per release family, audited over SSH against vos-sim nodes playing that release.
@Suite(.serialized) struct RunbookPerReleaseTests {
    /// The lab at `version`, cuicsub's Live Data list lacking one origin; the plan for cuicsub.
    func planForSub(version: String) async throws -> RemediationPlan? {
        let password = "release-runbook-pw"
        return try await Simulation.lab(password: password, adjust: { nodes in
            for i in nodes.indices where nodes[i].product == .cuic {
                nodes[i].version = version
                nodes[i].services = ServiceCatalog.defaults(product: .cuic, version: version, liveData: true)
            }
            let s = nodes.firstIndex { $0.host == "cuicsub.uccelab.tac" }!
            nodes[s].lists[.liveData]!.origins = ["https://finessep.uccelab.tac", "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]
        }).use { lab in
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": password]))
            let report = await AuditPipeline(source: source).run(try lab.inventory()).report
            #expect(report.complete)
            return report.plans.first { $0.host == "cuicsub.uccelab.tac" }
        }
    }

    @Test func onFifteenTheLiveDataRestartIsTheWebProxyTheNodeLists() async throws {
        let plan = try #require(try await planForSub(version: "15.0.1.10000-41"))
        let restarts = plan.steps.filter(\.isRestart).compactMap(\.commandLine)
        #expect(restarts.contains("utils service restart Cisco Web Proxy Service"))
        #expect(!restarts.contains { $0.contains("NGINX") })
    }

    @Test func onTwelveSixTheLiveDataRestartIsTheNGINXServiceTheNodeLists() async throws {
        let plan = try #require(try await planForSub(version: "12.6.2.10000-19"))
        let restarts = plan.steps.filter(\.isRestart).compactMap(\.commandLine)
        #expect(restarts.contains("utils service restart Unified CCE Live Data NGINX Service"))
        #expect(!restarts.contains { $0.contains("Web Proxy") })
    }
}
