import Foundation
import Testing
@testable import AuditCore

/// Parsing each node as its session ends must not change a report: what was parsed early is used only for the very
/// observation audited.
@Suite struct EarlyEvaluationTests {
    private let pub = "cuicpub.uccelab.tac", sub = "cuicsub.uccelab.tac"

    private func observations(sub subList: [String]) -> [String: NodeObservation] {
        var byHost = [pub: cuic(pub), sub: cuic(sub, cuic: subList)]
        for f in ["finessep.uccelab.tac", "finesses.uccelab.tac"] { byHost[f] = finesse(f) }
        return byHost
    }

    @Test func nodesParsedAsTheyArriveGiveTheSameReport() async throws {
        let inventory = try labInventory()
        let observed = observations(sub: Array(allFour.dropLast()))
        let early = EarlyEvaluation(inventory)
        for observation in observed.values { early.submit(observation) }
        let parsed = await early.finished()
        #expect(Set(parsed.keys) == Set(observed.keys))
        let plain = Auditor.audit(inventory: inventory, observations: observed, generatedAt: "2026-12-04T00:00:00Z")
        let withEarly = Auditor.audit(inventory: inventory, observations: observed, generatedAt: "2026-12-04T00:00:00Z", early: parsed)
        #expect(withEarly.json().serialized() == plain.json().serialized())
        #expect(withEarly.findings.map(\.kind) == [.missingOrigin, .asymmetricList])
    }

    @Test func anEarlyParseOfAnotherObservationIsNotUsed() async throws {
        let inventory = try labInventory()
        // Parsed early: cuicsub lacked an origin. Audited: the complete list. The audit must follow what it is given.
        let early = EarlyEvaluation(inventory)
        for observation in observations(sub: Array(allFour.dropLast())).values { early.submit(observation) }
        let parsed = await early.finished()
        let report = Auditor.audit(inventory: inventory, observations: observations(sub: allFour), generatedAt: "2026-12-04T00:00:00Z",
                                   early: parsed)
        #expect(report.findings.isEmpty)
        #expect(report.nodes.first { $0.host == sub }?.lists.first { $0.kind == .cuic }?.origins == allFour)
    }

    @Test func observationsOfHostsTheInventoryDoesNotAuditAreIgnored() async throws {
        let early = EarlyEvaluation(try labInventory())
        early.submit(cuic("stranger.example"))
        #expect(await early.finished().isEmpty)
    }
}
