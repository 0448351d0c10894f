import AuditCore
import Foundation
import Prober
import Reports
import Testing
import TestSupport
@testable import VOSSimulator

/// The probe on each release family's endpoints, against vos-sim laid out as the port guides describe.
@Suite(.serialized) struct ReleaseProbeTests {
    static let v12_5 = "12.5.1.10000-4"

    /// The lab with both CUIC nodes on 12.5: CUIC on 8444 only (443 answers 404, as the OAMP UI would), Live Data on 12005.
    static func with12_5(_ body: (Simulation) async throws -> Void) async throws {
        try await Simulation.lab(password: simPassword, adjust: { nodes in
            for i in nodes.indices where nodes[i].product == .cuic { nodes[i].version = v12_5 }
        }).use(body)
    }

    @Test func onAKnown12_5NodeOnlyItsDocumentedEndpointsAreProbed() async throws {
        try await Self.with12_5 { lab in
            let inventory = try lab.inventory()
            #expect(inventory.clusters[0].cuic.allSatisfy { $0.release == .r12_5 })
            let probe = await PreflightProber(options: .init(caFile: lab.caFile)).probe(inventory)
            #expect(Set(probe.results.map(\.endpoint.url)) == ["https://\(pub):8444/cuic/", "https://\(sub):8444/cuic/",
                                                              "https://\(pub):12005/livedata/", "https://\(sub):12005/livedata/"])
            #expect(probe.errors.isEmpty, "\(probe.errors.map(\.verdict.detail))")
            // Live Data is judged on 12005: sub's stray is allowed there, every expected origin too.
            let ld = probe.results.filter { $0.endpoint.list == .liveData && $0.reason == .expected }
            #expect(ld.count == 8 && ld.allSatisfy { $0.verdict.outcome == .allowed })
        }
    }

    @Test func withTheReleaseUnknown443Answering404IsNotServingAndNoRestartFollows() async throws {
        try await Self.with12_5 { lab in
            var inventory = try lab.inventory()
            for c in inventory.clusters.indices {
                for i in inventory.clusters[c].cuic.indices { inventory.clusters[c].cuic[i].release = nil }
            }
            let probe = await PreflightProber(options: .init(caFile: lab.caFile)).probe(inventory)
            let report = Auditor.probeOnly(inventory: inventory, generatedAt: "2026-12-03T00:00:00Z").merging(probe: probe, inventory: inventory)
            let notServing = report.findings.filter { $0.kind == .endpointNotServing }
            #expect(Set(notServing.compactMap { f in f.message.split(separator: " ").first.map(String.init) })
                    == ["https://\(pub)/cuic/", "https://\(sub)/cuic/", "https://\(pub)/livedata/", "https://\(sub)/livedata/"])
            #expect(notServing.allSatisfy { $0.severity == .info && $0.remediation.isEmpty && $0.message.contains("HTTP 404") })
            // The one real refusal: sub's 8444 lacks the :8445 origin. Nothing at 443 counts against a list.
            let rejected = report.findings.filter { $0.kind == .preflightRejected }
            #expect(rejected.count == 1 && rejected[0].host == sub && rejected[0].message.hasPrefix("https://\(sub):8444/cuic/ refuses"))
            // No restart in any runbook, and the run is complete: 443 and 12005 were candidates, one of each list answered.
            let steps = report.plans.flatMap(\.steps)
            #expect(!steps.contains { $0.isRestart })
            let unanswered = probe.errors.map { "\($0.endpoint.url) \($0.verdict.detail)" }
            #expect(report.complete, "\(unanswered)")
            // The reports agree with the findings: the 404 endpoints are never listed as failing preflights.
            let table = TableRenderer(failOn: .warning, runbookLocation: nil, color: false).render(report)
            #expect(!table.contains("https://\(pub)/cuic/ from") && !table.contains("https://\(sub)/livedata/ from"), "\(table)")
            #expect(table.contains("https://\(sub):8444/cuic/ from \(missingOnSub): refused, should allow"))
            let junit = JUnitRenderer(failOn: .warning).render(report)
            for url in ["https://\(pub)/cuic/", "https://\(sub)/livedata/"] {
                let testcase = junit.split(separator: "\n").first { $0.contains("name=\"preflight \(url) (") }
                #expect(testcase.map { !$0.contains("<failure") && !$0.contains("<error") } == true, "\(String(describing: testcase))")
            }
        }
    }
}
