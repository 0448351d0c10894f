import AuditCore
import Foundation
import Pipeline
import Testing
import TestSupport

/// `remediate --apply` refuses, before any confirmation or connection, nodes it could not verify.
@Suite struct ApplyRefusalTests {
    @Test(arguments: [HostKeyPolicySetting.off, .strict, .acceptNew])
    func applyRefusesANodeWhoseHostKeyIsNotChecked(policy: HostKeyPolicySetting) throws {
        var inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        let c = try #require(inventory.clusters.firstIndex { $0.cuic.contains { $0.host == "cuicsub.uccelab.tac" } })
        let n = try #require(inventory.clusters[c].cuic.firstIndex { $0.host == "cuicsub.uccelab.tac" })
        inventory.clusters[c].cuic[n].connection.hostKeyPolicy = policy
        let plan = RemediationPlan(cluster: inventory.clusters[c].name, host: "cuicsub.uccelab.tac",
                                   steps: [.add(.cuic, origins: ["https://finessep.uccelab.tac:8445"])])
        let pipeline = ApplyPipeline(plans: [plan], before: [], inventory: inventory, restart: false, timeout: nil, concurrency: nil)
        switch pipeline.match() {
        case .success(let work):
            #expect(policy != .off, "a host_key_policy off node was let through")
            #expect(work.map(\.node.host) == ["cuicsub.uccelab.tac"])
        case .failure(let failure):
            #expect(policy == .off, "\(failure.problems)")
            #expect(failure.problems == ["cuicsub.uccelab.tac: host_key_policy: off in \(inventory.path); apply never changes a node whose host key is not checked (use strict or accept-new)"])
        }
    }
}
