import Foundation
import Reports
import Testing
import TestSupport
@testable import AuditCore

private let pub = "cuicpub.uccelab.tac"
private let sub = "cuicsub.uccelab.tac"

@Suite struct AuditorTests {
    @Test func cleanLabIsClean() throws {
        let report = try auditLab([cuic(pub), cuic(sub)])
        #expect(report.findings.isEmpty)
        #expect(report.complete)
        #expect(report.verdict() == .clean)
        #expect(report.nodes.map(\.status) == [.audited, .audited, .audited, .audited])
        #expect(report.plans.isEmpty)
    }

    @Test func theTACCaseIsMissingOriginPlusAsymmetricList() throws {
        let report = try auditLab([cuic(pub), cuic(sub, cuic: allFour.filter { $0 != "https://finessep.uccelab.tac:8445" })])
        #expect(report.findings.map(\.kind) == [.missingOrigin, .asymmetricList])
        let missing = report.findings[0]
        #expect(missing.host == sub)
        #expect(missing.list == .cuic)
        #expect(missing.origin == "https://finessep.uccelab.tac:8445")
        #expect(missing.severity == .error)
        #expect(missing.remediation.cliLines == [
            "utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445",
            "utils service restart Intelligence Center Reporting Service",
            "utils cuic cors allowed_origin list",
        ])
        let asym = report.findings[1]
        #expect(asym.host == nil)
        #expect(asym.hosts == [sub])
        #expect(asym.message.contains("cuicsub.uccelab.tac lacks https://finessep.uccelab.tac:8445 that cuicpub.uccelab.tac has"))
        #expect(report.verdict() == .drift)
        #expect(report.verdict().exitCode == 1)
    }

    /// An empty list misses every origin: one terminal line for the list, not one per origin; a site origin from
    /// extra_origins is never called a Finesse origin.
    @Test func missingOriginsOfOneListAreOneTableLineAndExtraOriginsSayWhatTheyAre() throws {
        var inv = try labInventory()
        inv.clusters[0].expected.extraOrigins = [Origin(canonical: "https://proxy.example.com")!]
        let full = allFour + ["https://proxy.example.com"]
        let report = Auditor.audit(inventory: inv, observations: [
            pub: cuic(pub, cuic: full, liveData: full), sub: cuic(sub, cuic: [], liveData: full.filter { $0 != "https://proxy.example.com" }),
            "finessep.uccelab.tac": finesse("finessep.uccelab.tac"), "finesses.uccelab.tac": finesse("finesses.uccelab.tac"),
        ], generatedAt: "t")
        let missing = report.findings.filter { $0.kind == .missingOrigin }
        // Five on the subscriber's CUIC list, the proxy on its Live Data list and on both Finesse lists (enabled).
        #expect(missing.count == 8)
        let onFinesse = missing.filter { $0.list == .finesse }
        #expect(onFinesse.count == 2)
        #expect(onFinesse.allSatisfy { $0.message.hasSuffix("lacks https://proxy.example.com: pages from that origin (the site's extra_origins / finesse_origins) cannot call Finesse.") })
        let proxy = missing.filter { $0.origin == "https://proxy.example.com" && $0.list != .finesse }
        #expect(proxy.count == 2)
        #expect(proxy.allSatisfy { $0.message.hasSuffix("gadgets loaded from that origin (the site's extra_origins, e.g. a reverse proxy) are refused.") })
        #expect(missing.filter { $0.origin != "https://proxy.example.com" }.allSatisfy { $0.message.hasSuffix("that Finesse origin are refused.") })

        let table = TableRenderer(failOn: .warning, color: false).render(report)
        let lines = table.split(separator: "\n").filter { $0.contains("lacks") && $0.contains("✗") }
        #expect(lines.count == 4, "\(table)")  // the CUIC list's five, the Live Data list's one, each Finesse list's one
        #expect(lines.contains { $0.hasSuffix("✗ \(sub)'s CUIC list lacks 5 expected origins (https://finessep.uccelab.tac, https://finessep.uccelab.tac:8445, https://finesses.uccelab.tac, https://finesses.uccelab.tac:8445, https://proxy.example.com): browsers refuse what is loaded from them.") }, "\(table)")
        // One origin missing from a list keeps its own sentence.
        #expect(lines.contains { $0.hasSuffix("\(sub)'s Live Data list lacks https://proxy.example.com: gadgets loaded from that origin (the site's extra_origins, e.g. a reverse proxy) are refused.") }, "\(table)")
    }

    @Test func unexpectedIneffectiveAndDuplicateEntries() throws {
        let list = allFour + ["http://127.0.0.1:5500", "https://finessep.uccelab.tac/", "https://finesses.uccelab.tac", "https://proxy.example.com"]
        var inv = try labInventory()
        inv.clusters[0].expected.toleratedOrigins = [Origin(canonical: "https://proxy.example.com")!]
        let report = Auditor.audit(inventory: inv, observations: [
            pub: cuic(pub, liveData: list), sub: cuic(sub, liveData: list),
            "finessep.uccelab.tac": finesse("finessep.uccelab.tac"), "finesses.uccelab.tac": finesse("finesses.uccelab.tac"),
        ], generatedAt: "t")
        let mine = report.findings.filter { $0.host == pub }
        #expect(mine.map(\.kind) == [.unexpectedOrigin, .ineffectiveOrigin, .duplicateOrigin])
        #expect(mine[0].origin == "http://127.0.0.1:5500")
        #expect(mine[0].message.contains("entry 5"))
        #expect(mine[0].remediation.cliLines.prefix(2) == ["utils live-data cors allowed_origin delete", "5"])
        #expect(mine[0].remediation.cliLines.contains("utils service restart Unified CCE Live Data NGINX Service"))
        #expect(mine[1].message.contains("probably meant https://finessep.uccelab.tac"))
        #expect(mine[2].severity == .info)
        // Identical lists on both nodes: no asymmetry.
        #expect(!report.findings.contains { $0.kind == .asymmetricList })
        // Deletes run from the highest index down so earlier indices stay valid.
        let deletes = report.plans[0].steps.compactMap { step -> Int? in
            if case .delete(_, let index, _) = step { return index } else { return nil }
        }
        #expect(deletes == [7, 6, 5])
    }

    @Test func ineffectiveFormOfAnExpectedOriginStillLeavesItMissing() throws {
        let list = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445/", "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]
        let report = try auditLab([cuic(pub, cuic: list), cuic(sub, cuic: list)])
        let mine = report.findings.filter { $0.host == pub }
        #expect(mine.map(\.kind) == [.missingOrigin, .ineffectiveOrigin])
        #expect(mine[1].message.contains("which is expected and reported missing"))
        let text = RunbookRenderer().text(report.plans[0])
        // Add first, then the indexed delete, then the restart and the check.
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == [
            "utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445",
            "utils cuic cors allowed_origin delete", "2",
            "utils service restart Intelligence Center Reporting Service",
            "utils cuic cors allowed_origin list",
        ])
        #expect(text.contains("check that entry 2 is https://finessep.uccelab.tac:8445/, then type:"))
    }

    @Test func disabledCORSAndStoppedServices() throws {
        let report = try auditLab([
            cuic(pub, override: [.liveDataStatus: Out.disabled,
                                 .services: Out.services(["Intelligence Center Reporting Service[STOPPED] Component is not running",
                                                          "Unified CCE Live Data NGINX Service[STARTED]",
                                                          "Cisco Web Proxy Service [STOPPED] Service Not Activated"])]),
            cuic(sub),
        ])
        let kinds = report.findings.map(\.kind)
        #expect(kinds == [.corsDisabled, .serviceStopped])
        #expect(report.findings[0].list == .liveData)
        #expect(report.findings[0].remediation.cliLines.first == "utils live-data cors enable")
        #expect(report.findings[1].message.contains("Intelligence Center Reporting Service is STOPPED"))
        #expect(report.plans[0].steps.cliLines.contains("utils live-data cors enable"))
        #expect(report.plans[0].steps.cliLines.contains("utils live-data cors status"))
    }

    @Test func webProxyIsRestartedOn15() throws {
        let services = Out.services(["Intelligence Center Reporting Service[STARTED]", "Cisco Web Proxy Service[STARTED]"])
        let report = try auditLab([cuic(pub, liveData: Array(allFour.dropLast()), version: "15.0.1.10000-41", override: [.services: services]),
                                   cuic(sub, liveData: Array(allFour.dropLast()), version: "15.0.1.10000-41", override: [.services: services])])
        #expect(report.findings.first?.remediation.cliLines.contains("utils service restart Cisco Web Proxy Service") == true)
    }

    @Test func finesseEnableAllIsPermissive() throws {
        let report = try auditLab([cuic(pub), cuic(sub), finesse("finessep.uccelab.tac", status: "enable_all\n")])
        #expect(report.findings.map(\.kind) == [.corsPermissive])
        #expect(report.findings[0].severity == .warning)
    }

    @Test func versionSkewAmongCUICNodes() throws {
        let report = try auditLab([cuic(pub), cuic(sub, version: "12.6.1.10000-10")])
        #expect(report.findings.map(\.kind) == [.versionSkew])
        #expect(report.findings[0].hosts == [pub, sub])
        #expect(report.findings[0].message.contains("cuicsub.uccelab.tac 12.6.1.10000-10"))
    }

    @Test func failureMarkerMakesCommandFailedNeverAnEmptyList() throws {
        let report = try auditLab([cuic(pub, override: [.cuicList: "\nExecuted command unsuccessfully\n"]), cuic(sub)])
        let node = report.nodes[0]
        #expect(node.status == .commandFailed)
        #expect(node.detail.contains("`utils cuic cors allowed_origin list` failed: Executed command unsuccessfully"))
        #expect(node.lists[0].origins == nil)
        // No finding from data never received, and the run is incomplete whatever the findings.
        #expect(!report.findings.contains { $0.host == pub && $0.list == .cuic })
        #expect(report.verdict() == .incomplete)
        #expect(report.verdict().exitCode == 2)
    }

    @Test func unknownStatusTextIsUnparsedWithTheRawText() throws {
        let report = try auditLab([cuic(pub, override: [.cuicStatus: "Something new happened\n"]), cuic(sub)])
        let node = report.nodes[0]
        #expect(node.status == .unparsed)
        #expect(node.lists[0].state == nil)
        #expect(node.unparsed.first?.raw == "Something new happened\n")
        #expect(node.detail.contains("Something new happened"))
        #expect(!report.complete)
    }

    @Test func transcriptLackingCommandsIsPartial() throws {
        let report = try auditLab([cuic(pub, drop: [.services, .liveDataStatus]), cuic(sub)])
        #expect(report.nodes[0].status == .partial)
        #expect(report.nodes[0].detail == "the transcript lacks `utils live-data cors status`, `utils service list`")
        #expect(report.nodes[0].lists[0].origins == allFour)
    }

    @Test func missingObservationAndSkippedNodes() throws {
        var inv = try labInventory()
        inv.clusters[0].finesse[1].audit = false
        let report = Auditor.audit(inventory: inv, observations: [pub: cuic(pub), "finessep.uccelab.tac": finesse("finessep.uccelab.tac")], generatedAt: "t")
        #expect(report.nodes.map(\.status) == [.audited, .partial, .audited, .skipped])
        #expect(report.verdict() == .incomplete)
    }

    @Test func collectionFailureKeepsItsStatusAndDetail() throws {
        var failed = cuic(pub, drop: [.version, .services])
        failed.failure = CollectionFailure(status: .timeout, detail: "phase command (`show version active`): no admin: prompt within the 60 s limit")
        let report = try auditLab([failed, cuic(sub, cuic: Array(allFour.dropFirst()))])
        #expect(report.nodes[0].status == .timeout)
        #expect(report.nodes[0].detail.hasPrefix("phase command"))
        // What was fully received still counts: the lists compare, and the subscriber's gap is found.
        #expect(report.findings.map(\.kind) == [.missingOrigin, .asymmetricList])
        #expect(report.verdict() == .incomplete)
    }

    @Test func failOnDecidesTheExitCode() throws {
        let report = try auditLab([cuic(pub, liveData: allFour + ["http://127.0.0.1:5500"]), cuic(sub, liveData: allFour + ["http://127.0.0.1:5500"])])
        #expect(report.findings.map(\.severity) == [.warning, .warning])
        #expect(report.verdict(failOn: .warning) == .drift)
        #expect(report.verdict(failOn: .error) == .clean)
    }

    @Test func hostileOriginsNeverReachACommandLine() throws {
        let hostile = allFour + ["https://evil.tac,https://x.tac", "https://a.tac; utils system restart", "<script>alert(1)</script>"]
        let report = try auditLab([cuic(pub, cuic: hostile), cuic(sub, cuic: hostile)])
        for plan in report.plans {
            for line in plan.steps.compactMap(\.commandLine) {
                #expect(!line.contains("evil") && !line.contains("script") && !line.contains(";"))
            }
        }
        #expect(report.findings.filter { $0.kind == .ineffectiveOrigin }.count == 6)
    }
}

