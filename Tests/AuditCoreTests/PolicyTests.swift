import Foundation
import Testing
import TestSupport
@testable import AuditCore

private let pub = "cuicpub.uccelab.tac"
private let sub = "cuicsub.uccelab.tac"

/// What the inventory's policy changes: which deletes are planned, and what Finesse lists must hold.
@Suite struct PolicyTests {
    func audit(_ observations: [NodeObservation], prune: Bool, extra: [String] = [], finesseOrigins: [String] = []) throws -> AuditReport {
        var inventory = try labInventory()
        inventory.clusters[0].expected.prune = prune
        inventory.clusters[0].expected.extraOrigins = extra.compactMap { Origin(canonical: $0) }
        inventory.clusters[0].expected.finesseOrigins = finesseOrigins.compactMap { Origin(canonical: $0) }
        var byHost = Dictionary(uniqueKeysWithValues: observations.map { ($0.host, $0) })
        for f in ["finessep.uccelab.tac", "finesses.uccelab.tac"] where byHost[f] == nil { byHost[f] = finesse(f) }
        return Auditor.audit(inventory: inventory, observations: byHost, generatedAt: "2026-12-03T00:00:00Z")
    }

    @Test func anOriginTheInventoryDoesNotNameIsOnlySuggestedForDeletionWithoutPrune() throws {
        // Entry 5 another Finesse cluster may use; entry 6 can never match (a path), entry 7 a duplicate.
        let list = allFour + ["https://finesse.other-cluster.example", "https://finessep.uccelab.tac/", "https://finesses.uccelab.tac"]
        let report = try audit([cuic(pub, liveData: list), cuic(sub, liveData: list)], prune: false)
        let plan = try #require(report.plans.first { $0.host == pub })
        let deletes = plan.steps.compactMap { step -> Int? in if case .delete(_, let i, _) = step { i } else { nil } }
        #expect(deletes == [7, 6])
        #expect(plan.steps.contains { if case .note(let n) = $0 { n.hasPrefix("Suggestion, not planned: entry 5 (https://finesse.other-cluster.example)") && n.contains("`utils live-data cors allowed_origin delete` at index 5") } else { false } })
        let unexpected = try #require(report.findings.first { $0.kind == .unexpectedOrigin && $0.host == pub })
        #expect(unexpected.remediation.isEmpty)
        #expect(unexpected.message.hasSuffix("planned only with expected.prune: true or --prune."))
        // With prune the same entry's delete is planned, highest index first.
        let pruned = try audit([cuic(pub, liveData: list), cuic(sub, liveData: list)], prune: true)
        let prunedDeletes = pruned.plans[0].steps.compactMap { step -> Int? in if case .delete(_, let i, _) = step { i } else { nil } }
        #expect(prunedDeletes == [7, 6, 5])
    }

    @Test func reverseProxyAndWebAppOriginsAreExpectedOnAnEnabledFinesseList() throws {
        let proxy = "https://proxy.uccelab.tac", app = "https://crm.uccelab.tac"
        let report = try audit([cuic(pub, cuic: allFour + [proxy], liveData: allFour + [proxy]), cuic(sub, cuic: allFour + [proxy], liveData: allFour + [proxy]),
                                finesse("finessep.uccelab.tac", list: "The following source(s) are configured in allowed origins:\n1: \(proxy)\n")],
                               prune: false, extra: [proxy], finesseOrigins: [app])
        let missing = report.findings.filter { $0.kind == .missingOrigin }
        // finessep lacks the web app; finesses (empty list) lacks both.
        #expect(missing.map { "\($0.host!) \($0.origin!)" } == ["finessep.uccelab.tac \(app)", "finesses.uccelab.tac \(proxy)", "finesses.uccelab.tac \(app)"])
        #expect(report.plans.first { $0.host == "finesses.uccelab.tac" }?.steps.first == .add(.finesse, origins: [proxy, app]))
    }

    @Test func leavingEnableAllAddsWhatTheListMustHoldFirstAndSaysWhatItCutsOff() throws {
        let proxy = "https://proxy.uccelab.tac"
        let report = try audit([cuic(pub, cuic: allFour + [proxy], liveData: allFour + [proxy]), cuic(sub, cuic: allFour + [proxy], liveData: allFour + [proxy]),
                                finesse("finessep.uccelab.tac", status: "enable_all\n")], prune: false, extra: [proxy])
        let permissive = try #require(report.findings.first { $0.kind == .corsPermissive })
        #expect(permissive.remediation.cliLines == [
            "utils finesse cors allowed_origin list", "utils finesse cors allowed_origin add \(proxy)", "utils finesse cors enable",
            "utils service restart Cisco Finesse Tomcat", "utils service restart Cisco Finesse Notification Service", "utils finesse cors status",
        ])
        #expect(permissive.message.hasSuffix("Finesse allows only \(proxy): every other web app, reverse proxy or VPN-less origin is refused until added."))
        // In enable_all the list is not enforced: no missing-origin finding, and the runbook leaves the switch to the person.
        #expect(!report.findings.contains { $0.kind == .missingOrigin && $0.host == "finessep.uccelab.tac" })
        let plan = try #require(report.plans.first { $0.host == "finessep.uccelab.tac" })
        #expect(plan.steps.allSatisfy { if case .note = $0 { true } else { false } })
    }

    @Test func whetherThePublisherOrTheSubscriberLacksAnOriginNeverChangesAVerdict() throws {
        let lacking = allFour.filter { $0 != "https://finessep.uccelab.tac:8445" }
        let subLacks = try audit([cuic(pub), cuic(sub, cuic: lacking)], prune: true)
        let pubLacks = try audit([cuic(pub, cuic: lacking), cuic(sub)], prune: true)
        func shape(_ r: AuditReport) -> [String] { r.findings.map { "\($0.kind.rawValue) \($0.severity.rawValue) \($0.list?.rawValue ?? "-")" } }
        #expect(shape(subLacks) == shape(pubLacks))
        #expect(subLacks.verdict() == pubLacks.verdict())
        #expect(subLacks.plans.map(\.steps) == pubLacks.plans.map(\.steps))
    }
}
