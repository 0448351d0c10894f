import AuditCore
@testable import Collector
import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// The settings' fixes typed by `remediate --apply` against vos-sim, and the checks that gate the next node on them.
@Suite(.serialized) struct SettingApplyTests {
    @Test func applyAddsTheMissingGadgetSourcesAndEnablesPrivateNetworkAccessThenTheLabIsClean() async throws {
        // The lab as shipped (finesses lacks cuicsub's URLs), and cuicpub with private network access that cuicsub lacks.
        try await withLab(adjust: { nodes in
            nodes[nodes.firstIndex { $0.host == pub }!].settings.privateNetworkAccess = true
        }) { lab in
            let report = try lab.auditBefore()
            let out = lab.directory + "/apply"
            let r = try corsAudit(["remediate", "--from", report, "--inventory", lab.inventoryPath, "--apply", "--yes", "--restart", "--output", out])
            #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("  applied  utils finesse gadget_source_check allowed_list add https://cuicsub.uccelab.tac:8444"))
            #expect(r.stdout.contains("  applied  utils cuic cors private-network-access enable"))
            #expect(r.stdout.contains("Result after apply: CLEAN (exit 0)\n"))
            #expect(lab.node("finesses.uccelab.tac").settings.gadgetSources == [
                "https://cuicpub.uccelab.tac", "https://cuicpub.uccelab.tac:8444", "https://cuicsub.uccelab.tac", "https://cuicsub.uccelab.tac:8444"])
            #expect(lab.node(sub).settings.privateNetworkAccess)
            // Nothing was typed at the node that already agreed.
            #expect(lab.node(pub).settings.privateNetworkAccess)
            #expect(lab.node("finessep.uccelab.tac").settings.gadgetSources.count == 4)
        }
    }

    static func step(_ action: RemediationAction, _ output: String = "") -> NodeApplyRecord.Step {
        .init(step: action, status: .applied, detail: nil, output: output)
    }

    @Test func aGadgetSourceTheListDoesNotShowStopsTheNode() {
        let add = Self.step(.addGadgetSource("https://cuicsub.uccelab.tac"))
        let shown = "The following source(s) are configured in the allowed list:\n1: https://cuicpub.uccelab.tac\n"
        let problem = ApplyVerification.problem(in: [add, Self.step(.verifyGadgetSources, shown)])
        #expect(problem?.index == 1)
        #expect(problem?.why.contains("does not show https://cuicsub.uccelab.tac") == true)
        #expect(ApplyVerification.problem(in: [add, Self.step(.verifyGadgetSources, shown + "2: https://cuicsub.uccelab.tac\n")]) == nil)
        // Without its verification the add is not verified.
        #expect(ApplyVerification.problem(in: [add])?.index == 0)
    }

    @Test func privateNetworkAccessMustReadAsSet() {
        let enable = Self.step(.setPrivateNetworkAccess(true))
        #expect(ApplyVerification.problem(in: [enable, Self.step(.verifyPrivateNetworkAccess, "Private network access is disabled\n")])?.index == 1)
        #expect(ApplyVerification.problem(in: [enable, Self.step(.verifyPrivateNetworkAccess, "Private network access is enabled\n")]) == nil)
        #expect(ApplyVerification.problem(in: [enable])?.index == 0)
    }
}