@Suite struct LabGoldenTests {
    func labReport() throws -> AuditReport {
        let (inventory, observations) = try labObservations()
        return Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
    }

    @Test func labTranscriptsGiveTheTACFindings() throws {
        let report = try labReport()
        #expect(report.complete)
        #expect(report.findings.map(\.kind) == [.missingOrigin, .unexpectedOrigin, .asymmetricList, .asymmetricList])
        #expect(report.findings[0].origin == "https://finessep.uccelab.tac:8445")
        #expect(report.findings[0].host == "cuicsub.uccelab.tac")
    }

    /// Issue 20: one missing origin is one error; the asymmetry it causes names it without counting it again, and the
    /// asymmetry a leftover extra entry causes is a warning like the leftover itself.
    @Test func asymmetryTakesTheSeverityOfItsDifferences() throws {
        let report = try labReport()
        let asymmetric = report.findings.filter { $0.kind == .asymmetricList }
        #expect(asymmetric.map(\.list) == [.cuic, .liveData])
        #expect(asymmetric.map(\.severity) == [.info, .warning])
        #expect(asymmetric[0].message.contains("cuicsub.uccelab.tac lacks https://finessep.uccelab.tac:8445"))
        #expect((report.count(.error), report.count(.warning), report.count(.info)) == (1, 2, 1))
        // A tolerated origin on one node only: no missing-origin reports its absence elsewhere, so browsers from it
        // are refused on the other node only: error.
        let (lab, observations) = try labObservations()
        var inventory = lab
        inventory.clusters[0].expected.toleratedOrigins = [try #require(Origin(canonical: "http://127.0.0.1:5500"))]
        let tolerated = Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
        #expect(tolerated.findings.filter { $0.kind == .asymmetricList }.map(\.severity) == [.info, .error])
    }

    @Test func labReportJSONMatchesGolden() throws {
        expectGolden(try labReport().json().serialized(), "lab-report.json")
    }

    @Test func labRunbookMatchesGolden() throws {
        let plans = try labReport().plans
        #expect(plans.map(\.host) == ["cuicsub.uccelab.tac"])
        expectGolden(RunbookRenderer().text(plans[0]), "lab-remediation-cuicsub.uccelab.tac.txt")
    }
}
